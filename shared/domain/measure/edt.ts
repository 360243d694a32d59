// Exact Euclidean distance transform on an anisotropic grid (Felzenszwalb & Huttenlocher 2012: separable
// lower envelopes of parabolas, one pass per axis), in mm. Exact for orthogonal grids; a rotated grid is
// fine (rotation keeps distances), a sheared grid is not handled here (callers refuse or say so).
import type { Vec3 } from '../volume.js';

/**
 * Squared distance (mm^2) from every voxel centre to the nearest feature voxel centre; Infinity everywhere
 * when there is no feature. `feature` is 1 for feature voxels.
 */
export function squaredDistanceTransformMm(feature: Uint8Array, dims: Vec3, spacingMm: Vec3): Float64Array {
  const [nx, ny, nz] = dims;
  const d = new Float64Array(nx * ny * nz);
  for (let p = 0; p < d.length; p++) d[p] = feature[p] ? 0 : Infinity;
  const maxLen = Math.max(nx, ny, nz);
  const f = new Float64Array(maxLen);
  const out = new Float64Array(maxLen);
  const v = new Int32Array(maxLen);
  const z = new Float64Array(maxLen + 1);
  const strides: Vec3 = [1, nx, nx * ny];
  for (let axis = 0; axis < 3; axis++) {
    const len = dims[axis];
    const stride = strides[axis];
    const s = spacingMm[axis];
    const o1 = axis === 0 ? 1 : 0; // the two other axes enumerate the lines
    const o2 = axis === 2 ? 1 : 2;
    for (let b = 0; b < dims[o2]; b++) {
      for (let a = 0; a < dims[o1]; a++) {
        const base = a * strides[o1] + b * strides[o2];
        let any = false;
        for (let q = 0; q < len; q++) {
          f[q] = d[base + q * stride];
          if (f[q] !== Infinity) any = true;
        }
        if (!any) continue;
        envelope1d(f, len, s, v, z, out);
        for (let q = 0; q < len; q++) d[base + q * stride] = out[q];
      }
    }
  }
  return d;
}

/** out[q] = min_p (s*(q-p))^2 + f[p] over finite f[p]; at least one f[p] must be finite. */
function envelope1d(f: Float64Array, len: number, s: number, v: Int32Array, z: Float64Array, out: Float64Array): void {
  let k = -1;
  for (let q = 0; q < len; q++) {
    if (f[q] === Infinity) continue;
    const xq = q * s;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let sect = 0;
    for (;;) {
      const xv = v[k] * s;
      sect = (f[q] + xq * xq - (f[v[k]] + xv * xv)) / (2 * (xq - xv));
      if (sect <= z[k] && k > 0) k--;
      else break;
    }
    if (sect <= z[k]) {
      // k === 0 and the new parabola dominates the only one left: replace it.
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = sect;
    z[k + 1] = Infinity;
  }
  let j = 0;
  for (let q = 0; q < len; q++) {
    const xq = q * s;
    while (z[j + 1] < xq) j++;
    const dx = xq - v[j] * s;
    out[q] = dx * dx + f[v[j]];
  }
}
