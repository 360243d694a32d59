// Views of a volume still arriving: for every plane, every acquisition orientation (axial, coronal, sagittal stacks,
// axes reversed) and random sets of arrived slices, extractArrivedSlice gives extractSlice's pixels on arrived slices,
// blank on the others, and never reads a voxel of a slice that has not arrived.
import { describe, expect, it } from 'vitest';
import { extractSlice, patientViewAxes, PLANES } from '../../../shared/domain/mpr.js';
import { extractArrivedSlice } from '../../../shared/domain/progressive/arrivedSlices.js';
import type { Mat3, Vec3, VolumeGeometry } from '../../../shared/domain/volume.js';

const BLANK = -32768;
// i, j, k directions of stacks acquired in each orientation, some with reversed axes (views then flip)
const DIRECTIONS: Mat3[] = [
  [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, -1],
  ],
  [
    [-1, 0, 0],
    [0, -1, 0],
    [0, 0, 1],
  ],
  [
    [1, 0, 0],
    [0, 0, -1],
    [0, 1, 0],
  ],
  [
    [1, 0, 0],
    [0, 0, -1],
    [0, -1, 0],
  ],
  [
    [0, 1, 0],
    [0, 0, -1],
    [1, 0, 0],
  ],
  [
    [0, 1, 0],
    [0, 0, -1],
    [-1, 0, 0],
  ],
];

/** A deterministic pseudo-random sequence (tests stay reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('views of a volume still arriving', () => {
  it('equal extractSlice on arrived slices, blank elsewhere, and read no voxel of a slice not arrived', () => {
    const dims: Vec3 = [6, 5, 9];
    const n = dims[0] * dims[1] * dims[2];
    const values = Int16Array.from({ length: n }, (_, p) => p - 100);
    const random = rng(7);
    let checkedViews = 0;
    for (const directionLps of DIRECTIONS) {
      const g: VolumeGeometry = { dims, spacingMm: [1, 1, 2], originLps: [0, 0, 0], directionLps };
      for (const arrivedFraction of [0, 0.3, 0.7, 1]) {
        const loaded = Uint8Array.from({ length: dims[2] }, () => (random() < arrivedFraction ? 1 : 0));
        // reading a voxel of a slice that has not arrived throws
        const guarded = new Proxy(values, {
          get(target, key) {
            if (typeof key === 'string' && /^\d+$/.test(key)) {
              const k = Math.floor(Number(key) / (dims[0] * dims[1]));
              if (!loaded[k]) throw new Error(`read voxel ${key} of slice ${k}, not arrived`);
              return target[Number(key)];
            }
            return Reflect.get(target, key) as unknown;
          },
        });
        for (const plane of PLANES) {
          const ax = patientViewAxes(g, plane);
          for (let slice = 0; slice < ax.sliceCount; slice++) {
            const want = new Int16Array(ax.width * ax.height);
            extractSlice(values, dims, ax, slice, want);
            // which volume k each pixel comes from: the same cut of a volume holding k everywhere
            const kOf = new Int16Array(ax.width * ax.height);
            extractSlice(
              Int16Array.from({ length: n }, (_, p) => Math.floor(p / (dims[0] * dims[1]))),
              dims,
              ax,
              slice,
              kOf,
            );
            for (let p = 0; p < want.length; p++) if (!loaded[kOf[p]]) want[p] = BLANK;
            const got = new Int16Array(ax.width * ax.height).fill(12345);
            extractArrivedSlice(guarded, dims, ax, slice, loaded, BLANK, got);
            expect(Array.from(got), `${plane} slice ${slice} of ${JSON.stringify(directionLps)}`).toEqual(Array.from(want));
            checkedViews++;
          }
        }
      }
    }
    expect(checkedViews).toBe(DIRECTIONS.length * 4 * (dims[0] + dims[1] + dims[2]));
  });
});
