// Decodes an assembled stack's frames and fills the planned voxel grid in modality units (HU for CT),
// applying the tilt shift / slice interpolation the plan asks for. Int16 whenever every value fits exactly.
import { AppError } from '../../../shared/ipc/errors.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { voxelCount, type Volume, type VoxelArray } from '../../../shared/domain/volume.js';
import type { DecodedFrame, DicomInstance } from '../dicom/types.js';
import type { AssembledStack } from './assemble.js';

export type DecodeFrameFn = (instance: DicomInstance, frameIndex: number) => Promise<DecodedFrame>;

export interface BuildVolumeOptions {
  /** Frames decoded at once (a worker pool behind `decode` uses them in parallel). */
  concurrency?: number;
  onProgress?: (framesDone: number, framesTotal: number) => void;
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
  const copyOnly = !plan.interpolated && nx === srcCols && ny === srcRows && plan.planes.every((p, k) => p.w === 0 && p.s0 === k);

  // Copy-only stacks go straight into the volume as frames arrive; resampled ones need their source frames kept.
  let out: VoxelArray = new Int16Array(voxelCount(stack));
  let kind: OutKind = 'int16';
  const kept: GreyValues[] = copyOnly ? [] : new Array(stack.frames.length);
  let sourceKind = 'int16' as OutKind;

  const promote = (to: OutKind): void => {
    if (rank(to) <= rank(kind)) return;
    const next = to === 'int32' ? new Int32Array(out.length) : new Float32Array(out.length);
    next.set(out);
    out = next;
    kind = to;
  };

  const concurrency = Math.max(1, options.concurrency ?? 4);
  let nextIndex = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (nextIndex < stack.frames.length) {
      const s = nextIndex++;
      const ref = stack.frames[s];
      const frame = await decode(ref.instance, ref.frameIndex);
      if (frame.kind !== 'grey') {
        throw new AppError('INVALID_INPUT', `${ref.instance.path}: colour images cannot be built into a grey-value volume.`);
      }
      if (frame.rows !== srcRows || frame.columns !== srcCols || frame.values.length !== srcRows * srcCols) {
        throw new AppError('DECODE_FAILED', `${ref.instance.path}: frame ${ref.frameIndex} decoded to the wrong size.`);
      }
      const needed = kindFor(frame.values);
      if (copyOnly) {
        promote(needed);
        out.set(frame.values, s * sliceLen);
      } else {
        kept[s] = frame.values;
        if (rank(needed) > rank(sourceKind)) sourceKind = needed;
      }
      done++;
      options.onProgress?.(done, stack.frames.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, stack.frames.length) }, worker));

  if (!copyOnly) {
    // Interpolated integers are rounded (< 0.5 unit, e.g. HU) to keep integer storage, as dcm2niix does.
    promote(sourceKind);
    const round = sourceKind !== 'float32';
    // Voxels with no source data (outside a shifted slice) get the smallest source value, as dcm2niix does:
    // for CT that is the scanner's padding/air value, never a plausible tissue value such as 0 HU.
    let padValue = Infinity;
    for (const f of kept) for (let p = 0; p < f.length; p++) if (f[p] < padValue) padValue = f[p];
    // One float slice of scratch: blending straight into an integer array would truncate the partial sums.
    const scratch = new Float32Array(sliceLen);
    for (let k = 0; k < nz; k++) {
      const { s0, s1, w } = plan.planes[k];
      fillSlice(scratch, nx, ny, kept[s0], srcCols, srcRows, plan.colShift[s0], plan.rowShift[s0], 1 - w, true);
      if (w > 0) fillSlice(scratch, nx, ny, kept[s1], srcCols, srcRows, plan.colShift[s1], plan.rowShift[s1], w, false);
      const base = k * sliceLen;
      for (let p = 0; p < sliceLen; p++) {
        const v = scratch[p];
        out[base + p] = Number.isNaN(v) ? padValue : round ? Math.round(v) : v;
      }
    }
  }

  const volume: Volume = {
    dims: [...stack.dims],
    spacingMm: [...stack.spacingMm],
    originLps: [...stack.originLps],
    directionLps: [[...stack.directionLps[0]], [...stack.directionLps[1]], [...stack.directionLps[2]]],
    voxels: out,
  };
  return { volume, geometry: stack.geometry };
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
 * Adds weight × source slice, sampled at (i + colShift, j + rowShift) with bilinear interpolation, into the
 * output slice. A sample that needs any pixel outside the source is NaN (no data; the caller pads it).
 */
function fillSlice(
  out: Float32Array,
  nx: number,
  ny: number,
  src: GreyValues,
  srcCols: number,
  srcRows: number,
  colShift: number,
  rowShift: number,
  weight: number,
  overwrite: boolean,
): void {
  // Shifts within 1e-6 px of an integer are integers: no blending, and no neighbour needed.
  let c0 = Math.floor(colShift);
  let fc = colShift - c0;
  if (fc > 1 - 1e-6) (c0 += 1), (fc = 0);
  let r0 = Math.floor(rowShift);
  let fr = rowShift - r0;
  if (fr > 1 - 1e-6) (r0 += 1), (fr = 0);
  const dc = fc < 1e-6 ? 0 : 1;
  const dr = fr < 1e-6 ? 0 : 1;
  if (dc === 0) fc = 0;
  if (dr === 0) fr = 0;
  for (let j = 0; j < ny; j++) {
    const rA = j + r0;
    const rowBase = j * nx;
    const rowInside = rA >= 0 && rA + dr < srcRows;
    for (let i = 0; i < nx; i++) {
      const cA = i + c0;
      let v: number;
      if (!rowInside || cA < 0 || cA + dc >= srcCols) {
        v = NaN;
      } else {
        const p = rA * srcCols + cA;
        v =
          (1 - fc) * (1 - fr) * src[p] +
          fc * (1 - fr) * src[p + dc] +
          (1 - fc) * fr * src[p + dr * srcCols] +
          fc * fr * src[p + dr * srcCols + dc];
      }
      out[rowBase + i] = overwrite ? weight * v : out[rowBase + i] + weight * v;
    }
  }
}
