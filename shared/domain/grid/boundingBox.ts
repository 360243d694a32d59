// The one inclusive voxel bounding box over a grid (i fastest): of one label value, or of the non-zero voxels of a mask.
import type { Vec3 } from '../volume.js';

/** Inclusive voxel index box. */
export interface VoxelBox {
  min: Vec3;
  max: Vec3;
}

/**
 * Inclusive bounding box of the voxels equal to `value` (any non-zero voxel when `value` is undefined), or null when
 * there is none. `dims` is [nx, ny, nz] with i fastest.
 */
export function voxelBoundingBox(values: ArrayLike<number>, dims: Vec3, value?: number): VoxelBox | null {
  const [nx, ny, nz] = dims;
  const min: Vec3 = [nx, ny, nz];
  const max: Vec3 = [-1, -1, -1];
  const anyNonZero = value === undefined;
  let p = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        const v = values[p];
        if (anyNonZero ? v === 0 : v !== value) continue;
        if (i < min[0]) min[0] = i;
        if (i > max[0]) max[0] = i;
        if (j < min[1]) min[1] = j;
        if (j > max[1]) max[1] = j;
        if (k < min[2]) min[2] = k;
        if (k > max[2]) max[2] = k;
      }
  return max[0] < 0 ? null : { min, max };
}
