// Linked scrolling by LPS z on analytic grids: shifted origins, other slice spacing, a reversed slice axis, and a
// position outside one scan.
import { describe, expect, it } from 'vitest';
import { sliceCentreZLps, sliceNearestZLps } from '../../../shared/domain/timeline/linkedSlices.js';
import type { Mat3, VolumeGeometry } from '../../../shared/domain/volume.js';

const I: Mat3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
const grid = (originZ: number, dz: number, nz: number, directionLps: Mat3 = I): VolumeGeometry => ({
  dims: [4, 4, nz],
  spacingMm: [1, 1, dz],
  originLps: [-2, -2, originZ],
  directionLps,
});

describe('linked slices by LPS z', () => {
  it('lands on the slice at the same z, not the same index, when the origins differ', () => {
    const base = grid(100, 2, 40);
    const follow = grid(110, 2, 40); // 5 slices further along +z
    expect(sliceCentreZLps(base, 20)).toBe(140);
    expect(sliceNearestZLps(follow, sliceCentreZLps(base, 20))).toEqual({ k: 15, offsetMm: 0, outside: false });
  });

  it('takes the nearest slice when the spacings differ, and flags a position beyond the scan', () => {
    const thin = grid(100, 1.25, 80);
    expect(sliceNearestZLps(thin, 107)).toEqual({ k: 6, offsetMm: 0.5, outside: false }); // 107.5 is k = 6
    expect(sliceNearestZLps(thin, 200).outside).toBe(true);
    expect(sliceNearestZLps(thin, 200).k).toBe(79);
  });

  it('follows a slice axis pointing to −z (feet first stacks)', () => {
    const down = grid(150, 2, 40, [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, -1],
    ]);
    expect(sliceCentreZLps(down, 5)).toBe(140);
    expect(sliceNearestZLps(down, 140).k).toBe(5);
  });
});
