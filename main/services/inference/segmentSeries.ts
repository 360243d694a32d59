// What callers use: run a model on a catalog series (or any volume) and store the result as a 'model'
// segmentation with the exact weights (sha256), provider, parameters and time; per-label voxels and mL.
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import { voxelVolumeMl, type Volume } from '../../../shared/domain/volume.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
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

/** Refuses volumes whose geometry cannot give mm/mL: a model result on them would report wrong volumes. */
export function assertSegmentable(volume: Volume, geometry: GeometryReport, model: ModelFolder): void {
  requirePhysicalUnits(geometry, 'Segmenting (the result is reported in mL)');
  if (volume.dims[2] < 1) throw new AppError('INVALID_INPUT', 'The volume has no slices.');
  void model;
}

export function saveModelSegmentation(db: Database, seriesId: number, model: ModelFolder, result: SegmentResult): number {
  const m = model.manifest;
  return saveSegmentation(db, {
    seriesId,
    source: 'model',
    name: `${m.name} ${m.version}`,
    labelMap: result.labelMap,
    model: { id: m.id, version: m.version, sha256: model.sha256 },
    provider: result.provider,
    params: { ...result.params, fallbacks: result.fallbacks },
    seconds: result.seconds,
  });
}

export interface SeriesSegmentationJob {
  cancel(): void;
  /** Resolves once the result is stored (one transaction: a cancelled or failed run stores nothing). */
  promise: Promise<{ segmentationId: number; result: SegmentResult }>;
}

/** Segments a catalog series in the background and stores the result. */
export function segmentSeries(db: Database, seriesId: number, model: ModelFolder, opts: JobOptions): SeriesSegmentationJob {
  let job: SegmentationJob | null = null;
  let cancelled = false;
  const promise = (async () => {
    const loaded = await loadSeriesVolume(db, seriesId);
    assertSegmentable(loaded.volume, loaded.geometry, model);
    if (cancelled) throw new AppError('CANCELLED', 'Segmentation cancelled; nothing was saved.');
    job = startSegmentation(loaded.volume, model, opts);
    const result = await job.promise;
    // A cancel that arrives after the last tile but before the save still means: store nothing.
    if (cancelled) throw new AppError('CANCELLED', 'Segmentation cancelled; nothing was saved.');
    return { segmentationId: saveModelSegmentation(db, seriesId, model, result), result };
  })();
  return {
    promise,
    cancel() {
      cancelled = true;
      job?.cancel();
    },
  };
}
