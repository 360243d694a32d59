// What every DICOM object medseg writes shares: dcmjs loaded once (it ships no types: the few calls used are typed
// here), value formatting within the VR limits, the patient/study modules copied from the source, and file writing.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../../shared/errors.js';
import type { ExportContext } from './context.js';
import { derivedUid } from './uids.js';

export type NaturalDataset = Record<string, unknown>;

interface DcmjsData {
  DicomMetaDictionary: {
    denaturalizeDataset(ds: NaturalDataset): Record<string, unknown>;
    naturalizeDataset(ds: Record<string, unknown>): NaturalDataset;
  };
  DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(opts?: Record<string, unknown>): ArrayBuffer };
  DicomMessage: { readFile(buffer: ArrayBuffer, opts?: Record<string, unknown>): { dict: Record<string, unknown>; meta: Record<string, unknown> } };
  Colors: { rgb2DICOMLAB(rgb01: number[]): number[]; dicomlab2RGB(lab: number[]): number[] };
}

let dcmjsData: DcmjsData | undefined;

/** dcmjs's data namespace, loaded on first use; its console chatter (log.warn on truncation) is silenced. */
export function dcmjs(): DcmjsData {
  if (!dcmjsData) {
    const lib = createRequire(import.meta.url)('dcmjs') as { data: DcmjsData; log?: { setLevel?(l: string): void } };
    lib.log?.setLevel?.('error');
    dcmjsData = lib.data;
  }
  return dcmjsData;
}

/** medseg's implementation class UID (derived once from its name, fixed). */
export const IMPLEMENTATION_CLASS_UID = derivedUid('medseg implementation class');

let version: string | undefined;
/** The package version, found by walking up from this file (works from the sources and from dist/). */
export function softwareVersion(): string {
  if (version) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let n = 0; n < 6; n++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.version) {
          version = pkg.version;
          return version;
        }
      } catch {
        // keep walking
      }
    }
    dir = dirname(dir);
  }
  version = '0';
  return version;
}

/** A decimal string of at most 16 characters (VR DS), as exact as fits. */
export function ds(x: number): string {
  if (!Number.isFinite(x)) throw new AppError('INTERNAL', `not a finite number for a DS value: ${x}`);
  if (Object.is(x, -0) || Math.abs(x) < 1e-12) return '0';
  for (let digits = 15; digits >= 1; digits--) {
    let s = Number(x.toPrecision(digits)).toString();
    if (s.length > 16) s = x.toExponential(Math.max(0, digits - 7));
    if (s.length <= 16) return s;
  }
  return x.toExponential(6);
}

export function dicomDate(d: Date): string {
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}

export function dicomTime(d: Date): string {
  return d.toISOString().slice(11, 19).replace(/:/g, '');
}

export function codeItem(c: { codeValue: string; codingSchemeDesignator: string; codeMeaning: string }): NaturalDataset {
  return { CodeValue: c.codeValue, CodingSchemeDesignator: c.codingSchemeDesignator, CodeMeaning: c.codeMeaning };
}

/** Patient and General Study modules of the source (type 2 attributes present even when empty). */
export function patientStudyModules(ctx: ExportContext): NaturalDataset {
  const s = ctx.source.study;
  if (!s) throw new AppError('INVALID_INPUT', 'A DICOM object needs a DICOM source series (the input is a NIfTI volume).');
  const out: NaturalDataset = {
    PatientName: s.patientName,
    PatientID: s.patientId,
    PatientBirthDate: s.patientBirthDate,
    PatientSex: s.patientSex,
    StudyInstanceUID: s.studyInstanceUid,
    StudyDate: s.studyDate,
    StudyTime: s.studyTime,
    ReferringPhysicianName: '',
    StudyID: s.studyId,
    AccessionNumber: s.accessionNumber,
  };
  if (s.studyDescription) out.StudyDescription = s.studyDescription;
  return out;
}

/** Encodes a naturalized dataset as a DICOM Part 10 file in explicit VR little endian. */
export function encodePart10(dataset: NaturalDataset): Buffer {
  const { DicomMetaDictionary, DicomDict } = dcmjs();
  const version = new Uint8Array([0, 1]);
  const meta: NaturalDataset = {
    FileMetaInformationVersion: version.buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: `MEDSEG_${softwareVersion()}`.slice(0, 16),
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}

/** Reads a DICOM Part 10 file into dcmjs's naturalized form (sequences as arrays of objects). */
export function decodePart10(bytes: Uint8Array): NaturalDataset {
  const { DicomMessage, DicomMetaDictionary } = dcmjs();
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let file;
  try {
    file = DicomMessage.readFile(ab, { ignoreErrors: true });
  } catch (err) {
    throw new AppError('NOT_DICOM', `cannot read the DICOM object (${(err as Error).message}).`);
  }
  const ds = DicomMetaDictionary.naturalizeDataset(file.dict);
  ds._meta = DicomMetaDictionary.naturalizeDataset(file.meta);
  return ds;
}
