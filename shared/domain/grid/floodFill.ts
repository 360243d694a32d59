// The one flood fill over a voxel grid (i fastest): seeds, an accept test, 6/18/26 connectivity, a voxel cap.
// Connected components, region growing, the edit fill and delete-instance, and inference post-processing all use it.
import { AppError } from '../../errors.js';
import type { Vec3 } from '../volume.js';

/** Face (6), face + edge (18) or face + edge + corner (26) neighbours. */
export type GridConnectivity = 6 | 18 | 26;

/** Neighbour offsets (di, dj, dk) in k, j, i loop order (-1 first): this order fixes the breadth-first visit order. */
export function neighbourOffsets(connectivity: GridConnectivity): Vec3[] {
  checkConnectivity(connectivity);
  const maxSteps = connectivity === 6 ? 1 : connectivity === 18 ? 2 : 3;
  const out: Vec3[] = [];
  for (let dk = -1; dk <= 1; dk++)
    for (let dj = -1; dj <= 1; dj++)
      for (let di = -1; di <= 1; di++) {
        const manhattan = Math.abs(di) + Math.abs(dj) + Math.abs(dk);
        if (manhattan > 0 && manhattan <= maxSteps) out.push([di, dj, dk]);
      }
  return out;
}

/** Throws INVALID_INPUT unless the value is 6, 18 or 26 (callers may get it from outside typed code). */
export function checkConnectivity(connectivity: number): asserts connectivity is GridConnectivity {
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new AppError('INVALID_INPUT', `connectivity must be 6, 18 or 26, got ${String(connectivity)}`);
  }
}

/** One bit per voxel: which voxels a fill has taken. Shared between fills so each voxel joins one region only. */
export class VoxelBits {
  readonly words: Uint32Array;

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  has(index: number): boolean {
    return (this.words[index >>> 5] & (1 << (index & 31))) !== 0;
  }

  add(index: number): void {
    this.words[index >>> 5] |= 1 << (index & 31);
  }

  /** Calls fn with every set index in ascending order (a whole organ comes out sorted without a sort). */
  forEach(fn: (index: number) => void): void {
    const w = this.words;
    for (let n = 0; n < w.length; n++) {
      let bits = w[n];
      while (bits !== 0) {
        const low = bits & -bits;
        fn(n * 32 + 31 - Math.clz32(low));
        bits ^= low;
      }
    }
  }

  /** The set as a 0/1 byte per voxel. */
  toMask(): Uint8Array {
    const mask = new Uint8Array(this.size);
    this.forEach((index) => {
      mask[index] = 1;
    });
    return mask;
  }
}

export interface FloodFillOptions {
  /** Default 6. On a grid whose extent along an axis is 1, steps along that axis are dropped: [nu, nv, 1] is a 2D grid. */
  connectivity?: GridConnectivity;
  /** Most voxels the region may hold, seeds included. Default: no cap. */
  maxVoxels?: number;
  /** Voxels already taken (e.g. by earlier components); the fill adds to it. Default: a fresh set. */
  visited?: VoxelBits;
  /**
   * Where to write the region's voxel indices in breadth-first order (seeds first), from `orderOffset` on. It is also
   * the queue, so it must have room for every voxel that can join; without it the fill keeps only the frontier.
   */
  order?: Int32Array;
  orderOffset?: number;
}

export interface FloodFillResult {
  /** Voxels that joined the region, seeds included. */
  voxels: number;
  /** True when the region reached maxVoxels while another voxel could still join: the region is incomplete. */
  capped: boolean;
  /** The taken voxels: this region plus whatever the caller's set held before. */
  visited: VoxelBits;
  /** The region in breadth-first order; only when an order buffer was given. */
  order?: Int32Array;
}

/**
 * Grows a region from `seeds` (linear indices) over a grid of `dims`. A voxel joins when it is in the grid, not yet
 * visited, and `accept(index)` is true; accept is called only for such voxels, and a rejected voxel stays unvisited
 * (it may be tested again from another neighbour). Breadth-first, neighbours in neighbourOffsets order, so the
 * region (and which voxels are in it when the cap stops it) depends only on the inputs.
 */
export function floodFill(dims: Vec3, seeds: number | ArrayLike<number>, accept: (index: number) => boolean, opts: FloodFillOptions = {}): FloodFillResult {
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  const n = nxy * nz;
  const visited = opts.visited ?? new VoxelBits(n);
  if (visited.size !== n) throw new AppError('INTERNAL', `visited set holds ${visited.size} voxels, the grid ${n}`);
  const maxVoxels = opts.maxVoxels ?? Number.MAX_SAFE_INTEGER;
  const offs = neighbourOffsets(opts.connectivity ?? 6).filter(([di, dj, dk]) => (di === 0 || nx > 1) && (dj === 0 || ny > 1) && (dk === 0 || nz > 1));
  // Linear steps of the neighbours, used without bounds checks for voxels away from the edges.
  const steps = Int32Array.from(offs.map(([di, dj, dk]) => di + nx * (dj + ny * dk)));
  const bits = visited.words;
  const fixedQueue = opts.order;
  let queue = fixedQueue ?? new Int32Array(1024);
  const start = fixedQueue ? (opts.orderOffset ?? 0) : 0;
  let head = start;
  let tail = start;
  let count = 0;
  let capped = false;
  const seedList = typeof seeds === 'number' ? [seeds] : seeds;
  for (let t = 0; t < seedList.length; t++) {
    const s = seedList[t];
    if (!Number.isInteger(s) || s < 0 || s >= n) throw new AppError('INVALID_INPUT', `seed index ${s} is outside the ${nx}x${ny}x${nz} grid`);
    if ((bits[s >>> 5] & (1 << (s & 31))) !== 0 || !accept(s)) continue;
    if (count >= maxVoxels) {
      capped = true;
      break;
    }
    // Nothing has left the queue yet (head is at its start): it may need to grow, never to shift.
    if (tail === queue.length) queue = grownQueue(queue, head, tail, fixedQueue !== undefined);
    bits[s >>> 5] |= 1 << (s & 31);
    queue[tail++] = s;
    count++;
  }

  // An axis of extent 1 needs no edge check: its steps were dropped above.
  const iEdge = nx > 1;
  const jEdge = ny > 1;
  const kEdge = nz > 1;
  outer: while (!capped && head < tail) {
    const q = queue[head++];
    const k = Math.floor(q / nxy);
    const r = q - k * nxy;
    const j = Math.floor(r / nx);
    const i = r - j * nx;
    const interior = (!iEdge || (i > 0 && i < nx - 1)) && (!jEdge || (j > 0 && j < ny - 1)) && (!kEdge || (k > 0 && k < nz - 1));
    for (let t = 0; t < steps.length; t++) {
      if (!interior) {
        const a = i + offs[t][0];
        const b = j + offs[t][1];
        const c = k + offs[t][2];
        if (a < 0 || a >= nx || b < 0 || b >= ny || c < 0 || c >= nz) continue;
      }
      const s = q + steps[t];
      if ((bits[s >>> 5] & (1 << (s & 31))) !== 0 || !accept(s)) continue;
      if (count >= maxVoxels) {
        capped = true;
        break outer;
      }
      bits[s >>> 5] |= 1 << (s & 31);
      count++;
      if (tail === queue.length) {
        queue = grownQueue(queue, head, tail, fixedQueue !== undefined);
        tail -= head;
        head = 0;
      }
      queue[tail++] = s;
    }
  }
  return { voxels: count, capped, visited, order: fixedQueue ? fixedQueue.subarray(start, start + count) : undefined };
}

/**
 * The live part of a full queue (head..tail) moved to the front of a bigger one, so the queue stays about the size of
 * the frontier. Kept out of floodFill so its loop variables are not captured by a closure (that slows the loop).
 */
function grownQueue(queue: Int32Array, head: number, tail: number, fixed: boolean): Int32Array {
  if (fixed) throw new AppError('INTERNAL', `flood fill order buffer of ${queue.length} is too small`);
  const next = new Int32Array(Math.max(1024, (tail - head) * 2));
  next.set(queue.subarray(head, tail));
  return next;
}

/** Calls fn with the linear index of every in-grid neighbour of voxel `index`, in neighbourOffsets order. */
export function forEachNeighbour(dims: Vec3, index: number, offsets: readonly Vec3[], fn: (neighbour: number) => void): void {
  const [nx, ny, nz] = dims;
  const k = Math.floor(index / (nx * ny));
  const r = index - k * nx * ny;
  const j = Math.floor(r / nx);
  const i = r - j * nx;
  for (const [di, dj, dk] of offsets) {
    const a = i + di;
    const b = j + dj;
    const c = k + dk;
    if (a < 0 || a >= nx || b < 0 || b >= ny || c < 0 || c >= nz) continue;
    fn(a + nx * (b + ny * c));
  }
}
