// The cut plane of a virtual resection from two clicks on a 2D view: the plane contains the line through the two
// clicked voxel centres and is perpendicular to the view plane (the plane spanned by the view's two in-plane index
// axes, so oblique and sheared grids are handled through their full affine). Pure.
import { AppError } from '../../errors.js';
import { cross, ijkToLps, norm, normalize, sub, type Vec3, type VolumeGeometry } from '../volume.js';
import type { CutPlane } from './resection.js';

/**
 * Plane through a and b (voxel indices on one slice of the view whose slice index axis is sliceAxis), perpendicular to
 * that view; its normal, in LPS, is (b − a) × (view normal), so 'positive' is the side to the right of a→b seen
 * along the view normal.
 */
export function cutPlaneFromClicks(g: VolumeGeometry, sliceAxis: 0 | 1 | 2, aIjk: Vec3, bIjk: Vec3): CutPlane {
  const [u, v] = ([0, 1, 2] as const).filter((q) => q !== sliceAxis);
  const a = ijkToLps(g, aIjk);
  const b = ijkToLps(g, bIjk);
  const line = sub(b, a);
  const viewNormal = normalize(cross(g.directionLps[u], g.directionLps[v]));
  const n = cross(line, viewNormal);
  // The line must lie (nearly) in the view plane and be longer than a voxel's hundredth: else no plane is defined.
  if (norm(line) < 1e-6 || norm(n) < 0.01 * norm(line) || Math.abs(aIjk[sliceAxis] - bIjk[sliceAxis]) > 1e-9)
    throw new AppError('INVALID_INPUT', 'The two points of the cut must be distinct and on the same slice of the view.');
  return { pointLps: a, normalLps: normalize(n) };
}
