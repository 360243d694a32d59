// Edge map: 3D Sobel gradient magnitude in value units per mm (HU/mm for CT), shown as an overlay layer.
// Each derivative is a central difference smoothed by [1,2,1] along the other two axes, divided by
// 32 * spacing so a linear ramp of slope g gives exactly g. Done as separable 1D passes; the border voxel is
// replicated (for a one-voxel reach this equals scipy.ndimage's default mode 'reflect').
import type { Vec3, Volume } from '../volume.js';

type Kernel = 'diff' | 'smooth';

export function sobelMagnitude(volume: Volume): Float32Array {
  const dims = volume.dims;
  const src = Float32Array.from(volume.voxels);
  const sx = pass(src, dims, 0, 'smooth');
  const gx = pass(pass(pass(src, dims, 0, 'diff'), dims, 1, 'smooth'), dims, 2, 'smooth');
  const gy = pass(pass(sx, dims, 1, 'diff'), dims, 2, 'smooth');
  const gz = pass(pass(sx, dims, 1, 'smooth'), dims, 2, 'diff');
  const [hx, hy, hz] = volume.spacingMm.map((s) => 1 / (32 * s));
  const out = gx; // reuse: gx is not needed after this loop reads it
  for (let p = 0; p < out.length; p++) {
    const a = gx[p] * hx;
    const b = gy[p] * hy;
    const c = gz[p] * hz;
    out[p] = Math.sqrt(a * a + b * b + c * c);
  }
  return out;
}

function pass(src: Float32Array, dims: Vec3, axis: 0 | 1 | 2, kernel: Kernel): Float32Array {
  const [nx, ny, nz] = dims;
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const len = dims[axis];
  const out = new Float32Array(src.length);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = i + nx * (j + ny * k);
        const q = axis === 0 ? i : axis === 1 ? j : k;
        const prev = q > 0 ? src[p - stride] : src[p];
        const next = q < len - 1 ? src[p + stride] : src[p];
        out[p] = kernel === 'diff' ? next - prev : prev + 2 * src[p] + next;
      }
  return out;
}
