// `medseg convert`: a DICOM series (or NIfTI file) to NIfTI. The usual CT/MR case, an uncompressed .nii of a stack
// copied slice for slice whose every file decodes to int16 (known from the headers), is written by the decode workers
// straight into the file, each slice at its place: no volume is held, no slice is copied between threads. Everything
// else (gzip, resampled stacks, other value types, archives) builds the volume and writes it, as before.
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import { AppError } from '../../../shared/errors.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { Vec3, VolumeGeometry } from '../../../shared/domain/volume.js';
import { decodesToInt16 } from '../dicom/decode.js';
import { sharedDecodePool, type DecodePool } from '../dicom/decodePool.js';
import { expandInputs } from '../catalog/sources.js';
import { readInstances } from '../catalog/readInstances.js';
import { assembleSeries, type AssembledStack } from '../series/assemble.js';
import { isCopyOnlyStack } from '../series/buildVolume.js';
import { isNiftiPath, loadedStack, loadVolumeFromPath, pickStack } from '../series/volumes.js';
import { writeNifti, writeNiftiFromParts } from './nifti.js';

export interface ConvertOptions {
  seriesUid?: string;
  /** Write an unsafe series anyway (it stays marked unsafe in the file). */
  force?: boolean;
}

export interface ConvertResult {
  seriesInstanceUid: string;
  dims: Vec3;
  spacingMm: Vec3;
  geometry: GeometryReport;
  /** 'slices': written slice by slice by the decode workers; 'volume': built in memory, then written. */
  writtenFrom: 'slices' | 'volume';
}

const GATE_WHAT = 'Writing NIfTI (a grid in mm) without --force';

export async function convertToNifti(input: string, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (isNiftiPath(input)) {
    const loaded = await loadVolumeFromPath(input);
    return writeVolume(loaded.volume, loaded.geometry, loaded.seriesInstanceUid, output, options);
  }
  const expanded = await expandInputs([input]);
  if (expanded.sources.length === 0) throw new AppError('NOT_FOUND', expanded.errors[0]?.message ?? `Nothing to read in ${input}.`);
  const stack = pickStack(assembleSeries(await readInstances(expanded.sources)), options.seriesUid, input);
  // A NIfTI file is a grid in mm: the same gate as every other mm output, unless the user insists.
  if (!options.force) requirePhysicalUnits(stack.geometry, GATE_WHAT);
  const pool = sharedDecodePool();
  if (writableSliceBySlice(stack, output, pool)) {
    await writeNiftiFromParts(output, stack, 'int16', { geometry: stack.geometry }, (fd, voxOffset) => writeSlices(stack, pool, fd, voxOffset));
    return { ...gridOf(stack), seriesInstanceUid: stack.seriesInstanceUid, geometry: stack.geometry, writtenFrom: 'slices' };
  }
  // The volume only goes to the file: decode workers may write it in shared memory.
  const loaded = await loadedStack(stack, undefined, true);
  return writeVolume(loaded.volume, loaded.geometry, loaded.seriesInstanceUid, output, options);
}

async function writeVolume(
  volume: Parameters<typeof writeNifti>[1],
  geometry: GeometryReport,
  seriesInstanceUid: string,
  output: string,
  options: ConvertOptions,
): Promise<ConvertResult> {
  if (!options.force) requirePhysicalUnits(geometry, GATE_WHAT);
  await writeNifti(output, volume, { geometry });
  return { ...gridOf(volume), seriesInstanceUid, geometry, writtenFrom: 'volume' };
}

function gridOf(g: VolumeGeometry): { dims: Vec3; spacingMm: Vec3 } {
  return { dims: [...g.dims], spacingMm: [...g.spacingMm] };
}

/**
 * Whether every slice can go from its file to the output on its own: plain .nii, slices copied as they are, one
 * single-frame file on disk per slice, each decoding to int16 whatever its pixels (so the file's type is int16, as the
 * volume path would choose), and worker threads to do it.
 */
export function writableSliceBySlice(stack: AssembledStack, output: string, pool: DecodePool): boolean {
  const [nx, ny, nz] = stack.dims;
  if (pool.inProcess || /\.gz$/i.test(output) || !isCopyOnlyStack(stack) || stack.frames.length !== nz) return false;
  return stack.frames.every(({ instance, frameIndex }) => {
    const onDisk = !instance.archiveMember && !/\.gz$/i.test(instance.path);
    return (
      onDisk &&
      instance.numberOfFrames === 1 &&
      frameIndex === 0 &&
      instance.columns === nx &&
      instance.rows === ny &&
      decodesToInt16(instance, instance.frames[0])
    );
  });
}

/** Decodes every slice into its place in the file; returns once no job is left running, failed or not. */
async function writeSlices(stack: AssembledStack, pool: DecodePool, fd: number, voxOffset: number): Promise<void> {
  const sliceBytes = stack.dims[0] * stack.dims[1] * Int16Array.BYTES_PER_ELEMENT;
  // Enough files in flight that no worker waits for its next job; after a failure nothing more is started.
  const concurrency = Math.max(4, pool.size * 3);
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (next < stack.frames.length && failure === undefined) {
      const s = next++;
      const { instance } = stack.frames[s];
      try {
        await pool.decodeFileToFile(instance.path, instance, fd, voxOffset + s * sliceBytes);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  // Every lane settles before the file is closed: no worker may write to a descriptor that was closed and reused.
  await Promise.all(Array.from({ length: Math.min(concurrency, stack.frames.length) }, lane));
  if (failure !== undefined) throw failure;
}
