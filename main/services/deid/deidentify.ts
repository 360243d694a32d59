// De-identified export: PS3.15 Annex E Basic Application Level Confidentiality Profile, optionally with Retain
// Longitudinal Temporal Information with Modified Dates. UIDs are remapped by a keyed hash (the same key maps the
// same UID to the same 2.25 UID in every object, so SEG/SR references stay intact); pixel data is copied byte for byte.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  actionFor,
  dayOffsetFromHash,
  DEID_METHOD_CODES,
  dummyText,
  shiftDa,
  shiftDt,
  uidFromHash,
  type DeidOptions,
} from '../../../shared/domain/deid/profile.js';
import { AppError } from '../../../shared/errors.js';
import { writeFileAtomic } from '../export/atomicWrite.js';
import { IMPLEMENTATION_CLASS_UID, softwareVersion } from '../export/dicomTags.js';
import { encodeText, findElement, readPart10, textOf, writePart10, type DicomElement, type DicomPart10 } from './dicomDataset.js';

export interface DeidRequest {
  inputPath: string;
  /** The files to de-identify (e.g. a catalogued series' instances) instead of everything under inputPath. */
  inputFiles?: string[];
  outDir: string;
  shiftDates: boolean;
  /** Write files whose BurnedInAnnotation is YES anyway (the user has checked the pixels). */
  allowBurnedIn: boolean;
  /** Mapping key: the same key maps the same UIDs, patients and dates the same way across runs. Random when absent. */
  mappingKey?: string;
}

export interface DeidResult {
  /** Each written file with the file it came from. */
  written: { source: string; output: string }[];
  skipped: { path: string; reason: string }[];
  patients: number;
  shiftDates: boolean;
  /** Files written although their BurnedInAnnotation is YES (only with allowBurnedIn). */
  burnedInOverridden: string[];
}

const TAG = {
  patientName: 0x00100010,
  patientId: 0x00100020,
  sopInstanceUid: 0x00080018,
  burnedIn: 0x00280301,
  identityRemoved: 0x00120062,
  method: 0x00120063,
  methodCodes: 0x00120064,
  temporalModified: 0x00280303,
  mediaSopInstanceUid: 0x00020003,
};

/** The keyed mappings of one run: UIDs, patient pseudonyms and per-patient day offsets. */
export class DeidMapping {
  readonly key: string;
  constructor(key?: string) {
    this.key = key ?? randomBytes(32).toString('hex');
  }
  private hash(kind: string, value: string): Buffer {
    return createHmac('sha256', this.key).update(`${kind}\0${value}`).digest();
  }
  uid(original: string): string {
    return original === '' ? '' : uidFromHash(this.hash('uid', original));
  }
  pseudonym(patientKey: string): string {
    return `ANON-${this.hash('patient', patientKey).toString('hex').slice(0, 12).toUpperCase()}`;
  }
  dayOffset(patientKey: string): number {
    return dayOffsetFromHash(this.hash('dates', patientKey));
  }
}

interface Context {
  /** The file's SOP Instance UID from the meta header: names the instance when the dataset's is empty. */
  metaSopInstanceUid: string;
  patientKey: string;
  mapping: DeidMapping;
  options: DeidOptions;
  dayOffset: number;
  pseudonym: string;
}

function textElement(tag: number, vr: string, text: string): DicomElement {
  return { tag, vr, value: encodeText(text, vr) };
}

function deidentifyElements(ds: DicomElement[], ctx: Context, topLevel: boolean): DicomElement[] {
  const out: DicomElement[] = [];
  for (const el of ds) {
    const action = actionFor(el.tag, el.vr, ctx.options);
    if (action === 'remove') continue;
    if (el.items) {
      out.push({ ...el, items: action === 'empty' ? [] : el.items.map((item) => deidentifyElements(item, ctx, false)) });
      continue;
    }
    if (el.encapsulated || action === 'keep') {
      out.push(el);
      continue;
    }
    if (topLevel && (el.tag === TAG.patientName || el.tag === TAG.patientId)) {
      // Z allows a dummy value: the pseudonym keeps one patient's objects together.
      out.push(textElement(el.tag, el.vr, ctx.pseudonym));
      continue;
    }
    out.push(replaceValue(el, action, ctx, topLevel));
  }
  return out;
}

function replaceValue(el: DicomElement, action: 'empty' | 'dummy' | 'uid' | 'shiftDate', ctx: Context, topLevel: boolean): DicomElement {
  const text = textOf(el);
  if (action === 'uid' || (action === 'dummy' && el.vr === 'UI')) {
    if (text === '' && topLevel) {
      // U asks for a non-empty UID: an empty study/series/frame-of-reference UID becomes one per patient, an empty SOP
      // Instance UID the meta header's (so SEG/SR written from the de-identified files can reference them).
      const basis = el.tag === TAG.sopInstanceUid ? `meta:${ctx.metaSopInstanceUid}` : `empty:${el.tag}:${ctx.patientKey}`;
      return textElement(el.tag, el.vr, ctx.mapping.uid(basis));
    }
    return textElement(
      el.tag,
      el.vr,
      text
        .split('\\')
        .map((u) => ctx.mapping.uid(u.trim()))
        .join('\\'),
    );
  }
  if (action === 'shiftDate') {
    if (el.vr === 'DA') return textElement(el.tag, el.vr, shiftDa(text, ctx.dayOffset));
    if (el.vr === 'DT') return textElement(el.tag, el.vr, shiftDt(text, ctx.dayOffset));
    return el;
  }
  if (action === 'empty' || !el.value || el.value.length === 0) return { tag: el.tag, vr: el.vr, value: new Uint8Array(0) };
  const dummy = dummyText(el.vr);
  // Binary VRs (US, SL, FD, OB …): zeros of the same length keep the value multiplicity.
  return dummy === null ? { tag: el.tag, vr: el.vr, value: new Uint8Array(el.value.length) } : textElement(el.tag, el.vr, dummy);
}

function patientKeyOf(ds: DicomElement[]): string {
  const id = textOf(findElement(ds, TAG.patientId));
  return id !== '' ? `id:${id}` : `name:${textOf(findElement(ds, TAG.patientName))}`;
}

/** De-identifies one parsed file in place of a copy; returns the new file. */
export function deidentifyPart10(file: DicomPart10, mapping: DeidMapping, options: DeidOptions): DicomPart10 {
  const patientKey = patientKeyOf(file.dataset);
  const metaSopInstanceUid = textOf(findElement(file.meta, TAG.mediaSopInstanceUid));
  const ctx: Context = { metaSopInstanceUid, patientKey, mapping, options, dayOffset: mapping.dayOffset(patientKey), pseudonym: mapping.pseudonym(patientKey) };
  const marks = new Set([TAG.identityRemoved, TAG.method, TAG.methodCodes, TAG.temporalModified]);
  const dataset = deidentifyElements(file.dataset, ctx, true).filter((e) => !marks.has(e.tag));
  const codes = [DEID_METHOD_CODES.basic, ...(options.shiftDates ? [DEID_METHOD_CODES.modifiedDates] : [])];
  dataset.push(
    textElement(TAG.identityRemoved, 'CS', 'YES'),
    textElement(TAG.method, 'LO', options.shiftDates ? 'PS3.15 E Basic Profile, Modified Dates' : 'PS3.15 E Basic Profile'),
    {
      tag: TAG.methodCodes,
      vr: 'SQ',
      items: codes.map((c) => [textElement(0x00080100, 'SH', c.value), textElement(0x00080102, 'SH', 'DCM'), textElement(0x00080104, 'LO', c.meaning)]),
    },
    textElement(TAG.temporalModified, 'CS', options.shiftDates ? 'MODIFIED' : 'REMOVED'),
  );
  const newSop = textOf(findElement(dataset, TAG.sopInstanceUid));
  // The meta header: the new SOP Instance UID; the source's AE titles and private meta information are dropped.
  const meta = file.meta
    .filter((e) => e.tag <= 0x00020013 && e.tag !== 0x00020000)
    .filter((e) => e.tag !== 0x00020012 && e.tag !== 0x00020013)
    .map((e) => (e.tag === TAG.mediaSopInstanceUid ? textElement(e.tag, 'UI', newSop || mapping.uid(`meta:${metaSopInstanceUid}`)) : e));
  // The file is medseg's now: its implementation identifies the writer (PS3.10 7.1).
  meta.push(textElement(0x00020012, 'UI', IMPLEMENTATION_CLASS_UID), textElement(0x00020013, 'SH', `MEDSEG_${softwareVersion()}`.slice(0, 16)));
  return { ...file, meta, dataset };
}

/** Regular files under path (itself when it is a file), sorted, hidden names skipped. */
export async function listFiles(path: string): Promise<string[]> {
  const s = await stat(path).catch(() => {
    throw new AppError('NOT_FOUND', `${path}: no such file or folder.`);
  });
  if (!s.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const p = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/**
 * De-identifies every DICOM file under inputPath into outDir (flat, named by the new SOP Instance UID). Nothing is
 * written when a file states burned-in annotation (BurnedInAnnotation = YES) and the user has not overridden it.
 */
export async function deidentifyToFolder(req: DeidRequest): Promise<DeidResult> {
  const files = req.inputFiles ?? (await listFiles(req.inputPath));
  const parsed: { path: string; file: DicomPart10 }[] = [];
  const skipped: DeidResult['skipped'] = [];
  for (const path of files) {
    try {
      parsed.push({ path, file: readPart10(await readFile(path)) });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      skipped.push({ path, reason: `${err.code}: ${err.message}` });
    }
  }
  if (parsed.length === 0) throw new AppError('NOT_DICOM', `${req.inputPath}: no DICOM Part 10 file to de-identify.`);
  const burnedIn = parsed.filter((p) => textOf(findElement(p.file.dataset, TAG.burnedIn)).toUpperCase() === 'YES').map((p) => p.path);
  if (burnedIn.length > 0 && !req.allowBurnedIn) {
    throw new AppError(
      'BURNED_IN_ANNOTATION',
      `${burnedIn.length} file(s) state BurnedInAnnotation = YES (e.g. ${relative(req.inputPath, burnedIn[0]) || burnedIn[0]}): ` +
        'their pixels may show identifying text, which de-identification of the attributes does not remove. Nothing was written; ' +
        'remove those files or override after checking the pixels (--allow-burned-in).',
    );
  }
  const mapping = new DeidMapping(req.mappingKey);
  const options: DeidOptions = { shiftDates: req.shiftDates };
  await mkdir(req.outDir, { recursive: true });
  const written: DeidResult['written'] = [];
  const patients = new Set<string>();
  const names = new Set<string>();
  for (const { path, file } of parsed) {
    patients.add(patientKeyOf(file.dataset));
    const out = deidentifyPart10(file, mapping, options);
    const sop = textOf(findElement(out.dataset, TAG.sopInstanceUid)) || mapping.uid(`file:${written.length}`);
    // The same instance in several files (e.g. one image in several transfer syntaxes) keeps every copy.
    let target = join(req.outDir, `${sop}.dcm`);
    for (let n = 2; names.has(target); n++) target = join(req.outDir, `${sop}-${n}.dcm`);
    names.add(target);
    await writeFileAtomic(target, writePart10(out));
    written.push({ source: path, output: target });
  }
  return { written, skipped, patients: patients.size, shiftDates: req.shiftDates, burnedInOverridden: req.allowBurnedIn ? burnedIn : [] };
}
