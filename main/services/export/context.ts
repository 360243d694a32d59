// Everything an exporter (SEG, SR, NIfTI, .seg.nrrd, PDF, CSV/JSON) needs, gathered once: the source series (volume,
// geometry status, the DICOM identity of every slice), the label map on that grid with its table, and provenance.
import { readFile } from 'node:fs/promises';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { labelMapPlacement, requirePlaceableLabelMap, type OutputWarning } from '../../../shared/domain/geometryGate.js';
import { intensityUnitFor } from '../../../shared/domain/intensityUnit.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { defaultLabelColor, isLabelKind, labelTableFor, parseLabelTable, type LabelInfo } from '../../../shared/domain/labelTable.js';
import type { MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { resampleLabelMapNearest } from '../../../shared/domain/resample.js';
import { sameGrid, type Volume } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import type { Database } from '../../db/database.js';
import { openDatabase } from '../../db/database.js';
import { resolveDbPath } from '../../db/appPaths.js';
import { getSeriesRecord } from '../../db/catalog.js';
import { readJournal } from '../../db/edits.js';
import { listAnnotations } from '../../db/annotations.js';
import { annotationRows, type AnnotationRow } from '../../../shared/domain/reading/annotationRows.js';
import { loadSegmentation, type SegmentationSource } from '../../db/segmentations.js';
import type { DicomInstance } from '../dicom/types.js';
import { loadEditedLabelMap } from '../editing/session.js';
import { measureSegmentation } from '../measure/measure.js';
import { readNiftiLabels } from '../nifti/nifti.js';
import { sidecarPathOf } from '../nifti/niftiGeometry.js';
import type { AssembledStack } from '../series/assemble.js';
import { derivedUid } from './uids.js';
import { isNiftiPath, loadSeriesVolume, loadVolumeFromPath, type LoadedVolume } from '../series/volumes.js';

/** Key of the label table in a NIfTI's JSON sidecar (next to MedsegGeometry, see nifti/GEOMETRY-STATUS.md). */
export const LABEL_TABLE_SIDECAR_KEY = 'MedsegLabels';

/** The DICOM identity of one source instance, with UIDs fit to be referenced (see `uidsDerived`). */
export interface ExportInstanceRef {
  sopClassUid: string;
  sopInstanceUid: string;
  /** 1-based frame number inside a multi-frame instance; undefined for a single-frame instance. */
  frameNumber?: number;
  path: string;
  archiveMember?: string;
}

/** Patient / study / series identifiers of the source, as the files state them (UIDs possibly derived). */
export interface ExportStudyIdentity {
  patientId: string;
  patientName: string;
  patientBirthDate: string;
  patientSex: string;
  studyInstanceUid: string;
  studyDate: string;
  studyTime: string;
  studyId: string;
  studyDescription: string;
  accessionNumber: string;
  seriesInstanceUid: string;
  seriesNumber?: number;
  seriesDescription: string;
  frameOfReferenceUid: string;
  modality: string;
  manufacturer?: string;
}

export interface ExportSource {
  /** The path given (or the catalog series' id when the labels came from the database). */
  label: string;
  kind: 'dicom' | 'nifti';
  volume: Volume;
  geometry: GeometryReport;
  modality: string;
  /** 'HU' for CT, else 'a.u.' (intensityUnit.ts). */
  intensityUnit: string;
  /** DICOM only: the assembled stack (frames in slice order; plan says how volume slices were made). */
  stack?: AssembledStack;
  /** DICOM only: every instance of the stack once, in slice order. */
  instances: ExportInstanceRef[];
  /**
   * Per volume slice k (DICOM only): the source frame the slice is an exact copy of, or null when it was
   * interpolated (tilt correction, gap filling) and so has no single source frame.
   */
  sliceSources: (ExportInstanceRef | null)[];
  /** Per volume slice k (DICOM only): the source frames it was made from (one when copied, two when blended). */
  sliceDerivedFrom: ExportInstanceRef[][];
  /** DICOM only. */
  study?: ExportStudyIdentity;
  /**
   * True when the files carry no (or blank) SOP/series/study/frame-of-reference UIDs (anonymised exports) and
   * deterministic 2.25 UIDs were derived for them: an object referencing them cannot be linked to the files by a PACS.
   */
  uidsDerived: boolean;
}

export interface ExportProvenance {
  labelsFrom: 'file' | 'database';
  labelsPath?: string;
  segmentationId?: number;
  /** The edit journal's cursor at load time (0: never edited); stored segmentations only. */
  labelMapVersion?: number;
  source: SegmentationSource | 'file';
  name: string;
  createdAt?: string;
  model?: { id: string; version: string; sha256: string };
  /** 'AUTOMATIC' model output, 'SEMIAUTOMATIC' classical tools or an edited model output, 'MANUAL' otherwise. */
  algorithmType: 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL';
}

/** The stored reading annotations of the exported series (rulers, angles, ROIs, text), as gated export rows. */
export interface ExportAnnotations {
  seriesId: number;
  rows: AnnotationRow[];
}

export interface ExportContext {
  source: ExportSource;
  /** The label map on the source volume grid (resampled by nearest neighbour when the file was on another). */
  labelMap: LabelMap;
  /** Labels present or listed, in value order (the table of `labelMap`). */
  labels: LabelInfo[];
  /** How the label map was placed on the grid (warnings when resampled or partly covering). */
  placementWarnings: OutputWarning[];
  provenance: ExportProvenance;
  /** Notes an exporter should pass on to the user (derived UIDs, resampling …). */
  notes: string[];
  /**
   * The series' stored annotations when the labels came from the catalog (a stored segmentation: its series); null
   * when the export has no catalog series (a label map file), so the annotations are unknown rather than none.
   */
  annotations: ExportAnnotations | null;
  /** The measurement table (measure service, 6-connectivity); computed once, on first call. Throws UNSAFE_GEOMETRY. */
  measurements(): Promise<MeasurementResult>;
}

export interface LoadExportContextOptions {
  /** Source DICOM series (file, folder, zip) or NIfTI volume; optional when `labels` is a stored segmentation id. */
  sourcePath?: string;
  /** A label map file (.nii/.nii.gz) or a stored segmentation id (with dbPath or db). */
  labels: string | number;
  seriesUid?: string;
  dbPath?: string;
  /** An open database (the method table passes its own); wins over dbPath. */
  db?: Database;
  /** "value,name[,r,g,b]" lines naming a label file's values (else its JSON sidecar's MedsegLabels, else "label N"). */
  labelNamesPath?: string;
  lesionValues?: ReadonlySet<number>;
}

export { derivedUid, newUid } from './uids.js';

const VALID_UID = /^[0-9]+(\.[0-9]+)*$/;

function usableUid(uid: string | undefined): boolean {
  return uid !== undefined && uid !== '' && uid.length <= 64 && VALID_UID.test(uid) && !uid.startsWith('medseg-');
}

/** A referencable UID: the file's own, else one derived from medseg's stand-in identifier (stable across runs). */
function referencableUid(uid: string | undefined, standIn: string, onDerived: () => void): string {
  if (usableUid(uid)) return uid!;
  onDerived();
  return derivedUid(`medseg:${standIn}`);
}

function sourceFromStack(loaded: LoadedVolume, label: string): ExportSource {
  const stack = loaded.stack;
  if (!stack) throw new AppError('INTERNAL', 'a DICOM volume came without its stack');
  let uidsDerived = false;
  const derived = () => {
    uidsDerived = true;
  };
  const first = stack.frames[0].instance;
  const refOf = new Map<DicomInstance, ExportInstanceRef>();
  const instances: ExportInstanceRef[] = [];
  const refFor = (inst: DicomInstance): ExportInstanceRef => {
    let ref = refOf.get(inst);
    if (!ref) {
      ref = {
        sopClassUid: usableUid(inst.sopClassUid) ? inst.sopClassUid : '',
        sopInstanceUid: referencableUid(inst.sopInstanceUid, inst.sopInstanceUid || inst.path, derived),
        path: inst.path,
        ...(inst.archiveMember ? { archiveMember: inst.archiveMember } : {}),
      };
      refOf.set(inst, ref);
      instances.push(ref);
    }
    return ref;
  };
  const frameRefs = stack.frames.map((f) => {
    const ref = refFor(f.instance);
    return f.instance.numberOfFrames > 1 ? { ...ref, frameNumber: f.frameIndex + 1 } : ref;
  });
  const plan = stack.plan;
  const sliceSources = plan.planes.map((p, k) =>
    p.w === 0 && (plan.colShift[k] ?? 0) === 0 && (plan.rowShift[k] ?? 0) === 0 ? (frameRefs[p.s0] ?? null) : null,
  );
  const sliceDerivedFrom = plan.planes.map((p) =>
    (p.w === 0 || p.s1 === p.s0 ? [frameRefs[p.s0]] : [frameRefs[p.s0], frameRefs[p.s1]]).filter((r): r is ExportInstanceRef => r !== undefined),
  );
  const study: ExportStudyIdentity = {
    patientId: first.patientId ?? '',
    patientName: first.patientName ?? '',
    patientBirthDate: first.patientBirthDate ?? '',
    patientSex: first.patientSex ?? '',
    studyInstanceUid: referencableUid(first.studyInstanceUid, first.studyInstanceUid, derived),
    studyDate: first.studyDate ?? '',
    studyTime: first.studyTime ?? '',
    studyId: '',
    studyDescription: first.studyDescription ?? '',
    accessionNumber: first.accessionNumber ?? '',
    seriesInstanceUid: referencableUid(stack.seriesInstanceUid, stack.seriesInstanceUid || stack.stackKey, derived),
    seriesNumber: first.seriesNumber,
    seriesDescription: first.seriesDescription ?? '',
    frameOfReferenceUid: referencableUid(first.frameOfReferenceUid, `for:${stack.seriesInstanceUid || stack.stackKey}`, derived),
    modality: stack.modality,
  };
  return {
    label,
    kind: 'dicom',
    volume: loaded.volume,
    geometry: loaded.geometry,
    modality: loaded.modality,
    intensityUnit: intensityUnitFor(loaded.modality),
    stack,
    instances,
    sliceSources,
    sliceDerivedFrom,
    study,
    uidsDerived,
  };
}

interface SidecarLabel {
  value: number;
  name: string;
  colorRgb?: [number, number, number];
  kind?: string;
}

/** The label table recorded in a NIfTI's JSON sidecar by medseg's own NIfTI export, when there is one. */
export async function readSidecarLabelTable(niftiPath: string): Promise<LabelInfo[] | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(sidecarPathOf(niftiPath), 'utf8'));
  } catch {
    return null;
  }
  const rows = (parsed as Record<string, unknown> | null)?.[LABEL_TABLE_SIDECAR_KEY];
  if (!Array.isArray(rows)) return null;
  const out: LabelInfo[] = [];
  for (const r of rows as SidecarLabel[]) {
    if (!r || !Number.isInteger(r.value) || r.value <= 0 || typeof r.name !== 'string') continue;
    const rgb = Array.isArray(r.colorRgb) && r.colorRgb.length === 3 ? r.colorRgb : undefined;
    out.push({
      value: r.value,
      name: r.name,
      colorRgb: rgb ?? defaultLabelColor(r.value),
      kind: isLabelKind(r.kind) ? r.kind : 'other',
    });
  }
  return out;
}

function algorithmTypeOf(source: SegmentationSource | 'file', hasModel: boolean, edited: boolean): ExportProvenance['algorithmType'] {
  if (source === 'model' || hasModel) return edited ? 'SEMIAUTOMATIC' : 'AUTOMATIC';
  if (source === 'classical') return 'SEMIAUTOMATIC';
  return 'MANUAL';
}

/** Gathers the export context; every failure is a coded AppError (NOT_FOUND, INVALID_INPUT, UNSAFE_GEOMETRY …). */
export async function loadExportContext(opts: LoadExportContextOptions): Promise<ExportContext> {
  const storedId = typeof opts.labels === 'number' ? opts.labels : /^\d+$/.test(opts.labels) && !isNiftiPath(opts.labels) ? Number(opts.labels) : null;
  const notes: string[] = [];
  let source: ExportSource;
  let rawMap: LabelMap;
  let mapGeometry: GeometryReport | undefined;
  let provenance: ExportProvenance;
  let annotations: ExportAnnotations | null = null;

  if (storedId !== null) {
    const db = opts.db ?? openDatabase(resolveDbPath(opts.dbPath));
    try {
      const { summary } = loadSegmentation(db, storedId);
      const labelMapVersion = readJournal(db, storedId)?.cursorSeq ?? 0;
      rawMap = loadEditedLabelMap(db, storedId);
      const record = getSeriesRecord(db, summary.seriesId);
      const loaded = opts.sourcePath
        ? await loadVolumeFromPath(opts.sourcePath, opts.seriesUid ?? record.seriesInstanceUid)
        : await loadSeriesVolume(db, summary.seriesId);
      source = loaded.stack ? sourceFromStack(loaded, opts.sourcePath ?? `series ${summary.seriesId}`) : niftiSource(loaded, opts.sourcePath ?? '');
      // gated by the catalog's report of the series: the grid their figures were computed on
      annotations = { seriesId: summary.seriesId, rows: annotationRows(listAnnotations(db, summary.seriesId), record.geometry) };
      const edited = summary.source === 'edit' || labelMapVersion > 0;
      provenance = {
        labelsFrom: 'database',
        segmentationId: storedId,
        labelMapVersion,
        source: summary.source,
        name: summary.name,
        createdAt: summary.createdAt,
        ...(summary.model ? { model: summary.model } : {}),
        algorithmType: algorithmTypeOf(summary.source, summary.model !== undefined, edited),
      };
    } finally {
      if (!opts.db) db.close();
    }
  } else {
    const labelsPath = String(opts.labels);
    if (!opts.sourcePath) throw new AppError('INVALID_INPUT', 'A label map file needs its source series (PATH).');
    if (!isNiftiPath(labelsPath)) throw new AppError('INVALID_INPUT', `${labelsPath}: --labels takes a .nii/.nii.gz label map or a stored segmentation id.`);
    const loaded = await loadVolumeFromPath(opts.sourcePath, opts.seriesUid);
    source = loaded.stack ? sourceFromStack(loaded, opts.sourcePath) : niftiSource(loaded, opts.sourcePath);
    const seg = await readNiftiLabels(labelsPath);
    mapGeometry = seg.geometryReport;
    let table: LabelInfo[];
    if (opts.labelNamesPath) {
      const rows = parseLabelTable(await readFile(opts.labelNamesPath, 'utf8'));
      table = labelTableFor(seg.labels, { rows, lesionValues: opts.lesionValues });
    } else {
      const recorded = await readSidecarLabelTable(labelsPath);
      const present = labelTableFor(seg.labels, { lesionValues: opts.lesionValues });
      const byValue = new Map((recorded ?? []).map((l) => [l.value, l]));
      table = present.map((l) => byValue.get(l.value) ?? l);
      for (const l of recorded ?? []) if (!table.some((t) => t.value === l.value)) table.push(l);
      table.sort((a, b) => a.value - b.value);
    }
    rawMap = { dims: seg.dims, spacingMm: seg.spacingMm, originLps: seg.originLps, directionLps: seg.directionLps, labels: seg.labels, table };
    provenance = { labelsFrom: 'file', labelsPath, source: 'file', name: labelsPath, algorithmType: 'MANUAL' };
  }

  const volume = source.volume;
  let labelMap = rawMap;
  let placementWarnings: OutputWarning[] = [];
  if (!sameGrid(volume, rawMap)) {
    requirePlaceableLabelMap(mapGeometry, true);
    placementWarnings = labelMapPlacement(rawMap, volume).warnings;
    labelMap = { ...(resampleLabelMapNearest(rawMap, volume) as LabelMap), table: rawMap.table };
    notes.push('The label map was on another grid: it was resampled onto the series (nearest neighbour through LPS).');
  } else {
    // the series' grid (exactly): exporters place frames by the series' positions
    labelMap = { ...rawMap, dims: volume.dims, spacingMm: volume.spacingMm, originLps: volume.originLps, directionLps: volume.directionLps };
  }
  for (const w of placementWarnings) notes.push(`${w.code}: ${w.message}`);
  if (source.uidsDerived) {
    notes.push(
      'The source files carry no (or blank) DICOM UIDs: the references written were derived by medseg (2.25 UIDs) and will not resolve to the files in a PACS.',
    );
  }

  let measured: Promise<MeasurementResult> | undefined;
  return {
    source,
    labelMap,
    labels: labelMap.table,
    placementWarnings,
    provenance,
    notes,
    annotations,
    measurements() {
      measured ??= Promise.resolve().then(() => measureSegmentation(volume, labelMap, source.geometry, { connectivity: 6 }));
      return measured;
    },
  };
}

function niftiSource(loaded: LoadedVolume, label: string): ExportSource {
  return {
    label,
    kind: 'nifti',
    volume: loaded.volume,
    geometry: loaded.geometry,
    modality: loaded.modality,
    intensityUnit: intensityUnitFor(loaded.modality),
    instances: [],
    sliceSources: [],
    sliceDerivedFrom: [],
    uidsDerived: false,
  };
}
