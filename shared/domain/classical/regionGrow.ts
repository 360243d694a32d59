// Region growing from a seed voxel: 3D flood fill over voxels inside an intensity range, with a voxel cap
// so a leak into a big structure stops early instead of eating the machine.
import type { Vec3, Volume } from '../volume.js';
import { neighbourOffsets, type Connectivity } from '../measure/components.js';

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
  opts: { connectivity?: Connectivity; maxVoxels?: number } = {},
): RegionGrowResult {
  const [nx, ny, nz] = volume.dims;
  const [si, sj, sk] = seedIjk;
  if (![si, sj, sk].every(Number.isInteger) || si < 0 || sj < 0 || sk < 0 || si >= nx || sj >= ny || sk >= nz) {
    throw new Error(`seed ${si},${sj},${sk} is outside the ${nx}x${ny}x${nz} grid`);
  }
  const v = volume.voxels;
  const seed = si + nx * (sj + ny * sk);
  const lo = 'tolerance' in criterion ? v[seed] - criterion.tolerance : criterion.lo;
  const hi = 'tolerance' in criterion ? v[seed] + criterion.tolerance : criterion.hi;
  const maxVoxels = opts.maxVoxels ?? Number.MAX_SAFE_INTEGER;
  const offs = neighbourOffsets(opts.connectivity ?? 6);
  const mask = new Uint8Array(v.length);
  if (!(v[seed] >= lo && v[seed] <= hi)) return { mask, voxels: 0, capped: false, lo, hi };
  let queue = new Int32Array(1024);
  let head = 0;
  let tail = 0;
  mask[seed] = 1;
  queue[tail++] = seed;
  let count = 1;
  let capped = false;
  outer: while (head < tail) {
    const p = queue[head++];
    const k = Math.floor(p / (nx * ny));
    const r = p - k * nx * ny;
    const j = Math.floor(r / nx);
    const i = r - j * nx;
    for (const [di, dj, dk] of offs) {
      const a = i + di;
      const b = j + dj;
      const c = k + dk;
      if (a < 0 || a >= nx || b < 0 || b >= ny || c < 0 || c >= nz) continue;
      const q = a + nx * (b + ny * c);
      if (mask[q]) continue;
      const x = v[q];
      if (x < lo || x > hi) continue;
      if (count >= maxVoxels) {
        capped = true;
        break outer;
      }
      mask[q] = 1;
      count++;
      if (tail === queue.length) {
        // Compact the consumed head before growing, so the queue stays about the size of the front.
        const live = queue.subarray(head, tail);
        const next = new Int32Array(Math.max(1024, live.length * 2));
        next.set(live);
        queue = next;
        tail -= head;
        head = 0;
      }
      queue[tail++] = q;
    }
  }
  return { mask, voxels: count, capped, lo, hi };
}
