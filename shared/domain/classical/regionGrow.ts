// Region growing from a seed voxel: 3D flood fill over voxels inside an intensity range, with a voxel cap
// so a leak into a big structure stops early instead of eating the machine.
import { AppError } from '../../errors.js';
import { floodFill, type GridConnectivity } from '../grid/floodFill.js';
import type { Vec3, Volume } from '../volume.js';

export type GrowCriterion = { lo: number; hi: number } | { tolerance: number };

export interface RegionGrowResult {
  mask: Uint8Array;
  voxels: number;
  /** True when growth stopped at maxVoxels: the region is incomplete. */
  capped: boolean;
  /** Range actually used (a tolerance becomes seed value ± tolerance). */
  lo: number;
  hi: number;
}

export function regionGrow(
  volume: Volume,
  seedIjk: Vec3,
  criterion: GrowCriterion,
  opts: { connectivity?: GridConnectivity; maxVoxels?: number } = {},
): RegionGrowResult {
  const [nx, ny, nz] = volume.dims;
  const [si, sj, sk] = seedIjk;
  if (![si, sj, sk].every(Number.isInteger) || si < 0 || sj < 0 || sk < 0 || si >= nx || sj >= ny || sk >= nz) {
    throw new AppError('INVALID_INPUT', `seed ${si},${sj},${sk} is outside the ${nx}x${ny}x${nz} grid`);
  }
  const v = volume.voxels;
  const seed = si + nx * (sj + ny * sk);
  const lo = 'tolerance' in criterion ? v[seed] - criterion.tolerance : criterion.lo;
  const hi = 'tolerance' in criterion ? v[seed] + criterion.tolerance : criterion.hi;
  if (!(v[seed] >= lo && v[seed] <= hi)) return { mask: new Uint8Array(v.length), voxels: 0, capped: false, lo, hi };
  // Written as "not outside" to keep the earlier behaviour exactly: a NaN neighbour of the seed joins the region.
  const r = floodFill(volume.dims, seed, (q) => !(v[q] < lo || v[q] > hi), { connectivity: opts.connectivity ?? 6, maxVoxels: opts.maxVoxels });
  return { mask: r.visited.toMask(), voxels: r.voxels, capped: r.capped, lo, hi };
}
