// What callers use: run a model on a catalog series (or any volume) and store the result as a 'model'
// segmentation with the exact weights (sha256), provider, parameters and time; per-label voxels and mL. A model
// runs only on the modality (and body region) it was made for unless the caller overrides it, recorded in params.
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import { sameGrid, voxelVolumeMl, type Mat3, type Volume, type VolumeGeometry } from '../../../shared/domain/volume.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { orientationMismatch, sliceOrientation, voxelAxesMismatch } from '../../../shared/domain/inference/modelChoice.js';
import { listCatalog } from '../../db/catalog.js';
import { saveSegmentation } from '../../db/segmentations.js';
import { loadSeriesVolume } from '../series/volumes.js';
import type { SegmentResult } from './engine.js';
import type { ModelFolder } from './registry.js';
import { startSegmentation, type JobOptions, type SegmentationJob } from './runner.js';

export interface LabelVolume {
  value: number;
  name: string;
  voxels: number;
  volumeMl: number;
}

/** Voxels and mL of every label of the table (0 when absent), in table order. */
export function labelVolumes(labelMap: LabelMap): LabelVolume[] {
  const counts = new Float64Array(labelMap.labels instanceof Uint8Array ? 256 : 65536);
  for (let n = 0; n < labelMap.labels.length; n++) counts[labelMap.labels[n]]++;
  const ml = voxelVolumeMl(labelMap);
  return labelMap.table.map((l) => ({ value: l.value, name: l.name, voxels: counts[l.value], volumeMl: counts[l.value] * ml }));
}

/**
 * Refuses series whose geometry cannot give mm/mL: a model result on them would report wrong volumes. Checked before
 * the modality: no override helps here, so the user hears of it first.
 */
export function assertGeometrySegmentable(geometry: GeometryReport): void {
  requirePhysicalUnits(geometry, 'Segmenting (the result is reported in mL)');
}

/** Refuses volumes whose geometry cannot give mm/mL, or that have no slices. */
export function assertSegmentable(volume: Volume, geometry: GeometryReport, model: ModelFolder): void {
  assertGeometrySegmentable(geometry);
  if (volume.dims[2] < 1) throw new AppError('INVALID_INPUT', 'The volume has no slices.');
  void model;
}

/** What the input says it is: DICOM Modality and Body Part Examined ('' where not recorded, e.g. NIfTI). */
export interface SeriesKind {
  modality: string;
  bodyPart?: string;
  /** The grid's axes; a 3D nnU-Net model needs the slice orientation it was trained on. */
  directionLps?: Mat3;
}

/** The provenance of the modality check, stored in the segmentation's params. */
export interface ModalityCheck {
  seriesModality: string;
  modelModality: string;
  seriesBodyPart: string | null;
  modelBodyRegion: string[] | null;
  /** True only when the series did not fit and the user chose to run the model anyway. */
  mismatchAllowed: boolean;
  mismatch: string | null;
}

/** Body Part Examined values that name no region (the model's region may be inside them). */
const UNSPECIFIC_BODY_PARTS = new Set(['', 'PARTIALBODY', 'WHOLEBODY', 'BODY', 'UNKNOWN']);

/**
 * A model made for abdominal CT "finds" liver and spleen in a brain MR, and measuring that would report MR signal
 * as HU. Refuses a series of another modality (or another body region, where the manifest states one and the
 * series names one) with MODALITY_MISMATCH unless `allowMismatch` is the user's explicit choice.
 */
export function checkModelFits(model: ModelFolder, series: SeriesKind, allowMismatch: boolean): ModalityCheck {
  const m = model.manifest;
  const seriesModality = series.modality.trim().toUpperCase();
  const bodyPart = (series.bodyPart ?? '').trim().toUpperCase().replace(/\s+/g, '');
  let mismatch: string | null = null;
  if (seriesModality === '') {
    mismatch = `the input does not record its modality (a NIfTI file never does); model ${m.id} is for ${m.modality}`;
  } else if (seriesModality !== m.modality) {
    mismatch = `the series is ${seriesModality} but model ${m.id} was made for ${m.modality}`;
  } else if (m.bodyRegion && !UNSPECIFIC_BODY_PARTS.has(bodyPart) && !m.bodyRegion.some((r) => r.replace(/\s+/g, '') === bodyPart)) {
    mismatch = `the series shows ${bodyPart} but model ${m.id} was made for ${m.bodyRegion.join('/')}`;
  } else if (series.directionLps) {
    const why = orientationMismatch(m, sliceOrientation(series.directionLps)) ?? voxelAxesMismatch(m, series.directionLps);
    if (why) mismatch = `${why} (model ${m.id})`;
  }
  if (mismatch && !allowMismatch) {
    throw new AppError(
      'MODALITY_MISMATCH',
      `Model refused: ${mismatch}. Its labels and measurements would be meaningless here; choose a model for this series, ` +
        'or override explicitly (CLI --allow-modality-mismatch; recorded with the result).',
    );
  }
  return {
    seriesModality,
    modelModality: m.modality,
    seriesBodyPart: bodyPart === '' ? null : bodyPart,
    modelBodyRegion: m.bodyRegion ?? null,
    mismatchAllowed: mismatch !== null,
    mismatch,
  };
}

/**
 * The catalog series that holds exactly the stack at `grid`: importing files already in the catalog adds nothing
 * and lists nothing, so the series is looked up by UID, and its grid must be the one segmented: a catalog series
 * with more (or other) slices under the same UID would put the stored labels on the wrong slices.
 */
export function findCatalogSeries(db: Database, seriesInstanceUid: string, grid: VolumeGeometry): number {
  const candidates = listCatalog(db)
    .flatMap((p) => p.studies.flatMap((s) => s.series))
    .filter((s) => s.seriesInstanceUid === seriesInstanceUid);
  if (candidates.length === 0) throw new AppError('NOT_FOUND', `Series ${seriesInstanceUid} is not in the catalog.`);
  const hit = candidates.find((s) => sameGrid({ dims: s.dims, spacingMm: s.spacingMm, originLps: s.originLps, directionLps: s.directionLps }, grid, 0.01));
  if (!hit) {
    const held = candidates.map((s) => `series ${s.seriesId}: ${s.dims.join('x')}`).join(', ');
    throw new AppError(
      'INCONSISTENT_GEOMETRY',
      `The catalog holds series ${seriesInstanceUid} on another grid (${held}) than these files (${grid.dims.join('x')}): ` +
        'a result stored there would sit on the wrong slices. Segment the catalog series itself, or write the result with -o only.',
    );
  }
  return hit.seriesId;
}

export function saveModelSegmentation(db: Database, seriesId: number, model: ModelFolder, result: SegmentResult, check?: ModalityCheck): number {
  const m = model.manifest;
  return saveSegmentation(db, {
    seriesId,
    source: 'model',
    name: `${m.name} ${m.version}`,
    labelMap: result.labelMap,
    model: { id: m.id, version: m.version, sha256: model.sha256 },
    provider: result.provider,
    params: { ...result.params, fallbacks: result.fallbacks, ...(check ? { modalityCheck: check } : {}) },
    seconds: result.seconds,
  });
}

export interface SeriesJobOptions extends JobOptions {
  /** The user's explicit choice to run a model on a series of another modality or body region. */
  allowModalityMismatch?: boolean;
}

export interface SeriesSegmentationJob {
  cancel(): void;
  /** Resolves once the result is stored (one transaction: a cancelled or failed run stores nothing). */
  promise: Promise<{ segmentationId: number; result: SegmentResult }>;
}

/** Segments a catalog series in the background and stores the result. */
export function segmentSeries(db: Database, seriesId: number, model: ModelFolder, opts: SeriesJobOptions): SeriesSegmentationJob {
  let job: SegmentationJob | null = null;
  let cancelled = false;
  const { allowModalityMismatch, ...jobOpts } = opts;
  const promise = (async () => {
    const loaded = await loadSeriesVolume(db, seriesId);
    assertSegmentable(loaded.volume, loaded.geometry, model);
    const check = checkModelFits(
      model,
      { modality: loaded.modality, bodyPart: loaded.bodyPart, directionLps: loaded.volume.directionLps },
      allowModalityMismatch === true,
    );
    if (cancelled) throw new AppError('CANCELLED', 'Segmentation cancelled; nothing was saved.');
    job = startSegmentation(loaded.volume, model, jobOpts);
    const result = await job.promise;
    // A cancel that arrives after the last tile but before the save still means: store nothing.
    if (cancelled) throw new AppError('CANCELLED', 'Segmentation cancelled; nothing was saved.');
    return { segmentationId: saveModelSegmentation(db, seriesId, model, result, check), result };
  })();
  return {
    promise,
    cancel() {
      cancelled = true;
      job?.cancel();
    },
  };
}
