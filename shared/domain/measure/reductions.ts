// Per-label reductions of a volume over a label map (count, sum, sum of squares, min, max) in one typed-array
// pass: the reference path; the ONNX Runtime path (main/services/measureOnnx.ts) must give the same numbers.
import type { VoxelArray } from '../volume.js';

export interface LabelReductions {
  /** Index = label value, 0..size-1. min/max are +Infinity/-Infinity for labels without voxels. */
  count: Float64Array;
  sum: Float64Array;
  sumSq: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

export function emptyReductions(size: number): LabelReductions {
  return {
    count: new Float64Array(size),
    sum: new Float64Array(size),
    sumSq: new Float64Array(size),
    min: new Float64Array(size).fill(Infinity),
    max: new Float64Array(size).fill(-Infinity),
  };
}

/**
 * Reductions for labels 0..size-1 (voxels with a label >= size are ignored). Sums are plain double
 * additions in voxel order: exact, and so order-independent, while partial sums stay below 2^53 (any
 * integer-valued volume such as CT HU of up to ~8e9 voxels per label).
 */
export function labelReductions(labels: Uint8Array | Uint16Array, values: VoxelArray, size: number, into = emptyReductions(size)): LabelReductions {
  if (labels.length !== values.length) throw new Error('labels and values differ in length');
  const { count, sum, sumSq, min, max } = into;
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p];
    if (l >= size) continue;
    const v = values[p];
    count[l]++;
    sum[l] += v;
    sumSq[l] += v * v;
    if (v < min[l]) min[l] = v;
    if (v > max[l]) max[l] = v;
  }
  return into;
}
