// The grid flood fill kernel on its own: 6/18/26 neighbourhoods, grid edges (no wrap-around), flat grids, seeds,
// shared visited sets, the order buffer and the voxel cap; checked against a union-find labelling of random grids.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.js';
import { floodFill, neighbourOffsets, VoxelBits, type GridConnectivity } from '../../../shared/domain/grid/floodFill.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { prng } from '../../helpers/editFixture.js';

const index = (dims: Vec3, i: number, j: number, k: number): number => i + dims[0] * (j + dims[1] * k);

/** Sorted members of a fill's region. */
function members(bits: VoxelBits): number[] {
  const out: number[] = [];
  bits.forEach((x) => out.push(x));
  return out;
}

/**
 * Reference labelling by union-find over every pair of voxels within the neighbourhood, written from the definition
 * (|di|+|dj|+|dk| <= 1, 2 or 3 with each |d| <= 1) rather than from the kernel's offsets or its queue.
 */
function unionFindRoots(mask: Uint8Array, dims: Vec3, connectivity: GridConnectivity): Int32Array {
  const [nx, ny, nz] = dims;
  const parent = Int32Array.from({ length: mask.length }, (_, p) => p);
  const find = (p: number): number => {
    while (parent[p] !== p) p = parent[p] = parent[parent[p]];
    return p;
  };
  const maxManhattan = { 6: 1, 18: 2, 26: 3 }[connectivity];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        if (!mask[index(dims, i, j, k)]) continue;
        for (let c = k - 1; c <= k + 1; c++)
          for (let b = j - 1; b <= j + 1; b++)
            for (let a = i - 1; a <= i + 1; a++) {
              if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
              const manhattan = Math.abs(a - i) + Math.abs(b - j) + Math.abs(c - k);
              if (manhattan === 0 || manhattan > maxManhattan || !mask[index(dims, a, b, c)]) continue;
              parent[find(index(dims, i, j, k))] = find(index(dims, a, b, c));
            }
      }
  return Int32Array.from({ length: mask.length }, (_, p) => (mask[p] ? find(p) : -1));
}

describe('neighbourOffsets', () => {
  it('has 6 faces, 18 with edges, 26 with corners, each offset once, and refuses anything else', () => {
    for (const [c, n] of [
      [6, 6],
      [18, 18],
      [26, 26],
    ] as const) {
      const offs = neighbourOffsets(c);
      expect(offs).toHaveLength(n);
      expect(new Set(offs.map((o) => o.join(','))).size).toBe(n);
    }
    expect(neighbourOffsets(18).every((o) => Math.abs(o[0]) + Math.abs(o[1]) + Math.abs(o[2]) <= 2)).toBe(true);
    expect(() => neighbourOffsets(8 as GridConnectivity)).toThrow(AppError);
  });
});

describe('floodFill', () => {
  it('takes the whole neighbourhood of the seed first: 6, 18 or 26 voxels around the centre of a 3x3x3 block', () => {
    const dims: Vec3 = [3, 3, 3];
    const centre = index(dims, 1, 1, 1);
    for (const c of [6, 18, 26] as const) {
      // capped right after the seed's own neighbours: breadth first, they all come before anything else
      const r = floodFill(dims, centre, () => true, { connectivity: c, maxVoxels: c + 1 });
      expect([r.voxels, r.capped]).toEqual([c + 1, c < 26]);
      const expected = [centre];
      for (let dk = -1; dk <= 1; dk++)
        for (let dj = -1; dj <= 1; dj++)
          for (let di = -1; di <= 1; di++) {
            const steps = Math.abs(di) + Math.abs(dj) + Math.abs(dk);
            if (steps > 0 && steps <= { 6: 1, 18: 2, 26: 3 }[c]) expected.push(index(dims, 1 + di, 1 + dj, 1 + dk));
          }
      expect(members(r.visited)).toEqual(expected.sort((x, y) => x - y));
    }
  });

  it('joins voxels touching at an edge only for 18 and 26, at a corner only for 26', () => {
    const dims: Vec3 = [4, 4, 4];
    const mask = new Uint8Array(64);
    const a = index(dims, 1, 1, 1);
    const edge = index(dims, 2, 2, 1);
    const corner = index(dims, 3, 3, 2);
    for (const p of [a, edge, corner]) mask[p] = 1;
    const reach = (c: GridConnectivity): number[] => members(floodFill(dims, a, (p) => mask[p] === 1, { connectivity: c }).visited);
    expect(reach(6)).toEqual([a]);
    expect(reach(18)).toEqual([a, edge]);
    expect(reach(26)).toEqual([a, edge, corner]);
  });

  it('does not wrap from the end of a row, column or slice to the start of the next (linear index ± 1, ± nx, ± nx·ny)', () => {
    const dims: Vec3 = [5, 4, 3];
    // Two columns of voxels at i = nx-1 and i = 0: neighbours in linear index (p and p + 1) but not in space.
    const mask = new Uint8Array(60);
    for (let k = 0; k < 3; k++) for (let j = 0; j < 4; j++) mask[index(dims, 4, j, k)] = mask[index(dims, 0, j, k)] = 1;
    for (const c of [6, 18, 26] as const) {
      const r = floodFill(dims, index(dims, 4, 0, 0), (p) => mask[p] === 1, { connectivity: c });
      expect(r.voxels).toBe(12);
      expect(members(r.visited).every((p) => p % 5 === 4)).toBe(true);
    }
    // Rows j = ny-1 and j = 0 of consecutive slices are adjacent in memory too.
    const rows = new Uint8Array(60);
    for (let i = 0; i < 5; i++) rows[index(dims, i, 3, 0)] = rows[index(dims, i, 0, 1)] = 1;
    expect(floodFill(dims, index(dims, 0, 3, 0), (p) => rows[p] === 1, { connectivity: 26 }).voxels).toBe(5);
  });

  it('equals a union-find labelling on random grids for 6, 18 and 26, seeded anywhere', () => {
    const rand = prng(20261130);
    for (const dims of [
      [9, 7, 5],
      [1, 12, 11],
      [13, 1, 6],
      [16, 16, 1],
    ] as Vec3[]) {
      const n = dims[0] * dims[1] * dims[2];
      for (const density of [0.3, 0.45, 0.6]) {
        const mask = Uint8Array.from({ length: n }, () => (rand() < density ? 1 : 0));
        for (const c of [6, 18, 26] as const) {
          const roots = unionFindRoots(mask, dims, c);
          for (let trial = 0; trial < 5; trial++) {
            const seed = Math.floor(rand() * n);
            const r = floodFill(dims, seed, (p) => mask[p] === 1, { connectivity: c });
            const expected: number[] = [];
            if (mask[seed]) for (let p = 0; p < n; p++) if (roots[p] === roots[seed]) expected.push(p);
            expect(members(r.visited), `${dims.join('x')} density ${density} conn ${c} seed ${seed}`).toEqual(expected);
            expect(r.voxels).toBe(expected.length);
            expect(r.capped).toBe(false);
          }
        }
      }
    }
  });

  it('treats a grid one voxel thick as 2D: 6 gives 4 in-plane neighbours, 26 gives 8', () => {
    const dims: Vec3 = [3, 3, 1];
    const centre = index(dims, 1, 1, 0);
    const cross = new Uint8Array([0, 1, 0, 1, 1, 1, 0, 1, 0]);
    const ring = new Uint8Array([1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(floodFill(dims, centre, (p) => cross[p] === 1, { connectivity: 6 }).voxels).toBe(5);
    expect(floodFill(dims, centre, (p) => ring[p] === 1, { connectivity: 6 }).voxels).toBe(1);
    expect(floodFill(dims, centre, (p) => ring[p] === 1, { connectivity: 18 }).voxels).toBe(5);
    expect(floodFill(dims, centre, (p) => ring[p] === 1, { connectivity: 26 }).voxels).toBe(5);
  });

  it('calls accept only for in-grid voxels not yet taken, and never twice for a voxel that joined', () => {
    const dims: Vec3 = [6, 5, 4];
    const calls: number[] = [];
    const r = floodFill(
      dims,
      0,
      (p) => {
        calls.push(p);
        return p % 3 !== 1;
      },
      { connectivity: 26 },
    );
    expect(calls.every((p) => Number.isInteger(p) && p >= 0 && p < 120)).toBe(true);
    const joined = members(r.visited);
    for (const p of joined) expect(calls.filter((c) => c === p)).toHaveLength(1);
  });

  describe('the voxel cap', () => {
    const dims: Vec3 = [9, 9, 9];
    const centre = index(dims, 4, 4, 4);
    const inBall = (p: number): boolean => {
      const d = [p % 9, Math.floor(p / 9) % 9, Math.floor(p / 81)].map((x) => Math.abs(x - 4));
      return d[0] + d[1] + d[2] <= 2; // a 6-connected diamond of 25 voxels
    };

    it('is not "capped" when the region has exactly maxVoxels voxels', () => {
      expect(floodFill(dims, centre, inBall, { maxVoxels: 25 })).toMatchObject({ voxels: 25, capped: false });
      expect(floodFill(dims, centre, inBall, { maxVoxels: 1000 })).toMatchObject({ voxels: 25, capped: false });
    });

    it('stops one short with capped = true and a breadth-first (nearest first) region', () => {
      const r = floodFill(dims, centre, inBall, { maxVoxels: 24 });
      expect([r.voxels, r.capped]).toEqual([24, true]);
      expect(members(r.visited)).toHaveLength(24);
      // breadth first: the seed and its 6 face neighbours are in before any voxel two steps away
      const seven = floodFill(dims, centre, inBall, { maxVoxels: 7 });
      expect(seven.capped).toBe(true);
      const expected = [centre, ...neighbourOffsets(6).map(([a, b, c]) => centre + a + 9 * b + 81 * c)].sort((x, y) => x - y);
      expect(members(seven.visited)).toEqual(expected);
    });

    it('counts seeds too', () => {
      const r = floodFill(dims, [0, 10, 20, 30], () => true, { maxVoxels: 3 });
      expect([r.voxels, r.capped]).toEqual([3, true]);
      expect(members(r.visited)).toEqual([0, 10, 20]);
    });
  });

  it('grows from several seeds at once, skipping seeds that are rejected or already taken', () => {
    const dims: Vec3 = [10, 1, 1];
    const mask = new Uint8Array([1, 1, 0, 1, 1, 1, 0, 0, 1, 1]);
    const r = floodFill(dims, [0, 2, 8, 9], (p) => mask[p] === 1);
    expect(members(r.visited)).toEqual([0, 1, 8, 9]);
    expect(r.voxels).toBe(4);
    expect(() => floodFill(dims, [3, 10], () => true)).toThrow(/outside/);
    expect(() => floodFill(dims, 1.5, () => true)).toThrow(AppError);
  });

  it('shares a visited set between fills so a voxel joins one region only', () => {
    const dims: Vec3 = [8, 1, 1];
    const visited = new VoxelBits(8);
    const first = floodFill(dims, 2, (p) => p < 5, { visited });
    expect(first.voxels).toBe(5);
    const second = floodFill(dims, 4, () => true, { visited });
    expect(second.voxels).toBe(0); // the seed was taken by the first fill
    const third = floodFill(dims, 6, () => true, { visited });
    expect(third.voxels).toBe(3);
    expect(members(visited)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(() => floodFill([4, 1, 1], 0, () => true, { visited })).toThrow(AppError);
  });

  it('writes the region breadth-first into an order buffer at an offset, and refuses a buffer that is too small', () => {
    const dims: Vec3 = [5, 5, 1];
    const order = new Int32Array(30).fill(-1);
    const r = floodFill(dims, index(dims, 2, 2, 0), () => true, { order, orderOffset: 3 });
    expect(r.voxels).toBe(25);
    expect(Array.from(order.subarray(0, 3))).toEqual([-1, -1, -1]);
    expect(Array.from(r.order!)).toEqual(Array.from(order.subarray(3, 28)));
    // distance from the seed (4-connected, Manhattan) never decreases along the order
    const dist = Array.from(r.order!).map((p) => Math.abs((p % 5) - 2) + Math.abs(Math.floor(p / 5) - 2));
    expect(dist[0]).toBe(0);
    for (let t = 1; t < dist.length; t++) expect(dist[t]).toBeGreaterThanOrEqual(dist[t - 1]);
    expect(() => floodFill(dims, 0, () => true, { order: new Int32Array(10) })).toThrow(/too small/);
  });

  it('keeps only the frontier without an order buffer, so a fill of a whole large grid works', () => {
    const dims: Vec3 = [200, 200, 30];
    const r = floodFill(dims, 0, () => true);
    expect(r.voxels).toBe(1_200_000);
    expect(r.order).toBeUndefined();
  });
});

describe('VoxelBits', () => {
  it('lists set voxels in ascending order across word boundaries and turns into a byte mask', () => {
    const bits = new VoxelBits(100);
    for (const p of [99, 31, 32, 0, 63, 64]) bits.add(p);
    expect(members(bits)).toEqual([0, 31, 32, 63, 64, 99]);
    expect(bits.has(31) && !bits.has(30)).toBe(true);
    const mask = bits.toMask();
    expect(mask.length).toBe(100);
    expect(Array.from(mask).reduce((a, b) => a + b, 0)).toBe(6);
    expect(mask[99]).toBe(1);
  });
});
