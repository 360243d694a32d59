// The cut plane placed in 3D: in-plane axes, tilts and offset against their closed forms, the plane's polygon in a box
// (square and regular hexagon of a unit cube, with their exact areas), its trace on slices of an oblique anisotropic
// grid (ends on the plane and on the slice's border), and an organ's LPS box and centre on a painted phantom.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  adjustPlane,
  defaultOrganPlane,
  inPlaneAxes,
  labelBoundsLps,
  nearestAxisName,
  planeBoxPolygon,
  planeSliceSegment,
  resectedSideMask,
  rotateAbout,
} from '../../../shared/domain/planning/planePose.js';
import { resectByPlane } from '../../../shared/domain/planning/resection.js';
import { cross, dot, identityDirection, ijkToLps, norm, normalize, sub, voxelVolumeMl, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { obliqueDirection, paintEllipsoids } from '../../helpers/planningPhantoms.js';

const close = (a: Vec3, b: Vec3, digits = 10): void => a.forEach((x, q) => expect(x).toBeCloseTo(b[q], digits));
const unitVec = fc
  .tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }))
  .filter((v) => Math.hypot(...v) > 0.1)
  .map((v) => normalize(v as Vec3));

/** Area of a planar polygon in 3D (vertices in order). */
function polygonArea(poly: Vec3[]): number {
  const s: Vec3 = [0, 0, 0];
  for (let n = 0; n < poly.length; n++) {
    const c = cross(poly[n], poly[(n + 1) % poly.length]);
    for (let q = 0; q < 3; q++) s[q] += c[q];
  }
  return norm(s) / 2;
}

describe('in-plane axes and tilts', () => {
  it('a sagittal cut (normal L) tilts about P and S', () => {
    const { u, v } = inPlaneAxes([1, 0, 0]);
    close(u, [0, 1, 0]);
    close(v, [0, 0, 1]);
    expect([nearestAxisName(u), nearestAxisName(v), nearestAxisName([0, 0, -0.9])]).toEqual(['+P', '+S', '−S']);
  });

  it('u, v and n are a right-handed orthonormal frame for any normal', () => {
    fc.assert(
      fc.property(unitVec, (n) => {
        const { u, v } = inPlaneAxes(n);
        expect(norm(u)).toBeCloseTo(1, 12);
        expect(norm(v)).toBeCloseTo(1, 12);
        expect(dot(u, n)).toBeCloseTo(0, 12);
        expect(dot(u, v)).toBeCloseTo(0, 12);
        close(cross(u, v), n, 10);
      }),
    );
  });

  it('tilt about u then v equals the closed form cosα(n cosβ + u sinβ) − v sinα; the offset moves along the new normal', () => {
    fc.assert(
      fc.property(
        unitVec,
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: -50, max: 50, noNaN: true }),
        (n, a, b, offsetMm) => {
          const base = { pointLps: [12, -30, 85] as Vec3, normalLps: n.map((x) => 3 * x) as Vec3 };
          const { u, v } = inPlaneAxes(n);
          const ra = (a * Math.PI) / 180;
          const rb = (b * Math.PI) / 180;
          const expected = [0, 1, 2].map((q) => Math.cos(ra) * (n[q] * Math.cos(rb) + u[q] * Math.sin(rb)) - v[q] * Math.sin(ra)) as Vec3;
          const p = adjustPlane(base, { offsetMm, tiltUDeg: a, tiltVDeg: b });
          close(p.normalLps, expected, 9);
          expect(dot(sub(p.pointLps, base.pointLps), p.normalLps)).toBeCloseTo(offsetMm, 9);
          expect(norm(sub(p.pointLps, base.pointLps))).toBeCloseTo(Math.abs(offsetMm), 9);
          // the angle between the normals is the composed tilt: cos = cosα·cosβ
          expect(dot(p.normalLps, n)).toBeCloseTo(Math.cos(ra) * Math.cos(rb), 9);
        },
      ),
    );
  });

  it('no adjustment returns the base plane; rotateAbout turns a quarter turn right-handed', () => {
    const base = { pointLps: [1, 2, 3] as Vec3, normalLps: [0, 0, 2] as Vec3 };
    const p = adjustPlane(base, { offsetMm: 0, tiltUDeg: 0, tiltVDeg: 0 });
    close(p.pointLps, [1, 2, 3]);
    close(p.normalLps, [0, 0, 1]);
    close(rotateAbout([1, 0, 0], [0, 0, 1], Math.PI / 2), [0, 1, 0]);
    expect(() => adjustPlane(base, { offsetMm: NaN, tiltUDeg: 0, tiltVDeg: 0 })).toThrow(/finite/);
    expect(() => adjustPlane({ pointLps: [0, 0, 0], normalLps: [0, 0, 0] }, { offsetMm: 0, tiltUDeg: 0, tiltVDeg: 0 })).toThrow(/non-zero/);
  });
});

describe('the plane inside a box', () => {
  const lo: Vec3 = [0, 0, 0];
  const hi: Vec3 = [1, 1, 1];
  it('through the centre of a unit cube: a unit square for an axis normal, the regular hexagon (area 3√3/4) for (1,1,1)', () => {
    const square = planeBoxPolygon({ pointLps: [0.5, 0.5, 0.5], normalLps: [0, 0, 1] }, lo, hi);
    expect(square).toHaveLength(4);
    expect(polygonArea(square)).toBeCloseTo(1, 12);
    const hexagon = planeBoxPolygon({ pointLps: [0.5, 0.5, 0.5], normalLps: [1, 1, 1] }, lo, hi);
    expect(hexagon).toHaveLength(6);
    expect(polygonArea(hexagon)).toBeCloseTo((3 * Math.sqrt(3)) / 4, 12);
    for (const p of hexagon) expect(p[0] + p[1] + p[2]).toBeCloseTo(1.5, 12);
    // ordered counter-clockwise seen from the side the normal points to
    const c = cross(sub(hexagon[1], hexagon[0]), sub(hexagon[2], hexagon[1]));
    expect(dot(c, [1, 1, 1])).toBeGreaterThan(0);
  });

  it('a corner cut is a triangle; a plane beside the box gives nothing', () => {
    const tri = planeBoxPolygon({ pointLps: [0.25, 0, 0], normalLps: [1, 1, 1] }, lo, hi);
    expect(tri).toHaveLength(3);
    expect(polygonArea(tri)).toBeCloseTo((Math.sqrt(3) / 4) * (0.25 * Math.SQRT2) ** 2, 12);
    expect(planeBoxPolygon({ pointLps: [2, 0, 0], normalLps: [1, 0, 0] }, lo, hi)).toEqual([]);
  });
});

describe('the plane on a slice', () => {
  it('identity grid: the plane L = 10.2 crosses an axial slice along j, from edge to edge', () => {
    const g: VolumeGeometry = { dims: [30, 20, 5], spacingMm: [1, 1, 1], originLps: [0, 0, 0], directionLps: identityDirection() };
    const seg = planeSliceSegment(g, { pointLps: [10.2, 0, 0], normalLps: [1, 0, 0] }, 2, 3)!;
    const ends = [seg[0], seg[1]].sort((a, b) => a[1] - b[1]);
    close(ends[0], [10.2, -0.5, 3]);
    close(ends[1], [10.2, 19.5, 3]);
    // parallel to the slice, or outside it: no line
    expect(planeSliceSegment(g, { pointLps: [0, 0, 2], normalLps: [0, 0, 1] }, 2, 3)).toBeNull();
    expect(planeSliceSegment(g, { pointLps: [40, 0, 0], normalLps: [1, 0, 0] }, 2, 3)).toBeNull();
  });

  for (const sliceAxis of [0, 1, 2] as const) {
    it(`oblique anisotropic mirrored grid, slice axis ${sliceAxis}: a line exactly where the slice's corners change side, its ends on the plane and the border`, () => {
      const g: VolumeGeometry = { dims: [40, 50, 30], spacingMm: [0.8, 1.3, 2.5], originLps: [-20, 15, 60], directionLps: obliqueDirection(0.4, -0.25, true) };
      const centre = ijkToLps(g, [20, 25, 15]);
      const plane = adjustPlane({ pointLps: centre, normalLps: [0.3, 0.8, -0.5] }, { offsetMm: 4, tiltUDeg: 17, tiltVDeg: -9 });
      const [x, y] = ([0, 1, 2] as const).filter((q) => q !== sliceAxis);
      const sidesOf = (slice: number): Set<number> => {
        const s = new Set<number>();
        for (const cx of [-0.5, g.dims[x] - 0.5])
          for (const cy of [-0.5, g.dims[y] - 0.5]) {
            const c: Vec3 = [0, 0, 0];
            c[x] = cx;
            c[y] = cy;
            c[sliceAxis] = slice;
            s.add(Math.sign(dot(sub(ijkToLps(g, c), plane.pointLps), plane.normalLps)));
          }
        return s;
      };
      let crossed = 0;
      for (let slice = 0; slice < g.dims[sliceAxis]; slice++) {
        const found = planeSliceSegment(g, plane, sliceAxis, slice);
        expect(found !== null, `slice ${slice}`).toBe(sidesOf(slice).size > 1);
        if (found) crossed++;
      }
      expect(crossed).toBeGreaterThan(3);
      const mid = [...Array(g.dims[sliceAxis]).keys()].find((s) => sidesOf(s).size > 1)! + 1;
      const seg = planeSliceSegment(g, plane, sliceAxis, mid);
      expect(seg).not.toBeNull();
      for (const e of seg!) {
        expect(e[sliceAxis]).toBe(mid);
        expect(dot(sub(ijkToLps(g, e), plane.pointLps), plane.normalLps)).toBeCloseTo(0, 9);
        const onBorder = ([0, 1, 2] as const)
          .filter((q) => q !== sliceAxis)
          .some((q) => Math.abs(e[q] + 0.5) < 1e-9 || Math.abs(e[q] - (g.dims[q] - 0.5)) < 1e-9);
        expect(onBorder).toBe(true);
        for (const q of [0, 1, 2]) if (q !== sliceAxis) expect(e[q]).toBeGreaterThanOrEqual(-0.5 - 1e-9);
      }
    });
  }
});

describe('an organ’s box and default plane', () => {
  it('an ellipsoid on an oblique grid: its box within a voxel of the analytic box; the default plane goes through its centre', () => {
    const centre: Vec3 = [10, -20, 40];
    const semi: Vec3 = [25, 15, 12];
    const g = paintEllipsoids([0.9, 1.2, 2.5], obliqueDirection(-0.3, 0.4), 80, centre, [{ value: 5, centreLps: centre, semiAxesMm: semi }]);
    const box = labelBoundsLps(g, g.labels, 5)!;
    const diag = Math.hypot(0.9, 1.2, 2.5);
    for (let q = 0; q < 3; q++) {
      expect(Math.abs(box.minLps[q] - (centre[q] - semi[q]))).toBeLessThan(diag);
      expect(Math.abs(box.maxLps[q] - (centre[q] + semi[q]))).toBeLessThan(diag);
    }
    const plane = defaultOrganPlane(g, g.labels, 5)!;
    expect(norm(sub(plane.pointLps, centre))).toBeLessThan(0.5);
    expect(plane.normalLps).toEqual([1, 0, 0]);
    expect(labelBoundsLps(g, g.labels, 7)).toBeNull();
    expect(defaultOrganPlane(g, g.labels, 7)).toBeNull();
  });
});

describe('preview of the resected side', () => {
  it('organ voxels only, on the side opposite the kept one; their volume within 1 % of the organ of the plane cut’s resected mL', () => {
    const centre: Vec3 = [10, -20, 40];
    const g = paintEllipsoids([0.9, 1.2, 2.5], obliqueDirection(-0.3, 0.4), 80, centre, [{ value: 5, centreLps: centre, semiAxesMm: [25, 15, 12] }]);
    const plane = adjustPlane({ pointLps: centre, normalLps: [1, 0, 0] }, { offsetMm: 6, tiltUDeg: 25, tiltVDeg: -10 });
    for (const keep of ['positive', 'negative'] as const) {
      const mask = resectedSideMask(g, g.labels, 5, plane, keep);
      let count = 0;
      mask.forEach((v, p) => {
        if (!v) return;
        count++;
        if (g.labels[p] !== 5) throw new Error('preview outside the organ');
      });
      const r = resectByPlane(g, 5, plane, keep);
      expect(Math.abs(count * voxelVolumeMl(g) - r.resectedMl)).toBeLessThan(0.01 * r.organMl);
    }
  });
});
