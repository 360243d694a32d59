// The cut plane from two clicks on a 2D view: on an oblique anisotropic grid it contains every voxel centre of the
// clicked line on every slice (perpendicular to the view), its normal is a unit vector and a known side is positive.
import { describe, expect, it } from 'vitest';
import { cutPlaneFromClicks } from '../../../shared/domain/planning/cutPlane.js';
import { dot, identityDirection, ijkToLps, norm, sub, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { obliqueDirection } from '../../helpers/planningPhantoms.js';

const signed = (p: { pointLps: Vec3; normalLps: Vec3 }, x: Vec3): number => dot(sub(x, p.pointLps), p.normalLps);

describe('cut plane from two clicks', () => {
  it('identity grid, axial view: a left-going line cuts with an anterior normal (analytic)', () => {
    const g: VolumeGeometry = { dims: [20, 20, 10], spacingMm: [1, 1, 1], originLps: [0, 0, 0], directionLps: identityDirection() };
    const p = cutPlaneFromClicks(g, 2, [2, 5, 4], [12, 5, 4]);
    expect(p.pointLps).toEqual([2, 5, 4]);
    expect(p.normalLps[0]).toBeCloseTo(0, 12);
    expect(p.normalLps[1]).toBeCloseTo(-1, 12);
    expect(p.normalLps[2]).toBeCloseTo(0, 12);
  });

  for (const sliceAxis of [0, 1, 2] as const) {
    it(`oblique anisotropic grid, slice axis ${sliceAxis}: the plane holds the clicked line on every slice`, () => {
      const g: VolumeGeometry = { dims: [40, 50, 30], spacingMm: [0.8, 1.3, 2.5], originLps: [-20, 15, 60], directionLps: obliqueDirection(0.4, -0.25, true) };
      const [u, v] = ([0, 1, 2] as const).filter((q) => q !== sliceAxis);
      const a: Vec3 = [0, 0, 0];
      const b: Vec3 = [0, 0, 0];
      a[u] = 3;
      a[v] = 4;
      b[u] = 23;
      b[v] = 14;
      a[sliceAxis] = b[sliceAxis] = 7;
      const p = cutPlaneFromClicks(g, sliceAxis, a, b);
      expect(norm(p.normalLps)).toBeCloseTo(1, 12);
      // voxel centres on the segment a→b (every other step is a voxel centre: direction (20,10)/10 = (2,1)), all slices
      for (let t = 0; t <= 10; t++)
        for (const s of [0, 7, 29]) {
          const x: Vec3 = [0, 0, 0];
          x[u] = 3 + 2 * t;
          x[v] = 4 + t;
          x[sliceAxis] = s;
          expect(Math.abs(signed(p, ijkToLps(g, x)))).toBeLessThan(1e-9);
        }
      // voxels off the line on either side have opposite signs, at the distance the grid gives
      const off = (d: number): Vec3 => {
        const x: Vec3 = [...a];
        x[v] += d;
        return x;
      };
      expect(signed(p, ijkToLps(g, off(3))) * signed(p, ijkToLps(g, off(-3)))).toBeLessThan(0);
      // the plane is perpendicular to the view plane: the normal is orthogonal to the slice axis direction
      expect(Math.abs(dot(p.normalLps, g.directionLps[sliceAxis]))).toBeLessThan(1e-12);
    });
  }

  it('refuses coincident points and points on different slices', () => {
    const g: VolumeGeometry = { dims: [10, 10, 10], spacingMm: [1, 1, 1], originLps: [0, 0, 0], directionLps: identityDirection() };
    expect(() => cutPlaneFromClicks(g, 2, [1, 1, 1], [1, 1, 1])).toThrow(/distinct/);
    expect(() => cutPlaneFromClicks(g, 2, [1, 1, 1], [5, 1, 2])).toThrow(/same slice/);
  });
});
