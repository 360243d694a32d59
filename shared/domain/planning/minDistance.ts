// Minimum Euclidean distance (mm) between two voxel sets and the two closest voxel centres: the exact distance
// transform (shared/domain/measure/edt.ts) of the target set, read over the source set, on the box holding both. Pure.
import { AppError } from '../../errors.js';
import { voxelBoundingBox, type VoxelBox } from '../grid/boundingBox.js';
import { squaredDistanceTransformMm } from '../measure/edt.js';
import { dot, ijkToLps, type Vec3, type VolumeGeometry } from '../volume.js';

export interface MinDistance {
  minDistanceMm: number;
  fromIjk: Vec3;
  toIjk: Vec3;
  fromPointLps: Vec3;
  toPointLps: Vec3;
}

/** True when the grid's axes are perpendicular: distances in index space × spacing are then distances in mm. */
export function hasPerpendicularAxes(g: VolumeGeometry, tolerance = 1e-4): boolean {
  const [a, b, c] = g.directionLps;
  return Math.abs(dot(a, b)) < tolerance && Math.abs(dot(a, c)) < tolerance && Math.abs(dot(b, c)) < tolerance;
}

/**
 * Distance between the voxel centres of `from` and `to` (masks over the grid, non-zero = member). Voxels in both
 * give 0. INVALID_INPUT when either set is empty or the grid is sheared (the separable transform needs
 * perpendicular axes; rotated grids are fine).
 */
export function minDistanceBetween(grid: VolumeGeometry, from: Uint8Array, to: Uint8Array): MinDistance {
  if (!hasPerpendicularAxes(grid)) {
    throw new AppError('INVALID_INPUT', 'Distances refused: the voxel grid is sheared (non-perpendicular axes), where the distance transform is not exact.');
  }
  const [nx, ny] = grid.dims;
  const boxFrom = maskBox(from, grid.dims);
  const boxTo = maskBox(to, grid.dims);
  if (!boxFrom || !boxTo) throw new AppError('INVALID_INPUT', `Distance refused: the ${boxFrom ? "'to'" : "'from'"} label has no voxel.`);
  const lo: Vec3 = [0, 1, 2].map((a) => Math.min(boxFrom.min[a], boxTo.min[a])) as Vec3;
  const hi: Vec3 = [0, 1, 2].map((a) => Math.max(boxFrom.max[a], boxTo.max[a])) as Vec3;
  const dims: Vec3 = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
  const feature = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) if (to[i + lo[0] + nx * (j + lo[1] + ny * (k + lo[2]))]) feature[i + dims[0] * (j + dims[1] * k)] = 1;
  const d2 = squaredDistanceTransformMm(feature, dims, grid.spacingMm);
  let best = Infinity;
  let fromIjk: Vec3 = [0, 0, 0];
  for (let k = boxFrom.min[2]; k <= boxFrom.max[2]; k++)
    for (let j = boxFrom.min[1]; j <= boxFrom.max[1]; j++)
      for (let i = boxFrom.min[0]; i <= boxFrom.max[0]; i++) {
        if (!from[i + nx * (j + ny * k)]) continue;
        const d = d2[i - lo[0] + dims[0] * (j - lo[1] + dims[1] * (k - lo[2]))];
        if (d < best) {
          best = d;
          fromIjk = [i, j, k];
        }
      }
  // The closest target voxel to that source voxel: one scan of the target's box.
  const [s0, s1, s2] = grid.spacingMm;
  let bestTo = Infinity;
  let toIjk: Vec3 = [0, 0, 0];
  for (let k = boxTo.min[2]; k <= boxTo.max[2]; k++)
    for (let j = boxTo.min[1]; j <= boxTo.max[1]; j++)
      for (let i = boxTo.min[0]; i <= boxTo.max[0]; i++) {
        if (!to[i + nx * (j + ny * k)]) continue;
        const d = ((i - fromIjk[0]) * s0) ** 2 + ((j - fromIjk[1]) * s1) ** 2 + ((k - fromIjk[2]) * s2) ** 2;
        if (d < bestTo) {
          bestTo = d;
          toIjk = [i, j, k];
        }
      }
  return { minDistanceMm: Math.sqrt(bestTo), fromIjk, toIjk, fromPointLps: ijkToLps(grid, fromIjk), toPointLps: ijkToLps(grid, toIjk) };
}

/** Inclusive index box of the non-zero voxels, or null. */
export function maskBox(mask: Uint8Array, dims: Vec3): VoxelBox | null {
  return voxelBoundingBox(mask, dims);
}

/** Mask of the voxels carrying `value`. */
export function labelMask(labels: ArrayLike<number>, value: number): Uint8Array {
  const m = new Uint8Array(labels.length);
  for (let p = 0; p < labels.length; p++) if (labels[p] === value) m[p] = 1;
  return m;
}
