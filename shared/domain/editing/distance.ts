// Exact Euclidean distance transforms on a 2D slice with anisotropic pixel spacing (Felzenszwalb & Huttenlocher
// lower envelope of parabolas), and the signed distance used for shape-based slice interpolation.

// Large but finite: (FAR + w·q²) − (FAR + w·r²) must keep its precision for q, r up to a few thousand pixels.
const FAR = 1e10;

function squaredDistance1d(f: Float64Array, n: number, spacingMm: number, out: Float64Array, v: Int32Array, z: Float64Array): void {
  const w = spacingMm * spacingMm;
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + w * q * q - (f[v[k]] + w * v[k] * v[k])) / (2 * w * (q - v[k]));
    while (s <= z[k]) {
      k--;
      s = (f[q] + w * q * q - (f[v[k]] + w * v[k] * v[k])) / (2 * w * (q - v[k]));
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const d = q - v[k];
    out[q] = w * d * d + f[v[k]];
  }
}

/** Distance in mm from each pixel (u fastest) to the nearest pixel where `isFeature` holds; 0 on features. */
export function distanceToFeature2d(isFeature: (p: number) => boolean, nu: number, nv: number, spacingUMm: number, spacingVMm: number): Float64Array {
  const grid = new Float64Array(nu * nv);
  for (let p = 0; p < grid.length; p++) grid[p] = isFeature(p) ? 0 : FAR;
  const n = Math.max(nu, nv);
  const f = new Float64Array(n);
  const out = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let y = 0; y < nv; y++) {
    for (let x = 0; x < nu; x++) f[x] = grid[y * nu + x];
    squaredDistance1d(f, nu, spacingUMm, out, v, z);
    for (let x = 0; x < nu; x++) grid[y * nu + x] = out[x];
  }
  for (let x = 0; x < nu; x++) {
    for (let y = 0; y < nv; y++) f[y] = grid[y * nu + x];
    squaredDistance1d(f, nv, spacingVMm, out, v, z);
    for (let y = 0; y < nv; y++) grid[y * nu + x] = Math.sqrt(out[y]);
  }
  return grid;
}

/** Signed distance in mm: negative inside the mask (distance to the nearest outside pixel), positive outside. */
export function signedDistance2d(mask: Uint8Array, nu: number, nv: number, spacingUMm: number, spacingVMm: number): Float64Array {
  const toInside = distanceToFeature2d((p) => mask[p] !== 0, nu, nv, spacingUMm, spacingVMm);
  const toOutside = distanceToFeature2d((p) => mask[p] === 0, nu, nv, spacingUMm, spacingVMm);
  const out = new Float64Array(mask.length);
  for (let p = 0; p < mask.length; p++) out[p] = mask[p] !== 0 ? -toOutside[p] : toInside[p];
  return out;
}
