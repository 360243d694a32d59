// Imports DICOM from files, folders, zips and DICOMDIRs into the catalog: headers only, one bad file never aborts.
import type { Database } from 'better-sqlite3';
import { AppError, type ErrorCode } from '../../../shared/errors.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import type { DicomInstance } from '../dicom/types.js';
import { assembleSeries, type AssembledStack } from '../series/assemble.js';
import { expandInputs, readSourceBytes, sourceLabel, type SourceRef } from './sources.js';
import { readInstances, type ImportOptions } from './readInstances.js';
import { importDicomSeg, type ImportedSegmentationSummary } from '../labelImport/importLabels.js';
import { SEG_SOP_CLASS_UID } from '../labelImport/dicomSegRead.js';
import { importSegNrrdFile, isSegNrrdPath } from '../labelImport/segNrrdImport.js';
import { catalogedSeriesFiles, finishImportLog, knownInstanceLookup, startImportLog, writeCatalogSeries, type CatalogSeriesWrite } from '../../db/catalog.js';

export interface ImportedSeriesSummary {
  seriesId: number;
  seriesInstanceUid: string;
  modality: string;
  description: string;
  dims: Vec3;
  geometry: GeometryReport;
  instances: number;
  isNew: boolean;
}

export interface ImportSummary {
  filesTotal: number;
  /** Files read as DICOM images (before duplicate removal); DICOM SEG files are counted in `segmentations` or `errors` instead. */
  imagesRead: number;
  instancesAdded: number;
  duplicatesSkipped: number;
  /** Files that are not DICOM images (non-DICOM, DICOMDIR, SR/RT objects without pixels). */
  skipped: { path: string; reason: string }[];
  errors: { path: string; code: ErrorCode; message: string }[];
  series: ImportedSeriesSummary[];
  /** DICOM SEG (and .seg.nrrd) files stored as segmentations of their series. */
  segmentations?: ImportedSegmentationSummary[];
}

// Header reading lives in readInstances.ts (commands that only read, e.g. `medseg info`, load no catalog code).
export { readInstances, type ImportOptions, type ImportProgress } from './readInstances.js';

// Moved beside the DICOM reader (the header workers derive identifiers too); re-exported for existing callers.
export { fillMissingIdentifiers } from '../dicom/identity.js';

export async function importPaths(db: Database, paths: string[], opts: ImportOptions = {}): Promise<ImportSummary> {
  const startedAt = new Date().toISOString();
  // .seg.nrrd label maps are not DICOM: imported after the images, onto the series they belong to
  const nrrdPaths = paths.filter(isSegNrrdPath);
  paths = paths.filter((p) => !isSegNrrdPath(p));
  const expanded = await expandInputs(paths);
  const summary: ImportSummary = {
    // DICOMDIR files are counted and listed as skipped: their records were followed, they hold no image
    filesTotal: expanded.sources.length + expanded.dicomdirs.length,
    imagesRead: 0,
    instancesAdded: 0,
    duplicatesSkipped: 0,
    skipped: expanded.dicomdirs.map((path) => ({ path, reason: 'DICOMDIR (its records were followed)' })),
    errors: expanded.errors.map((e) => ({ path: e.path, code: e.code, message: e.message })),
    series: [],
  };
  const importId = startImportLog(db, startedAt, paths);

  const instances = await readInstances(expanded.sources, {
    ...opts,
    onError: (s, err) => {
      if (err.code === 'NOT_DICOM') summary.skipped.push({ path: sourceLabel(s), reason: err.message });
      else summary.errors.push({ path: sourceLabel(s), code: err.code, message: err.message });
    },
    onSkip: (s, reason) => summary.skipped.push({ path: sourceLabel(s), reason }),
  });

  summary.imagesRead = instances.length;
  // Duplicate SOP Instance UIDs: imported once, whether repeated in this batch or already in the catalog.
  const known = knownInstanceLookup(db);
  const fresh: DicomInstance[] = [];
  const seenUids = new Set<string>();
  const segInstances: DicomInstance[] = [];
  for (const inst of instances) {
    // a SEG is a label map of another series, never an image series of its own
    if (inst.sopClassUid === SEG_SOP_CLASS_UID) {
      segInstances.push(inst);
      continue;
    }
    if (seenUids.has(inst.sopInstanceUid) || known(inst.sopInstanceUid)) {
      summary.duplicatesSkipped++;
      continue;
    }
    seenUids.add(inst.sopInstanceUid);
    fresh.push(inst);
  }

  // A series that already has instances in the catalog is re-assembled with them, so that added slices land
  // in the right place of the existing stack rather than forming a second, partial one.
  const bySeries = new Map<string, DicomInstance[]>();
  for (const inst of fresh) {
    const list = bySeries.get(inst.seriesInstanceUid) ?? [];
    list.push(inst);
    bySeries.set(inst.seriesInstanceUid, list);
  }
  for (const [seriesUid, list] of bySeries) {
    const existing = existingSources(db, seriesUid);
    if (existing.length > 0) list.push(...(await readInstances(existing)));
  }

  const stacks = assembleSeries([...bySeries.values()].flat());
  const write = db.transaction(() => {
    for (const stack of stacks) {
      const r = writeStack(db, stack);
      summary.instancesAdded += r.instancesAdded;
      summary.series.push(r.summary);
    }
  });
  write();
  const segmentations: ImportedSegmentationSummary[] = [];
  for (const inst of segInstances) {
    const ref: SourceRef = inst.archiveMember ? { path: inst.path, archiveMember: inst.archiveMember } : { path: inst.path };
    try {
      segmentations.push(await importDicomSeg(db, await readSourceBytes(ref), sourceLabel(ref)));
    } catch (err) {
      const e = err instanceof AppError ? err : new AppError('INTERNAL', String((err as Error).message ?? err));
      summary.errors.push({ path: sourceLabel(ref), code: e.code, message: e.message });
    }
  }
  for (const path of nrrdPaths) {
    summary.filesTotal++;
    try {
      segmentations.push(await importSegNrrdFile(db, path));
    } catch (err) {
      const e = err instanceof AppError ? err : new AppError('INTERNAL', String((err as Error).message ?? err));
      summary.errors.push({ path, code: e.code, message: e.message });
    }
  }
  if (segmentations.length > 0) summary.segmentations = segmentations;
  summary.imagesRead -= segInstances.length;
  finishImportLog(db, importId, { ...summary, series: summary.series.map((s) => s.seriesId) });
  return summary;
}

function existingSources(db: Database, seriesUid: string): SourceRef[] {
  return catalogedSeriesFiles(db, seriesUid).map((r) => (r.member ? { path: r.path, archiveMember: r.member } : { path: r.path }));
}

function writeStack(db: Database, stack: AssembledStack): { instancesAdded: number; summary: ImportedSeriesSummary } {
  const first = stack.frames[0].instance;
  const instances: CatalogSeriesWrite['instances'] = [];
  const seen = new Set<string>();
  for (const { instance } of stack.frames) {
    if (seen.has(instance.sopInstanceUid)) continue; // multi-frame: one row per instance
    seen.add(instance.sopInstanceUid);
    instances.push({
      sopInstanceUid: instance.sopInstanceUid,
      filePath: instance.path,
      archiveMember: instance.archiveMember ?? null,
      transferSyntaxUid: instance.transferSyntaxUid,
      instanceNumber: instance.instanceNumber ?? null,
      frameCount: instance.numberOfFrames,
      positionLps: instance.frames[0]?.imagePositionPatient ?? null,
    });
  }
  const written = writeCatalogSeries(db, {
    patient: { patientId: first.patientId, patientName: first.patientName, birthDate: first.patientBirthDate ?? null, sex: first.patientSex ?? null },
    study: {
      studyInstanceUid: first.studyInstanceUid,
      studyDate: first.studyDate ?? null,
      studyTime: first.studyTime ?? null,
      description: first.studyDescription ?? null,
      accessionNumber: first.accessionNumber ?? null,
    },
    series: {
      seriesInstanceUid: stack.seriesInstanceUid,
      stackKey: stack.stackKey,
      modality: stack.modality,
      description: stack.description ?? null,
      seriesNumber: first.seriesNumber ?? null,
      frameOfReferenceUid: first.frameOfReferenceUid ?? null,
      dims: stack.dims,
      spacingMm: stack.spacingMm,
      originLps: stack.originLps,
      directionLps: stack.directionLps,
      geometry: stack.geometry,
      transferSyntaxes: stack.transferSyntaxes,
      frameCount: stack.frames.length,
    },
    instances,
  });
  return {
    instancesAdded: written.instancesAdded,
    summary: {
      seriesId: written.seriesId,
      seriesInstanceUid: stack.seriesInstanceUid,
      modality: stack.modality,
      description: stack.description ?? '',
      dims: stack.dims,
      geometry: stack.geometry,
      instances: seen.size,
      isNew: written.isNew,
    },
  };
}
