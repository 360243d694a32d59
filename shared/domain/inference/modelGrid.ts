// The grid a 2D/3D model runs on: LPS-aligned, at the model's spacing, covering the series. Moving values onto it and
// labels back is shared/domain/resample.ts (resampleLinear, resampleLabelsNearest).
import { identityDirection, ijkToLps, type Vec3, type VolumeGeometry } from '../volume.js';

/**
 * The grid a model sees: axes along L, P, S (so a 2D slice is axial with rows going posterior and columns going
 * left, whatever the series orientation), covering the series' bounding box. For a 2D model the slice step is the
 * series' own step along its most-S axis, so axial series are not interpolated between slices.
 */
export function modelGrid(src: VolumeGeometry, spacingMm: number[]): VolumeGeometry {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const i of [0, src.dims[0] - 1]) {
    for (const j of [0, src.dims[1] - 1]) {
      for (const k of [0, src.dims[2] - 1]) {
        const p = ijkToLps(src, [i, j, k]);
        for (let a = 0; a < 3; a++) {
          min[a] = Math.min(min[a], p[a]);
          max[a] = Math.max(max[a], p[a]);
        }
      }
    }
  }
  let spacingZ = spacingMm[2];
  if (spacingZ === undefined) {
    let best = 0;
    for (let a = 0; a < 3; a++) if (Math.abs(src.directionLps[a][2]) > Math.abs(src.directionLps[best][2])) best = a;
    // a single slice has no step: keep 1 mm so the grid is well formed
    spacingZ = src.dims[best] > 1 ? src.spacingMm[best] * Math.abs(src.directionLps[best][2]) : 1;
  }
  const spacing: Vec3 = [spacingMm[0], spacingMm[1], spacingZ];
  // 1e-6 guards against 19.999999 slices becoming 19 from float noise in the corners
  const dims = [0, 1, 2].map((a) => Math.floor((max[a] - min[a]) / spacing[a] + 1e-6) + 1) as Vec3;
  return {
    dims,
    spacingMm: spacing,
    originLps: min,
    directionLps: identityDirection(),
  };
}
