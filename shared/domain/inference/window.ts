// Sliding-window pieces: tile positions, the Gaussian importance map that blends overlapping tiles, and the
// per-voxel argmax that turns the blended class scores of one slice into uint8 labels.
import { AppError } from '../../errors.js';

/** Start offsets of tiles of length `patch` covering [0, size) with at most `patch * (1 - overlap)` between starts. */
export function tileStarts(size: number, patch: number, overlap: number): number[] {
  if (size <= patch) return [0];
  const maxStep = Math.max(1, Math.floor(patch * (1 - overlap)));
  const count = Math.ceil((size - patch) / maxStep) + 1;
  const starts: number[] = [];
  // spread evenly so the last tile ends exactly at the edge
  for (let t = 0; t < count; t++) starts.push(Math.round((t * (size - patch)) / (count - 1)));
  return starts;
}

/**
 * Gaussian weights over an h x w tile, sigma = size / 8 per axis (nnU-Net's choice): the centre of a tile, which
 * saw the most context, counts most. Normalised to max 1, with a floor so edge voxels still count a little.
 */
export function gaussianWeights(h: number, w: number, sigmaFraction = 1 / 8): Float32Array {
  const out = new Float32Array(h * w);
  const sy = h * sigmaFraction;
  const sx = w * sigmaFraction;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  let max = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = Math.exp(-((y - cy) ** 2) / (2 * sy * sy) - (x - cx) ** 2 / (2 * sx * sx));
      out[y * w + x] = v;
      if (v > max) max = v;
    }
  }
  for (let n = 0; n < out.length; n++) out[n] = Math.max(out[n] / max, 1e-3);
  return out;
}

/** Softmax over the channel axis of an NCHW (N = 1) tile, in place. */
export function softmaxChannels(data: Float32Array, classes: number, pixels: number): void {
  for (let p = 0; p < pixels; p++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, data[c * pixels + p]);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(data[c * pixels + p] - max);
      data[c * pixels + p] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) data[c * pixels + p] /= sum;
  }
}

/**
 * Adds one tile's class probabilities (NCHW, tile h x w, of which the top-left validH x validW lie inside the
 * slice at (y0, x0)) times the weights to the slice accumulators acc[c * H * W + ...], and the weights to wsum.
 */
export function accumulateTile(
  acc: Float32Array,
  wsum: Float32Array,
  sliceH: number,
  sliceW: number,
  probs: Float32Array,
  weights: Float32Array,
  classes: number,
  tileH: number,
  tileW: number,
  y0: number,
  x0: number,
): void {
  const tilePixels = tileH * tileW;
  const slicePixels = sliceH * sliceW;
  const validH = Math.min(tileH, sliceH - y0);
  const validW = Math.min(tileW, sliceW - x0);
  for (let y = 0; y < validH; y++) {
    for (let x = 0; x < validW; x++) {
      const t = y * tileW + x;
      const s = (y0 + y) * sliceW + (x0 + x);
      const w = weights[t];
      wsum[s] += w;
      for (let c = 0; c < classes; c++) acc[c * slicePixels + s] += probs[c * tilePixels + t] * w;
    }
  }
}

/**
 * Index of the largest score per pixel over `classes` planes of `pixels` each, written as uint8 into out.
 * Ties go to the lower class (background wins a tie). Dividing by the weight sum is unnecessary for argmax.
 */
export function argmaxClasses(scores: Float32Array, classes: number, pixels: number, out: Uint8Array, outOffset = 0): void {
  if (classes > 256) throw new AppError('MODEL_INVALID', `${classes} classes do not fit uint8 labels (at most 256)`);
  for (let p = 0; p < pixels; p++) {
    let best = 0;
    let bestScore = scores[p];
    for (let c = 1; c < classes; c++) {
      const s = scores[c * pixels + p];
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    out[outOffset + p] = best;
  }
}
