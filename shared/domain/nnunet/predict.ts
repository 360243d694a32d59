// nnU-Net's sliding-window blending and export, with its CPU numerics (nnUNetPredictor on CPU): tile logits times
// the float16 Gaussian are added into float16 sums (the add done in float32), divided by the float16 weight sums,
// folds' logits averaged in float16, each class resampled back to the cropped grid and stored in float16, argmax
// (first class wins a tie), pasted into the uncropped grid (label 0 outside) and transposed back.
import { HALF_TO_FLOAT, toHalfBits } from './half.js';
import { size3, transpose3, type Shape3 } from './array3.js';
import { uncropFromBbox } from './crop.js';
import { resampleToShape } from './resample.js';
import type { NnunetPlan, Preprocessed } from './preprocess.js';

/** The float types the class-score sums can be kept in: float16 is nnU-Net's (and half the memory). */
export type AccumulatorType = 'float16' | 'float32';

/** Per-class sums on the padded network grid, float16 bits or float32. */
export interface Accumulator {
  type: AccumulatorType;
  classes: number;
  shape: Shape3;
  sums: Uint16Array | Float32Array;
}

export function createAccumulator(type: AccumulatorType, classes: number, shape: Shape3): Accumulator {
  const n = classes * size3(shape);
  return { type, classes, shape, sums: type === 'float16' ? new Uint16Array(n) : new Float32Array(n) };
}

function get(acc: Accumulator, i: number): number {
  return acc.type === 'float16' ? HALF_TO_FLOAT[acc.sums[i]] : acc.sums[i];
}

function put(acc: Accumulator, i: number, v: number): void {
  if (acc.type === 'float16') acc.sums[i] = toHalfBits(v);
  else acc.sums[i] = v;
}

/** Copies the patch at `start` out of the padded image (C order). */
export function extractTile(data: Float32Array, shape: Shape3, start: readonly number[], patch: readonly number[], out: Float32Array): Float32Array {
  let o = 0;
  for (let a = 0; a < patch[0]; a++) {
    for (let b = 0; b < patch[1]; b++) {
      const s = ((start[0] + a) * shape[1] + start[1] + b) * shape[2] + start[2];
      out.set(data.subarray(s, s + patch[2]), o);
      o += patch[2];
    }
  }
  return out;
}

/**
 * Visits every row (last axis) of `channels` C-order blocks of `shape`: `so` is where the mirrored source row starts,
 * `oo` the output row, `flipLast` whether the row itself runs backwards (axis 2 mirrored).
 */
function forEachMirroredRow(
  channels: number,
  shape: readonly number[],
  axes: readonly number[],
  visit: (so: number, oo: number, d2: number, flipLast: boolean) => void,
): void {
  const [d0, d1, d2] = shape;
  const f0 = axes.includes(0);
  const f1 = axes.includes(1);
  const f2 = axes.includes(2);
  const block = d0 * d1 * d2;
  for (let c = 0; c < channels; c++) {
    const base = c * block;
    for (let a = 0; a < d0; a++) {
      const sa = f0 ? d0 - 1 - a : a;
      for (let b = 0; b < d1; b++) {
        const sb = f1 ? d1 - 1 - b : b;
        visit(base + (sa * d1 + sb) * d2, base + (a * d1 + b) * d2, d2, f2);
      }
    }
  }
}

/** Mirrors each of `channels` C-order blocks of `shape` along `axes` (0..2), into `out`. */
export function flipAxes(src: Float32Array, channels: number, shape: readonly number[], axes: readonly number[], out: Float32Array): Float32Array {
  forEachMirroredRow(channels, shape, axes, (so, oo, d2, f2) => {
    if (f2) for (let x = 0; x < d2; x++) out[oo + x] = src[so + d2 - 1 - x];
    else out.set(src.subarray(so, so + d2), oo);
  });
  return out;
}

/** sum += flip(out, axes), in float32 (torch: prediction += torch.flip(network(torch.flip(x, axes)), axes)). */
export function addFlipped(sum: Float32Array, out: Float32Array, channels: number, shape: readonly number[], axes: readonly number[]): void {
  const f = Math.fround;
  forEachMirroredRow(channels, shape, axes, (so, oo, d2, f2) => {
    if (f2) for (let x = 0; x < d2; x++) sum[oo + x] = f(sum[oo + x] + out[so + d2 - 1 - x]);
    else for (let x = 0; x < d2; x++) sum[oo + x] = f(sum[oo + x] + out[so + x]);
  });
}

/** nnU-Net's mirroring combinations: every non-empty subset of the axes, by size, in itertools order. */
export function mirrorCombinations(axes: readonly number[]): number[][] {
  const out: number[][] = [];
  const n = axes.length;
  for (let k = 1; k <= n; k++) {
    const pick = (from: number, chosen: number[]) => {
      if (chosen.length === k) {
        out.push(chosen);
        return;
      }
      for (let i = from; i < n; i++) pick(i + 1, [...chosen, axes[i]]);
    };
    pick(0, []);
  }
  return out;
}

/**
 * Adds one tile's logits (already averaged over mirrors, float32) times the Gaussian into the sums, and the
 * Gaussian into the weight sums (`weights`, float16 bits, one per voxel) when given (the first fold's pass).
 */
export function accumulateTile(
  acc: Accumulator,
  weights: Uint16Array | null,
  logits: Float32Array,
  gaussian: Float32Array | null,
  start: readonly number[],
  patch: readonly number[],
): void {
  const [, s1, s2] = acc.shape;
  const grid = size3(acc.shape);
  const tileN = patch[0] * patch[1] * patch[2];
  const f = Math.fround;
  for (let c = 0; c < acc.classes; c++) {
    let t = c * tileN;
    let g = 0;
    for (let a = 0; a < patch[0]; a++) {
      for (let b = 0; b < patch[1]; b++) {
        const row = c * grid + ((start[0] + a) * s1 + start[1] + b) * s2 + start[2];
        for (let x = 0; x < patch[2]; x++, t++, g++) {
          const p = gaussian ? f(logits[t] * gaussian[g]) : logits[t];
          put(acc, row + x, f(get(acc, row + x) + p));
        }
      }
    }
  }
  if (weights) {
    let g = 0;
    for (let a = 0; a < patch[0]; a++) {
      for (let b = 0; b < patch[1]; b++) {
        const row = ((start[0] + a) * s1 + start[1] + b) * s2 + start[2];
        for (let x = 0; x < patch[2]; x++, g++) weights[row + x] = toHalfBits(f(HALF_TO_FLOAT[weights[row + x]] + (gaussian ? gaussian[g] : 1)));
      }
    }
  }
}

/** sums /= weights per voxel (torch.div on float16: the quotient in float32, stored in the accumulator's type). */
export function divideByWeights(acc: Accumulator, weights: Uint16Array): void {
  const grid = size3(acc.shape);
  for (let c = 0; c < acc.classes; c++) {
    const base = c * grid;
    for (let i = 0; i < grid; i++) put(acc, base + i, Math.fround(get(acc, base + i) / HALF_TO_FLOAT[weights[i]]));
  }
}

/** total += fold (the fold ensemble's running sum, in the accumulator type). */
export function addInto(total: Accumulator, fold: Accumulator): void {
  for (let i = 0; i < total.sums.length; i++) put(total, i, Math.fround(get(total, i) + get(fold, i)));
}

export function scaleInPlace(acc: Accumulator, divisor: number): void {
  for (let i = 0; i < acc.sums.length; i++) put(acc, i, Math.fround(get(acc, i) / divisor));
}

export interface Exported {
  /** Labels on the original grid (nnU-Net array [k, j, i] = medseg's i-fastest buffer). */
  labels: Uint8Array;
  /** Softmax per class on the original grid ([C, k, j, i]; background 1 outside the crop), when asked for. */
  probabilities?: Float32Array;
}

/**
 * From the averaged logits on the padded network grid to labels on the original grid: un-pad, resample each class
 * to the cropped grid (stored in the accumulator type), argmax, un-crop, transpose back. One class is resampled at a
 * time; a running max keeps the argmax, so the cropped grid never holds all classes (unless probabilities are asked).
 */
export function exportLabels(
  acc: Accumulator,
  pads: readonly (readonly [number, number])[],
  pre: Preprocessed,
  plan: NnunetPlan,
  withProbabilities = false,
): Exported {
  const grid = pre.shape;
  const gridN = size3(grid);
  const cropN = size3(pre.cropShape);
  const best = new Float32Array(cropN).fill(-Infinity);
  const label = new Uint8Array(cropN);
  const all = withProbabilities ? new Float32Array(acc.classes * cropN) : null;
  const paddedN = size3(acc.shape);
  for (let c = 0; c < acc.classes; c++) {
    const ch = new Float64Array(gridN);
    let o = 0;
    for (let a = 0; a < grid[0]; a++) {
      for (let b = 0; b < grid[1]; b++) {
        const row = c * paddedN + ((a + pads[0][0]) * acc.shape[1] + b + pads[1][0]) * acc.shape[2] + pads[2][0];
        for (let x = 0; x < grid[2]; x++) ch[o++] = get(acc, row + x);
      }
    }
    const r = resampleToShape({ shape: grid, data: ch }, pre.cropShape, plan.spacing, pre.spacingTransposed, plan.resamplingProbabilities);
    const round = acc.type === 'float16' ? (v: number) => HALF_TO_FLOAT[toHalfBits(v)] : Math.fround;
    for (let i = 0; i < cropN; i++) {
      const v = r.data === ch ? r.data[i] : round(r.data[i]);
      if (all) all[c * cropN + i] = v;
      if (v > best[i]) {
        best[i] = v;
        label[i] = c;
      }
    }
  }
  const uncropped = uncropFromBbox({ shape: pre.cropShape, data: label }, pre.bbox, pre.shapeBeforeCrop);
  const labels = transpose3(uncropped, plan.transposeBackward).data;
  if (!all) return { labels };
  // softmax per voxel in float32, then un-crop (background probability 1 outside) and transpose back
  const fullN = size3(pre.shapeBeforeCrop);
  const probabilities = new Float32Array(acc.classes * fullN);
  for (let i = 0; i < cropN; i++) {
    let m = -Infinity;
    for (let c = 0; c < acc.classes; c++) m = Math.max(m, all[c * cropN + i]);
    let s = 0;
    for (let c = 0; c < acc.classes; c++) s += Math.exp(all[c * cropN + i] - m);
    for (let c = 0; c < acc.classes; c++) all[c * cropN + i] = Math.exp(all[c * cropN + i] - m) / s;
  }
  for (let c = 0; c < acc.classes; c++) {
    const crop = { shape: pre.cropShape, data: all.subarray(c * cropN, (c + 1) * cropN).slice() };
    const full = uncropFromBbox(crop, pre.bbox, pre.shapeBeforeCrop);
    if (c === 0) {
      // outside the crop nnU-Net sets the background probability to 1
      const inside = uncropFromBbox({ shape: pre.cropShape, data: new Uint8Array(cropN).fill(1) }, pre.bbox, pre.shapeBeforeCrop).data;
      for (let i = 0; i < fullN; i++) if (!inside[i]) full.data[i] = 1;
    }
    probabilities.set(transpose3(full, plan.transposeBackward).data, c * fullN);
  }
  return { labels, probabilities };
}
