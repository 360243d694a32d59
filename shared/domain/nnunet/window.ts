// nnU-Net's sliding-window geometry: centred padding of an image smaller than the patch, tile start positions
// (compute_steps_for_sliding_window) and the Gaussian importance map (compute_gaussian) in float16.
import { roundHalf } from './half.js';
import type { Shape3 } from './array3.js';

/** Per axis [below, above]: pad to at least `patch`, centred, the odd voxel above (acvl_utils pad_nd_image). */
export function paddingToPatch(shape: readonly number[], patch: readonly number[]): [number, number][] {
  return shape.map((s, a) => {
    const d = Math.max(patch[a], s) - s;
    return [Math.floor(d / 2), Math.floor(d / 2) + (d % 2)];
  });
}

/**
 * Tile starts along each axis: ceil((size - patch) / (patch * step)) + 1 tiles spread evenly so the last one ends at
 * the edge, positions rounded half to even as numpy's np.round does.
 */
export function slidingWindowSteps(imageSize: readonly number[], patch: readonly number[], tileStepSize: number): number[][] {
  if (!(tileStepSize > 0 && tileStepSize <= 1)) throw new RangeError('tileStepSize must be in (0, 1]');
  return imageSize.map((size, a) => {
    if (size < patch[a]) throw new RangeError(`image size ${size} is smaller than the patch ${patch[a]}: pad first`);
    const target = patch[a] * tileStepSize;
    const n = Math.ceil((size - patch[a]) / target) + 1;
    const maxStep = size - patch[a];
    const actual = n > 1 ? maxStep / (n - 1) : 99999999999;
    return Array.from({ length: n }, (_, i) => roundHalfEven(actual * i));
  });
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/**
 * The importance map over a patch: a unit impulse at floor(p/2) blurred by a Gaussian of sigma p/8 per axis
 * (scipy gaussian_filter, truncate 4, zero outside), scaled to max 10, cast to float16, zeros replaced by the
 * smallest non-zero value. Returned as float16 values in a Float32Array, C order.
 */
export function gaussianImportanceMap(patch: Shape3, sigmaScale = 1 / 8, valueScalingFactor = 10): Float32Array {
  const kernels = patch.map((p) => {
    const sigma = p * sigmaScale;
    const radius = Math.floor(4 * sigma + 0.5);
    const phi: number[] = [];
    let sum = 0;
    for (let x = -radius; x <= radius; x++) {
      const v = Math.exp((-0.5 / (sigma * sigma)) * x * x);
      phi.push(v);
      sum += v;
    }
    const centre = Math.floor(p / 2);
    // weight at position i = kernel at offset (i - centre), zero beyond the radius
    return Array.from({ length: p }, (_, i) => {
      const off = i - centre;
      return Math.abs(off) <= radius ? phi[off + radius] / sum : 0;
    });
  });
  const [k0, k1, k2] = kernels;
  // gaussian_filter runs axis 0, then 1, then 2 on the impulse: value = ((1 * w0) * w1) * w2
  const max = k0[Math.floor(patch[0] / 2)] * k1[Math.floor(patch[1] / 2)] * k2[Math.floor(patch[2] / 2)];
  const scale = max / valueScalingFactor;
  const out = new Float32Array(patch[0] * patch[1] * patch[2]);
  let o = 0;
  let minNonZero = Infinity;
  for (let a = 0; a < patch[0]; a++) {
    for (let b = 0; b < patch[1]; b++) {
      const ab = k0[a] * k1[b];
      for (let c = 0; c < patch[2]; c++) {
        const v = roundHalf((ab * k2[c]) / scale);
        out[o++] = v;
        if (v > 0 && v < minNonZero) minNonZero = v;
      }
    }
  }
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = minNonZero;
  return out;
}
