// Opens a catalogued series from what its import stored, without a header pass: the grid and the file of each slice k
// come from the catalog, so the slice the viewer shows first is decoded before any other file is read. Each file is
// read once (header and pixels, in the decode workers) and its header must still place it where the catalog did, or
// the build stops (INCONSISTENT_GEOMETRY) before that slice is served. Once every file is in, their headers are
// assembled exactly as the header-first path assembles them and must give this stack slice for slice: the complete
// volume is then that path's volume, voxel for voxel, with the geometry report of the files as they are now.
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import { placeSlicesFromCatalog, samePlacement } from '../../../shared/domain/progressive/catalogPlacement.js';
import { sameGrid } from '../../../shared/domain/volume.js';
import type { SeriesNode } from '../../db/catalog.js';
import { seriesCataloguedInstances, type CataloguedInstance } from '../../db/catalogSlices.js';
import { sharedDecodePool, type DecodePool } from '../dicom/decodePool.js';
import type { DicomInstance } from '../dicom/types.js';
import { assembleSeries } from './assemble.js';
import { greyValuesOf, isCopyOnlyStack, VolumeWriter } from './buildVolume.js';
import type { ProgressiveBuild } from './progressiveBuild.js';
import type { LoadedVolume } from './volumes.js';

export interface CatalogOpenPlan {
  record: SeriesNode;
  /** files[k]: the catalogued instance whose only frame is slice k. */
  files: CataloguedInstance[];
}

/** The plan to open a series from the catalog, or null when its slices cannot be placed from the catalog alone. */
export function planCatalogOpen(db: Database, seriesId: number, record: SeriesNode): CatalogOpenPlan | null {
  const instances = seriesCataloguedInstances(db, seriesId);
  // zip members are read through their archive, a path at a time: the header-first path handles them
  if (instances.some((i) => i.archiveMember)) return null;
  const order = placeSlicesFromCatalog(record, instances);
  return order ? { record, files: order.map((i) => instances[i]) } : null;
}

/**
 * Decodes every slice of a planned series into one volume in the build's order (a slice asked for ahead of its turn
 * goes next), handing each slice to `progress` as soon as it is in place.
 */
export async function buildFromCatalog(plan: CatalogOpenPlan, progress: ProgressiveBuild, pool: DecodePool = sharedDecodePool()): Promise<LoadedVolume> {
  const { record, files } = plan;
  const [nx, ny, nz] = record.dims;
  const writer = new VolumeWriter(nx * ny * nz, nx * ny);
  const instances: DicomInstance[] = new Array(nz);
  const started = new Uint8Array(nz);
  // Slices asked for ahead of their turn (the one on screen after a scroll): the latest first.
  const wanted: number[] = [];
  progress.onWanted = (k) => {
    if (!started[k]) wanted.push(k);
  };
  let cursor = 0;
  let failed = false;
  const next = (): number | undefined => {
    if (failed) return undefined;
    while (wanted.length > 0) {
      const k = wanted.pop() as number;
      if (!started[k]) return k;
    }
    while (cursor < progress.sliceOrder.length) {
      const k = progress.sliceOrder[cursor++];
      if (!started[k]) return k;
    }
    return undefined;
  };
  const changed = (file: CataloguedInstance, k: number, what: string): AppError =>
    new AppError(
      'INCONSISTENT_GEOMETRY',
      `Series ${record.seriesId}: ${file.path} is no longer the file imported as slice ${k + 1} of ${nz} (${what}); import the series again.`,
    );
  const decodeSlice = async (k: number): Promise<void> => {
    const file = files[k];
    const opened = await pool.openFile(file.path).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'IO_ERROR') {
        throw new AppError('IO_ERROR', `Series ${record.seriesId} cannot be loaded: a file is missing or unreadable (${err.message}).`);
      }
      throw err;
    });
    const inst = opened.instance;
    if (inst.sopInstanceUid !== file.sopInstanceUid) throw changed(file, k, `SOP Instance UID ${inst.sopInstanceUid}`);
    const frame = inst.frames[0];
    if (inst.numberOfFrames !== 1 || opened.frames.length !== 1 || !frame) throw changed(file, k, `${inst.numberOfFrames} frames`);
    const position = file.positionLps;
    if (
      !position ||
      !samePlacement(record, position, {
        positionLps: frame.imagePositionPatient,
        orientation: frame.imageOrientationPatient,
        columns: inst.columns,
        rows: inst.rows,
      })
    ) {
      throw changed(file, k, 'its position, orientation or size differs');
    }
    const values = greyValuesOf(opened.frames[0], file.path, 0, ny, nx);
    instances[k] = inst;
    progress.sliceDone(k, writer.putSlice(k, values));
  };
  // Enough files in flight that no worker waits for the next message while another one is on its way.
  const concurrency = Math.min(nz, Math.max(4, pool.size * 3));
  const worker = async (): Promise<void> => {
    for (let k = next(); k !== undefined; k = next()) {
      started[k] = 1;
      try {
        await decodeSlice(k);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    progress.onWanted = null;
  }

  // The headers as the header-first path would assemble them: the same stack, slice for slice, or the files changed.
  const stack = assembleSeries(instances).find((s) => s.seriesInstanceUid === record.seriesInstanceUid && s.frames.length === nz);
  if (!stack || !stack.frames.every((f, k) => f.instance === instances[k] && f.frameIndex === 0) || !isCopyOnlyStack(stack) || !sameGrid(stack, record, 1e-3)) {
    throw new AppError('INCONSISTENT_GEOMETRY', `Series ${record.seriesId}: its files no longer form the stack that was imported; import the series again.`);
  }
  return {
    volume: {
      dims: [...stack.dims],
      spacingMm: [...stack.spacingMm],
      originLps: [...stack.originLps],
      directionLps: [[...stack.directionLps[0]], [...stack.directionLps[1]], [...stack.directionLps[2]]],
      voxels: writer.voxels,
    },
    geometry: stack.geometry,
    seriesInstanceUid: stack.seriesInstanceUid,
    modality: stack.modality,
    bodyPart: stack.frames[0].instance.bodyPartExamined ?? '',
    description: stack.description ?? '',
    stack,
  };
}
