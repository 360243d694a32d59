// RECIST 1.1 short axis = the longest diameter perpendicular to the long axis in the same slice (inside the lesion),
// not the caliper width: checked on irregular shapes (crescent, L-shape, dumbbell) on axial, anisotropic and oblique
// grids against an independent brute force over every pair of voxel centres.
import { describe, expect, it } from 'vitest';
import { recistAxes, axialPlane } from '../../../shared/domain/measure/diameters.js';
import { identityDirection, cross, dot, ijkToLps, lpsToIjk, normalize, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';

type Shape = (x: number, y: number) => boolean;

/** A shape drawn in mm on a plane (x, y in mm from the grid's first voxel), extruded over 3 slices. */
function rasterize(g: VolumeGeometry, shape: Shape): number[] {
  const [nx, ny] = g.dims;
  const out: number[] = [];
  for (let k = 1; k <= 3; k++)
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (shape(i * g.spacingMm[0], j * g.spacingMm[1])) out.push(i + nx * (j + ny * k));
  return out;
}

const disk =
  (cx: number, cy: number, r: number): Shape =>
  (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect =
  (x0: number, y0: number, x1: number, y1: number): Shape =>
  (x, y) =>
    x >= x0 && x <= x1 && y >= y0 && y <= y1;
const union =
  (...s: Shape[]): Shape =>
  (x, y) =>
    s.some((f) => f(x, y));
const minus =
  (a: Shape, b: Shape): Shape =>
  (x, y) =>
    a(x, y) && !b(x, y);

const SHAPES: Record<string, Shape> = {
  crescent: minus(disk(30, 30, 18), disk(38, 30, 16)),
  'L-shape': union(rect(8, 8, 16, 50), rect(8, 42, 44, 50)),
  dumbbell: union(disk(16, 30, 9), disk(48, 30, 7), rect(16, 28.5, 48, 31.5)),
};

const GRIDS: Record<string, VolumeGeometry> = {
  axial: {
    dims: [80, 80, 5],
    spacingMm: [0.8, 0.8, 2.5],
    originLps: [-30, -20, 10],
    directionLps: identityDirection(),
  },
  anisotropic: {
    dims: [90, 70, 5],
    spacingMm: [0.7, 0.95, 3],
    originLps: [0, 0, 0],
    directionLps: identityDirection(),
  },
  oblique: (() => {
    const c = Math.cos(0.4);
    const s = Math.sin(0.4);
    return {
      dims: [80, 80, 5],
      spacingMm: [0.8, 0.9, 2],
      originLps: [5, -3, 40],
      directionLps: [
        [c, s, 0],
        [-s, c, 0],
        [0, 0, 1],
      ],
    } as VolumeGeometry;
  })(),
};

/**
 * Brute force, written independently: every pair of centres in the slice; a line exactly perpendicular to the long
 * axis must pass through both pixels (their corner projections on the long axis overlap); the segment between the
 * centres, sampled every 0.02 mm in LPS, stays in pixels of the set; length = extent across the long axis.
 */
function bruteForceShortMm(indices: number[], g: VolumeGeometry, slice: number, long: [Vec3, Vec3]): number {
  const [nx, ny] = g.dims;
  const set = new Set(indices);
  const inSlice = indices.filter((p) => Math.floor(p / (nx * ny)) === slice).map((p) => [p % nx, Math.floor(p / nx) % ny, slice] as Vec3);
  const d = normalize([long[1][0] - long[0][0], long[1][1] - long[0][1], long[1][2] - long[0][2]]);
  const e = normalize(cross(normalize(cross(g.directionLps[0], g.directionLps[1])), d));
  const sRange = (v: Vec3): [number, number] => {
    const s = [-0.5, 0.5].flatMap((du) => [-0.5, 0.5].map((dv) => dot(d, ijkToLps(g, [v[0] + du, v[1] + dv, v[2]]))));
    return [Math.min(...s), Math.max(...s)];
  };
  const ranges = inSlice.map(sRange);
  const centres = inSlice.map((v) => ijkToLps(g, v));
  let best = 0;
  for (let p = 0; p < inSlice.length; p++) {
    for (let q = p + 1; q < inSlice.length; q++) {
      if (ranges[p][1] < ranges[q][0] - 1e-9 || ranges[q][1] < ranges[p][0] - 1e-9) continue;
      const a = centres[p];
      const b = centres[q];
      const length = Math.abs(dot(e, [b[0] - a[0], b[1] - a[1], b[2] - a[2]]));
      if (length <= best) continue;
      const steps = Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]) / 0.02);
      let ok = true;
      for (let k = 1; k < steps && ok; k++) {
        const f = k / steps;
        const ijk = lpsToIjk(g, [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])]).map(Math.round);
        ok = set.has(ijk[0] + nx * (ijk[1] + ny * ijk[2]));
      }
      if (ok) best = length;
    }
  }
  return best;
}

/** The old definition: the width of the slice's centres across the long axis (what a caliper would give). */
function caliperWidthMm(indices: number[], g: VolumeGeometry, slice: number, long: [Vec3, Vec3]): number {
  const [nx, ny] = g.dims;
  const d = normalize([long[1][0] - long[0][0], long[1][1] - long[0][1], long[1][2] - long[0][2]]);
  const e = normalize(cross(normalize(cross(g.directionLps[0], g.directionLps[1])), d));
  const t = indices.filter((p) => Math.floor(p / (nx * ny)) === slice).map((p) => dot(e, ijkToLps(g, [p % nx, Math.floor(p / nx) % ny, slice])));
  return Math.max(...t) - Math.min(...t);
}

describe('RECIST short axis', () => {
  for (const [gridName, g] of Object.entries(GRIDS)) {
    for (const [shapeName, shape] of Object.entries(SHAPES)) {
      it(`${shapeName} on the ${gridName} grid equals the brute force`, () => {
        const indices = rasterize(g, shape);
        const r = recistAxes(Int32Array.from(indices), g, axialPlane(g));
        const ref = bruteForceShortMm(indices, g, r.slice, r.longEndpointsLps);
        expect(r.shortMm).toBeGreaterThan(0);
        expect(r.shortMm).toBeCloseTo(ref, 9);
        expect(r.shortMm).toBeLessThanOrEqual(r.longMm);
        // the reported end points are centres of the set, that far apart across the long axis
        const [p, q] = r.shortEndpointsLps;
        const d = normalize([
          r.longEndpointsLps[1][0] - r.longEndpointsLps[0][0],
          r.longEndpointsLps[1][1] - r.longEndpointsLps[0][1],
          r.longEndpointsLps[1][2] - r.longEndpointsLps[0][2],
        ]);
        const e = normalize(cross(normalize(cross(g.directionLps[0], g.directionLps[1])), d));
        expect(Math.abs(dot(e, [q[0] - p[0], q[1] - p[1], q[2] - p[2]]))).toBeCloseTo(r.shortMm, 9);
        for (const end of [p, q]) {
          const ijk = lpsToIjk(g, end).map(Math.round);
          expect(indices).toContain(ijk[0] + g.dims[0] * (ijk[1] + g.dims[1] * ijk[2]));
        }
      });
    }
  }

  it('is not the caliper width: a C-shaped rim is measured across its band, not across its opening', () => {
    // the left half of a ring (radii 16-20 mm): long axis tip to tip (40 mm, vertical); horizontal chords cross the
    // band once, at most ~12 mm (near the tips); a caliper across the long axis would span the whole 20 mm.
    const g = GRIDS.axial;
    const indices = rasterize(
      g,
      minus(union(minus(disk(32, 32, 20), disk(32, 32, 16))), (x) => x > 32),
    );
    const r = recistAxes(Int32Array.from(indices), g);
    expect(r.longMm).toBeGreaterThan(38);
    const caliper = caliperWidthMm(indices, g, r.slice, r.longEndpointsLps);
    expect(r.shortMm).toBeCloseTo(bruteForceShortMm(indices, g, r.slice, r.longEndpointsLps), 9);
    expect(r.shortMm).toBeLessThan(14);
    expect(caliper).toBeGreaterThan(18);
  });

  it('equals the caliper width on a convex shape (an axis-aligned rectangle: the perpendicular through the middle)', () => {
    const g = GRIDS.axial;
    const indices = rasterize(g, rect(10, 10, 40, 26));
    const r = recistAxes(Int32Array.from(indices), g);
    expect(r.shortMm).toBeGreaterThan(0);
    expect(r.shortMm).toBeCloseTo(bruteForceShortMm(indices, g, r.slice, r.longEndpointsLps), 9);
  });
});
