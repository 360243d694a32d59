// Builds 3D volumes from the catalog or straight from a path (DICOM folder/file/zip or NIfTI), with a small cache.
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { Volume } from '../../../shared/domain/volume.js';
import type { DecodedFrame, DicomInstance } from '../dicom/types.js';
import { sharedDecodePool } from '../dicom/decodePool.js';
import { decodeAllFrames } from '../dicom/decode.js';
import { TS } from '../dicom/parse.js';
import { assembleSeries, type AssembledStack } from './assemble.js';
import { buildVolume, isCopyOnlyStack, type DecodeFrameFn } from './buildVolume.js';
import { ProgressiveBuild, type ProgressiveGrid } from './progressiveBuild.js';
import { buildFromCatalog, planCatalogOpen } from './catalogOpen.js';
import { readNifti } from '../nifti/nifti.js';
import { getSeriesRecord, seriesInstanceSources, type SeriesNode } from '../../db/catalog.js';
import { readInstances } from '../catalog/readInstances.js';
import { expandInputs, readSourceBytes, sourceLabel, type SourceRef } from '../catalog/sources.js';

export interface LoadedVolume {
  volume: Volume;
  geometry: GeometryReport;
  seriesInstanceUid: string;
  modality: string;
  /** Body Part Examined of the first slice ('' when not recorded, or for NIfTI). */
  bodyPart: string;
  description: string;
  /** DICOM only: the stack the volume was built from (exporters reference its instances). */
  stack?: AssembledStack;
}

export function isNiftiPath(p: string): boolean {
  return /\.nii(\.gz)?$/i.test(p);
}

const NATIVE_SYNTAXES = new Set<string>([TS.implicitLittle, TS.explicitLittle, TS.explicitBig]);

// The same warm workers that read the headers decode the pixels: started once per process.
const sharedPool = sharedDecodePool;

/**
 * Decodes the frames of a stack, each file once and whole (all its frames), in the worker pool when it is
 * available. Zip members, gzip-compressed files and any file a worker could not read by path are read here
 * and their bytes handed to the pool.
 */
export function stackDecoder(): DecodeFrameFn {
  const framesBySource = new Map<string, Promise<DecodedFrame[]>>();
  const remaining = new Map<string, number>();
  const decodeHere = async (ref: SourceRef, instance: DicomInstance, into?: Int16Array): Promise<DecodedFrame[]> => {
    const bytes = await readSourceBytes(ref);
    // Bytes already read here: uncompressed pixels are a copy and a rescale, cheaper than sending the file over.
    return NATIVE_SYNTAXES.has(instance.transferSyntaxUid) ? decodeAllFrames(bytes, instance, into) : sharedPool().decodeBytes(bytes, instance, into);
  };
  // `into` (single-frame files only: a file is decoded whole, once) lets the slice be written where it belongs.
  return async (instance, frameIndex, into) => {
    if (instance.numberOfFrames !== 1) into = undefined;
    const ref: SourceRef = instance.archiveMember ? { path: instance.path, archiveMember: instance.archiveMember } : { path: instance.path };
    const key = sourceLabel(ref);
    let frames = framesBySource.get(key);
    if (!frames) {
      frames =
        // Files on disk, uncompressed ones too, are read and decoded by the workers (in parallel, buffers transferred).
        ref.archiveMember || /\.gz$/i.test(ref.path) || sharedPool().inProcess
          ? decodeHere(ref, instance, into)
          : sharedPool()
              .decodeFile(ref.path, instance, into)
              // Only a file the worker could not read is retried here; a file that broke a worker's limits is not.
              .catch((err: unknown) => (err instanceof AppError && err.code === 'IO_ERROR' ? decodeHere(ref, instance, into) : Promise.reject(err)));
      framesBySource.set(key, frames);
      remaining.set(key, instance.numberOfFrames);
    }
    const all = await frames;
    // forget a file's decoded frames once all of them were handed out
    const left = (remaining.get(key) ?? 1) - 1;
    if (left <= 0) {
      framesBySource.delete(key);
      remaining.delete(key);
    } else remaining.set(key, left);
    const frame = all[frameIndex];
    if (!frame) throw new AppError('DECODE_FAILED', `${key}: frame ${frameIndex + 1} is missing (the file holds ${all.length}).`);
    return frame;
  };
}

/** `sharedMemory`: see BuildVolumeOptions (for volumes that stay in Node, e.g. the CLI's). */
export async function buildStackVolume(
  stack: AssembledStack,
  progress?: ProgressiveBuild,
  options: { sharedMemory?: boolean } = {},
): Promise<{ volume: Volume; geometry: GeometryReport }> {
  // Enough files in flight that no worker waits for the next message while another one is on its way.
  const concurrency = Math.max(4, sharedPool().size * 3);
  if (!progress?.progressive) return buildVolume(stack, stackDecoder(), { concurrency, sharedMemory: options.sharedMemory });
  return buildVolume(stack, stackDecoder(), { concurrency, order: progress.sliceOrder, onSlice: (k, voxels) => progress.sliceDone(k, voxels) });
}

export function pickStack(stacks: AssembledStack[], seriesUid: string | undefined, where: string): AssembledStack {
  if (stacks.length === 0) throw new AppError('NOT_FOUND', `No DICOM image series found in ${where}.`);
  if (!seriesUid) return stacks[0];
  const hit = stacks.find((s) => s.seriesInstanceUid === seriesUid);
  if (!hit) {
    throw new AppError('NOT_FOUND', `Series ${seriesUid} is not in ${where}; found: ${[...new Set(stacks.map((s) => s.seriesInstanceUid))].join(', ')}.`);
  }
  return hit;
}

/** `options.sharedMemory`: see BuildVolumeOptions; only for volumes that are never served to a browser or Electron. */
export async function loadVolumeFromPath(path: string, seriesUid?: string, options: { sharedMemory?: boolean } = {}): Promise<LoadedVolume> {
  if (isNiftiPath(path)) {
    const nifti = await readNifti(path);
    return {
      volume: nifti.volume,
      // The file's own report (recorded status + header findings), never a blanket 'ok'.
      geometry: nifti.geometry,
      seriesInstanceUid: '',
      modality: '',
      bodyPart: '',
      description: path,
    };
  }
  const expanded = await expandInputs([path]);
  if (expanded.sources.length === 0) {
    throw new AppError('NOT_FOUND', expanded.errors[0]?.message ?? `Nothing to read in ${path}.`);
  }
  const instances = await readInstances(expanded.sources);
  const stack = pickStack(assembleSeries(instances), seriesUid, path);
  return loadedStack(stack, undefined, options.sharedMemory);
}

/** The volume of an assembled stack with what the catalog and the models need to know about it. */
export async function loadedStack(stack: AssembledStack, progress?: ProgressiveBuild, sharedMemory?: boolean): Promise<LoadedVolume> {
  const built = await buildStackVolume(stack, progress, { sharedMemory });
  return {
    ...built,
    seriesInstanceUid: stack.seriesInstanceUid,
    modality: stack.modality,
    bodyPart: stack.frames[0]?.instance.bodyPartExamined ?? '',
    description: stack.description ?? '',
    stack,
  };
}

// Volumes are large (a 512x512x300 CT is 150 MB as int16): keep only a few.
const CACHE_SIZE = 3;
const cache = new Map<string, Promise<LoadedVolume>>();
// The build of each cached volume, known once its headers are read (same keys as the cache).
const builds = new Map<string, Promise<ProgressiveBuild>>();

/**
 * The progressive view of a series' volume: starts its build (or joins the one running, or the cached result) and
 * resolves as soon as the headers are read. The complete volume is loadSeriesVolume's, the same bytes.
 */
export async function openSeriesProgressively(db: Database, seriesId: number): Promise<{ build: ProgressiveBuild; loaded: Promise<LoadedVolume> }> {
  const loaded = loadSeriesVolume(db, seriesId);
  const build = builds.get(seriesKey(db, seriesId));
  if (!build) throw new AppError('INTERNAL', `series ${seriesId}: its volume build is not registered`);
  return { build: await build, loaded };
}

function seriesKey(db: Database, seriesId: number): string {
  const record = getSeriesRecord(db, seriesId);
  return `${db.name}\u0000${seriesId}\u0000${record.importedAt}\u0000${record.frameCount}`;
}

export function loadSeriesVolume(db: Database, seriesId: number): Promise<LoadedVolume> {
  const record = getSeriesRecord(db, seriesId);
  const key = seriesKey(db, seriesId);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let buildKnown!: (b: ProgressiveBuild) => void;
  let buildFailed!: (e: unknown) => void;
  const build = new Promise<ProgressiveBuild>((resolve, reject) => ((buildKnown = resolve), (buildFailed = reject)));
  build.catch(() => undefined);
  builds.set(key, build);
  const job = (async (): Promise<LoadedVolume> => {
    // Copy-only series open from the catalog: grid and slice placement from what the import stored, the first slice
    // decoded before any other file is read. Anything else reads every header first, as it always did.
    const fromCatalog = planCatalogOpen(db, seriesId, record);
    if (fromCatalog) {
      const progress = new ProgressiveBuild(gridOfRecord(record), true);
      buildKnown(progress);
      return finish(progress, buildFromCatalog(fromCatalog, progress));
    }
    const sources = seriesInstanceSources(db, seriesId);
    const errors: string[] = [];
    const instances = await readInstances(sources, { onError: (s, err) => errors.push(`${sourceLabel(s)}: ${err.message}`) });
    if (errors.length > 0) {
      throw new AppError('IO_ERROR', `Series ${seriesId} cannot be loaded: ${errors.length} of its files are missing or unreadable (${errors[0]}).`);
    }
    const stack = assembleSeries(instances).find((s) => s.stackKey === record.stackKey && s.seriesInstanceUid === record.seriesInstanceUid);
    if (!stack) throw new AppError('INCONSISTENT_GEOMETRY', `Series ${seriesId}: its files no longer form the stack that was imported.`);
    const progress = new ProgressiveBuild(gridOfStack(stack), isCopyOnlyStack(stack) && stack.frames.length === stack.dims[2]);
    buildKnown(progress);
    return finish(progress, loadedStack(stack, progress));
  })();
  job.catch((err: unknown) => {
    buildFailed(err);
    cache.delete(key);
    builds.delete(key);
  });
  cache.set(key, job);
  while (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next().value as string;
    cache.delete(oldest);
    builds.delete(oldest);
  }
  return job;
}

/** Marks the build complete (every slice final) or failed, as the volume job ends. */
async function finish(progress: ProgressiveBuild, building: Promise<LoadedVolume>): Promise<LoadedVolume> {
  try {
    const loaded = await building;
    progress.complete(loaded.volume.voxels);
    return loaded;
  } catch (err) {
    progress.fail(err);
    throw err;
  }
}

function gridOfStack(stack: AssembledStack): ProgressiveGrid {
  const { dims, spacingMm, originLps, directionLps, modality, geometry } = stack;
  return { dims, spacingMm, originLps, directionLps, modality, geometry };
}

/** The catalog's grid and geometry verdict, stored at import from the same headers. */
function gridOfRecord(record: SeriesNode): ProgressiveGrid {
  const { dims, spacingMm, originLps, directionLps, modality, geometry } = record;
  return { dims, spacingMm, originLps, directionLps, modality, geometry };
}

export function clearVolumeCache(): void {
  cache.clear();
  builds.clear();
}
