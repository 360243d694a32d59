// An axis-aligned box of voxel indices (inclusive) limiting where a classical tool looks.
import type { Vec3 } from '../volume.js';

export interface RoiBoxIjk {
  minIjk: Vec3;
  maxIjk: Vec3;
}

/** The ROI clipped to the grid; the whole grid when roi is undefined. Throws on an empty box. */
export function clipRoi(dims: Vec3, roi?: RoiBoxIjk): RoiBoxIjk {
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [dims[0] - 1, dims[1] - 1, dims[2] - 1];
  if (roi) {
    for (let a = 0; a < 3; a++) {
      min[a] = Math.max(0, Math.ceil(roi.minIjk[a]));
      max[a] = Math.min(dims[a] - 1, Math.floor(roi.maxIjk[a]));
    }
  }
  if (min.some((m, a) => m > max[a])) throw new Error('the ROI box does not overlap the volume');
  return { minIjk: min, maxIjk: max };
}
