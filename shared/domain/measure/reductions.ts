// Per-label reductions of a volume over a label map (count, sum, sum of squares, min, max) in one typed-array
// pass: the reference path; the ONNX Runtime path (test/bench/onnxReductions, bench only) must give the same numbers.
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
 * Reductions for labels 0..size-1 (voxels with a label >= size are ignored). Sums are double additions
 * (per run of equal labels, then into the totals): exact, and so order-independent, while partial sums stay
 * below 2^53 (any integer-valued volume such as CT HU, up to ~8e9 voxels per label).
 */
export function labelReductions(labels: Uint8Array | Uint16Array, values: VoxelArray, size: number, into = emptyReductions(size)): LabelReductions {
  if (labels.length !== values.length) throw new Error('labels and values differ in length');
  const { count, sum, sumSq, min, max } = into;
  // Accumulate a run of equal labels in locals and flush at each label change: per voxel this avoids five
  // read-modify-writes on the same array slots. No closure here: captured locals would live on the heap.
  let start = 0;
  while (start < labels.length) {
    const cur = labels[start];
    let end = start;
    let s = 0;
    let ss = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (; end < labels.length && labels[end] === cur; end++) {
      const v = values[end];
      s += v;
      ss += v * v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (cur < size) {
      count[cur] += end - start;
      sum[cur] += s;
      sumSq[cur] += ss;
      if (lo < min[cur]) min[cur] = lo;
      if (hi > max[cur]) max[cur] = hi;
    }
    start = end;
  }
  return into;
}
