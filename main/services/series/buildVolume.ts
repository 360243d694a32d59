// Decodes an assembled stack's frames and fills the planned voxel grid in modality units (HU for CT),
// applying the tilt shift / slice interpolation the plan asks for. Int16 whenever every value fits exactly.
import { AppError } from '../../../shared/errors.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { voxelCount, type Volume, type VoxelArray } from '../../../shared/domain/volume.js';
import type { DecodedFrame, DicomInstance } from '../dicom/types.js';
import type { AssembledStack } from './assemble.js';

/**
 * Decodes one frame. `into`, when given, is the frame's place in the int16 volume: a decoder may write int16 values
 * there and return a frame whose values are that same view (nothing is copied then).
 */
export type DecodeFrameFn = (instance: DicomInstance, frameIndex: number, into?: Int16Array) => Promise<DecodedFrame>;

export interface BuildVolumeOptions {
  /** Frames decoded at once (a worker pool behind `decode` uses them in parallel). */
  concurrency?: number;
  onProgress?: (framesDone: number, framesTotal: number) => void;
  /** Source frame indices in the order they are decoded (a permutation of the stack's frames; default ascending). */
  order?: readonly number[];
  /**
   * Copy-only stacks: output slice k is final in `voxels` (the volume's array as it is now; it is replaced if a later
   * frame needs a wider type, values kept). Resampled stacks call nothing: their slices exist only at the end.
   */
  onSlice?: (k: number, voxels: VoxelArray) => void;
  /**
   * Allocate the int16 volume in a SharedArrayBuffer, so decode workers write each slice into it (no per-slice
   * buffer, transfer or copy). Only for volumes that never reach an API refusing shared memory (e.g. a fetch Response).
   */
  sharedMemory?: boolean;
}

/** Whether a stack's slices go into the volume as they are (no tilt shift, no interpolation, no resize). */
export function isCopyOnlyStack(stack: AssembledStack): boolean {
  const { plan } = stack;
  const [nx, ny] = stack.dims;
  const first = stack.frames[0]?.instance;
  return !!first && !plan.interpolated && nx === first.columns && ny === first.rows && plan.planes.every((p, k) => p.w === 0 && p.s0 === k);
}

type GreyValues = Extract<DecodedFrame, { kind: 'grey' }>['values'];
type OutKind = 'int16' | 'int32' | 'float32';

export async function buildVolume(
  stack: AssembledStack,
  decode: DecodeFrameFn,
  options: BuildVolumeOptions = {},
): Promise<{ volume: Volume; geometry: GeometryReport }> {
  const { plan } = stack;
  const [nx, ny, nz] = stack.dims;
  const srcCols = stack.frames[0].instance.columns;
  const srcRows = stack.frames[0].instance.rows;
  const sliceLen = nx * ny;
  const copyOnly = isCopyOnlyStack(stack);
  const order = options.order ?? stack.frames.map((_, s) => s);
  if (order.length !== stack.frames.length) throw new AppError('INTERNAL', `decode order names ${order.length} of ${stack.frames.length} frames`);

  // Copy-only stacks go straight into the volume as frames arrive; resampled ones need their source frames kept.
  const writer = new VolumeWriter(voxelCount(stack), sliceLen, options.sharedMemory === true);
  const kept: GreyValues[] = copyOnly ? [] : new Array(stack.frames.length);
  let sourceKind = 'int16' as OutKind;

  const concurrency = Math.max(1, options.concurrency ?? 4);
  let nextIndex = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (nextIndex < stack.frames.length) {
      const s = order[nextIndex++];
      const ref = stack.frames[s];
      // Copy-only int16 volumes: the decoder may write the slice in place (still checked below like any frame).
      const into = copyOnly ? writer.int16Slice(s) : undefined;
      const values = greyValuesOf(await decode(ref.instance, ref.frameIndex, into), ref.instance.path, ref.frameIndex, srcRows, srcCols);
      if (copyOnly) {
        const voxels = writer.putSlice(s, values);
        options.onSlice?.(s, voxels);
      } else {
        kept[s] = values;
        const needed = kindFor(values);
        if (rank(needed) > rank(sourceKind)) sourceKind = needed;
      }
      done++;
      options.onProgress?.(done, stack.frames.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, stack.frames.length) }, worker));

  if (!copyOnly) {
    // Interpolated integers are rounded (< 0.5 unit, e.g. HU) to keep integer storage, as dcm2niix does.
    writer.promote(sourceKind);
    const out = writer.voxels;
    const round = sourceKind !== 'float32';
    // Voxels with no source data (outside a shifted slice) get the smallest source value, as dcm2niix does:
    // for CT that is the scanner's padding/air value, never a plausible tissue value such as 0 HU.
    let padValue = Infinity;
    for (const f of kept) for (let p = 0; p < f.length; p++) if (f[p] < padValue) padValue = f[p];
    // Each source slice is shifted onto the output lattice once, as float32 (NaN = no data). Planes use source
    // slices in ascending order, so only the last two shifted slices are kept: memory stays at two slices.
    const shiftedCache = new Map<number, Float32Array>();
    const shifted = (s: number): Float32Array => {
      let a = shiftedCache.get(s);
      if (!a) {
        a = new Float32Array(sliceLen);
        const src = kept[s] instanceof Float32Array ? (kept[s] as Float32Array) : Float32Array.from(kept[s]);
        shiftSlice(a, nx, ny, src, srcCols, srcRows, plan.colShift[s], plan.rowShift[s]);
        for (const key of shiftedCache.keys()) if (key < s - 1) shiftedCache.delete(key);
        shiftedCache.set(s, a);
      }
      return a;
    };
    for (let k = 0; k < nz; k++) {
      const { s0, s1, w } = plan.planes[k];
      writePlane(out, k * sliceLen, shifted(s0), w > 0 ? shifted(s1) : shifted(s0), w, padValue, round);
    }
  }

  const volume: Volume = {
    dims: [...stack.dims],
    spacingMm: [...stack.spacingMm],
    originLps: [...stack.originLps],
    directionLps: [[...stack.directionLps[0]], [...stack.directionLps[1]], [...stack.directionLps[2]]],
    voxels: writer.voxels,
  };
  return { volume, geometry: stack.geometry };
}

/**
 * A volume's voxels filled as frames arrive: int16 until a frame needs a wider type, then promoted (values kept, a
 * new array). Every copy-only build goes through it, so slices land in the same dtype whatever order they come in.
 */
export class VolumeWriter {
  private out: VoxelArray;
  private kind: OutKind = 'int16';

  constructor(
    voxels: number,
    private readonly sliceLen: number,
    sharedMemory = false,
  ) {
    this.out = sharedMemory ? new Int16Array(new SharedArrayBuffer(voxels * Int16Array.BYTES_PER_ELEMENT)) : new Int16Array(voxels);
  }

  /** Slice k's place in the volume while it is still int16 (a decoder may write there), else undefined. */
  int16Slice(k: number): Int16Array | undefined {
    return this.out instanceof Int16Array ? this.out.subarray(k * this.sliceLen, (k + 1) * this.sliceLen) : undefined;
  }

  get voxels(): VoxelArray {
    return this.out;
  }

  promote(to: OutKind): void {
    if (rank(to) <= rank(this.kind)) return;
    const next = to === 'int32' ? new Int32Array(this.out.length) : new Float32Array(this.out.length);
    next.set(this.out);
    this.out = next;
    this.kind = to;
  }

  /** Copies slice k in (widening the volume first if these values need it); returns the volume's array as it is now. */
  putSlice(k: number, values: GreyValues): VoxelArray {
    this.promote(kindFor(values));
    // Already in place unless the volume was promoted meanwhile (then the slice is converted from where it was written).
    const out = this.out;
    const inPlace = values.buffer === out.buffer && values.byteOffset === out.byteOffset + k * this.sliceLen * out.BYTES_PER_ELEMENT;
    if (!inPlace) out.set(values, k * this.sliceLen);
    return out;
  }
}

/** A decoded frame's grey values, checked against the size the stack expects; colour images are refused. */
export function greyValuesOf(frame: DecodedFrame, path: string, frameIndex: number, rows: number, columns: number): GreyValues {
  if (frame.kind !== 'grey') throw new AppError('INVALID_INPUT', `${path}: colour images cannot be built into a grey-value volume.`);
  if (frame.rows !== rows || frame.columns !== columns || frame.values.length !== rows * columns) {
    throw new AppError('DECODE_FAILED', `${path}: frame ${frameIndex} decoded to the wrong size.`);
  }
  return frame.values;
}

function rank(k: OutKind): number {
  return k === 'int16' ? 0 : k === 'int32' ? 1 : 2;
}

/** The narrowest output type that holds every value of this frame exactly. */
function kindFor(values: GreyValues): OutKind {
  if (values instanceof Int16Array || values instanceof Uint8Array || values instanceof Int8Array) return 'int16';
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && !Number.isInteger(v)) integral = false;
  }
  if (!integral) return 'float32';
  if (min >= -32768 && max <= 32767) return 'int16';
  if (min >= -2147483648 && max <= 2147483647) return values instanceof Float32Array ? 'float32' : 'int32';
  return 'float32';
}

/**
 * out[base + p] = (1 - w)·a[p] + w·b[p], rounded for integer outputs; NaN (no source data) becomes padValue.
 * One tight loop per call, writing straight into the volume.
 */
function writePlane(out: VoxelArray, base: number, a: Float32Array, b: Float32Array, w: number, padValue: number, round: boolean): void {
  if (out instanceof Int16Array && round) return writePlaneInt16(out, base, a, b, w, padValue);
  const wa = 1 - w;
  const n = a.length;
  for (let p = 0; p < n; p++) {
    const v = wa * a[p] + w * b[p];
    // v !== v: NaN, no source data
    out[base + p] = v !== v ? padValue : round ? Math.floor(v + 0.5) : v;
  }
}

/** writePlane for the usual int16 volume: one element type, so the loop stays monomorphic and fast. */
function writePlaneInt16(out: Int16Array, base: number, a: Float32Array, b: Float32Array, w: number, padValue: number): void {
  const wa = 1 - w;
  const n = a.length;
  for (let p = 0; p < n; p++) {
    const v = wa * a[p] + w * b[p];
    out[base + p] = v !== v ? padValue : Math.floor(v + 0.5);
  }
}

/**
 * Samples a source slice at (i + colShift, j + rowShift) for every output pixel (i, j), bilinear for
 * fractional shifts. A sample that needs any pixel outside the source is NaN (no data; the caller pads it).
 */
function shiftSlice(out: Float32Array, nx: number, ny: number, src: Float32Array, srcCols: number, srcRows: number, colShift: number, rowShift: number): void {
  // Shifts within 1e-6 px of an integer are integers: no blending, and no neighbour needed.
  let c0 = Math.floor(colShift);
  let fc = colShift - c0;
  if (fc > 1 - 1e-6) ((c0 += 1), (fc = 0));
  let r0 = Math.floor(rowShift);
  let fr = rowShift - r0;
  if (fr > 1 - 1e-6) ((r0 += 1), (fr = 0));
  const dc = fc < 1e-6 ? 0 : 1;
  const dr = fr < 1e-6 ? 0 : 1;
  if (dc === 0) fc = 0;
  if (dr === 0) fr = 0;
  const w00 = (1 - fc) * (1 - fr);
  const w10 = fc * (1 - fr);
  const w01 = (1 - fc) * fr;
  const w11 = fc * fr;
  const iStart = Math.max(0, -c0);
  const iEnd = Math.min(nx, srcCols - dc - c0); // exclusive
  out.fill(NaN);
  for (let j = 0; j < ny; j++) {
    const rA = j + r0;
    if (rA < 0 || rA + dr >= srcRows) continue;
    const rowBase = j * nx;
    const srcBase = rA * srcCols + c0;
    const below = dr * srcCols;
    for (let i = iStart; i < iEnd; i++) {
      const p = srcBase + i;
      out[rowBase + i] = w00 * src[p] + w10 * src[p + dc] + w01 * src[p + below] + w11 * src[p + below + dc];
    }
  }
}
