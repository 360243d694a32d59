// Where a click on a 3D surface puts the crosshair (shared/domain/view3d/pickVoxel.ts): on an oblique anisotropic grid
// with an analytic ball, a point on the ball's surface maps to a labelled voxel, the labelled voxel nearest in mm.
import { describe, expect, it } from 'vitest';
import { voxelForSurfacePick } from '../../../shared/domain/view3d/pickVoxel.js';
import { ijkToLps, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';

const c = Math.cos(0.4);
const s = Math.sin(0.4);
const grid: VolumeGeometry = {
  dims: [30, 28, 16],
  spacingMm: [0.8, 0.9, 2.5],
  originLps: [-12, 30, 100],
  directionLps: [
    [c, s, 0],
    [-s, c, 0],
    [0, 0, 1],
  ],
};
const centreIjk: Vec3 = [15, 14, 8];
const radiusMm = 8;
const centre = ijkToLps(grid, centreIjk);
const labels = new Uint8Array(30 * 28 * 16);
for (let k = 0; k < 16; k++)
  for (let j = 0; j < 28; j++)
    for (let i = 0; i < 30; i++) {
      const p = ijkToLps(grid, [i, j, k]);
      if (Math.hypot(p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]) <= radiusMm) labels[i + 30 * (j + 28 * k)] = 3;
    }

function labelledVoxelsByDistance(point: Vec3): { ijk: Vec3; d: number }[] {
  const out: { ijk: Vec3; d: number }[] = [];
  for (let k = 0; k < 16; k++)
    for (let j = 0; j < 28; j++)
      for (let i = 0; i < 30; i++) {
        if (labels[i + 30 * (j + 28 * k)] !== 3) continue;
        const p = ijkToLps(grid, [i, j, k]);
        out.push({ ijk: [i, j, k], d: Math.hypot(p[0] - point[0], p[1] - point[1], p[2] - point[2]) });
      }
  return out.sort((a, b) => a.d - b.d);
}

describe('voxel for a surface pick', () => {
  it('puts the crosshair on the labelled voxel nearest to a point on the ball surface, in every direction', () => {
    let checked = 0;
    for (let n = 0; n < 60; n++) {
      // Fibonacci sphere: directions spread over the whole ball.
      const z = 1 - (2 * (n + 0.5)) / 60;
      const r = Math.sqrt(1 - z * z);
      const phi = n * 2.399963;
      const point: Vec3 = [centre[0] + radiusMm * r * Math.cos(phi), centre[1] + radiusMm * r * Math.sin(phi), centre[2] + radiusMm * z];
      const got = voxelForSurfacePick(grid, labels, 3, point);
      expect(labels[got[0] + 30 * (got[1] + 28 * got[2])]).toBe(3);
      const ranked = labelledVoxelsByDistance(point);
      const p = ijkToLps(grid, got);
      const d = Math.hypot(p[0] - point[0], p[1] - point[1], p[2] - point[2]);
      expect(d).toBeCloseTo(ranked[0].d, 6);
      checked++;
    }
    expect(checked).toBe(60);
  });

  it('falls back to the rounded, clamped voxel when no voxel of the label is near (a point outside the grid)', () => {
    const far = ijkToLps(grid, [-5, 40, 3]);
    expect(voxelForSurfacePick(grid, labels, 3, far)).toEqual([0, 27, 3]);
  });
});
