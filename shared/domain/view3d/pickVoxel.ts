// Where a click on a 3D surface puts the 2D crosshair: the voxel of the picked label nearest to the picked point.
// A surface runs along the label's boundary, so the voxel the point rounds to is outside the label about half the
// time; the nearest labelled voxel (in mm) within two voxels around it is the one the reader meant. Two, not one: on
// an anisotropic grid the nearest labelled voxel to a smoothed surface point can lie two steps along a fine axis.
import { lpsToIjk, type Vec3, type VolumeGeometry } from '../volume.js';

const SEARCH_VOXELS = 2;

export function voxelForSurfacePick(g: VolumeGeometry, labels: ArrayLike<number>, labelValue: number, pointLps: Vec3): Vec3 {
  const c = lpsToIjk(g, pointLps);
  const [nx, ny, nz] = g.dims;
  const clamp = (v: number, n: number): number => Math.min(n - 1, Math.max(0, Math.round(v)));
  const base: Vec3 = [clamp(c[0], nx), clamp(c[1], ny), clamp(c[2], nz)];
  let best: Vec3 | null = null;
  let bestD = Infinity;
  const r = SEARCH_VOXELS;
  for (let dk = -r; dk <= r; dk++)
    for (let dj = -r; dj <= r; dj++)
      for (let di = -r; di <= r; di++) {
        const i = base[0] + di;
        const j = base[1] + dj;
        const k = base[2] + dk;
        if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
        if (labels[i + nx * (j + ny * k)] !== labelValue) continue;
        // Distance in mm (anisotropic voxels): the nearest in the patient, not in index steps.
        const d = ((i - c[0]) * g.spacingMm[0]) ** 2 + ((j - c[1]) * g.spacingMm[1]) ** 2 + ((k - c[2]) * g.spacingMm[2]) ** 2;
        if (d < bestD) {
          bestD = d;
          best = [i, j, k];
        }
      }
  return best ?? base;
}
