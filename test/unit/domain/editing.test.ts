// Pure editing maths: brush/eraser footprints with anisotropic spacing, threshold brush, slice fill,
// interpolation, instance delete, relabel, delta encoding and the validation messages users see.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AppError } from '../../../shared/errors.js';
import { ijkToLps, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { geometryOf } from '../../helpers/editFixture.js';
import { applyDelta, changedRegion, decodeDelta, encodeDelta, invertDelta, type LabelDelta } from '../../../shared/domain/editing/delta.js';
import { distanceToFeature2d } from '../../../shared/domain/editing/distance.js';
import { brushFootprint, strokeDelta, type EditTarget } from '../../../shared/domain/editing/operations.js';
import { brushVoxelVisits, MAX_BRUSH_VOXEL_VISITS, validateStroke, type EditStroke } from '../../../shared/domain/editing/strokes.js';

function target(dims: Vec3, spacingMm: Vec3 = [1, 1, 1], modality?: Int16Array): EditTarget {
  return { geometry: { dims, spacingMm }, labels: new Uint8Array(dims[0] * dims[1] * dims[2]), modality };
}

function idx(dims: Vec3, i: number, j: number, k: number): number {
  return i + dims[0] * (j + dims[1] * k);
}

function apply(t: EditTarget, s: EditStroke): LabelDelta {
  const d = strokeDelta(t, s);
  applyDelta(t.labels, d);
  return d;
}

function count(labels: ArrayLike<number>, value: number): number {
  let n = 0;
  for (let x = 0; x < labels.length; x++) if (labels[x] === value) n++;
  return n;
}

/** Whether voxel ijk lies within radiusMm (patient space) of the path, the disc's samples moved onto its slice. */
function onPathWithin(g: VolumeGeometry, path: Vec3[], shape: 'disc' | 'sphere', slice: number, ijk: Vec3, radiusMm: number): boolean {
  const pts = path.map((p) => ijkToLps(g, shape === 'disc' ? [p[0], slice, p[2]] : p));
  const x = ijkToLps(g, ijk);
  const segs = pts.length === 1 ? [[pts[0], pts[0]]] : pts.slice(1).map((p, n) => [pts[n], p]);
  return segs.some(([a, b]) => {
    const d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    const dd = d[0] ** 2 + d[1] ** 2 + d[2] ** 2;
    const t = dd > 0 ? Math.min(1, Math.max(0, ((x[0] - a[0]) * d[0] + (x[1] - a[1]) * d[1] + (x[2] - a[2]) * d[2]) / dd)) : 0;
    return Math.hypot(x[0] - a[0] - t * d[0], x[1] - a[1] - t * d[1], x[2] - a[2] - t * d[2]) <= radiusMm;
  });
}

function expectInvalid(fn: () => void, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe('INVALID_INPUT');
  expect((caught as AppError).message).toMatch(message);
}

describe('brush and eraser footprints', () => {
  it('paints an axial disc on one slice whose extent honours anisotropic in-plane spacing', () => {
    const dims: Vec3 = [64, 64, 9];
    const t = target(dims, [0.5, 2, 3]);
    const d = apply(t, { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[32, 32, 4]], radiusMm: 6, shape: 'disc', plane: 'axial' });
    // 6 mm is 12 voxels along i (0.5 mm) but only 3 along j (2 mm)
    expect(t.labels[idx(dims, 32 + 12, 32, 4)]).toBe(1);
    expect(t.labels[idx(dims, 32 + 13, 32, 4)]).toBe(0);
    expect(t.labels[idx(dims, 32, 32 + 3, 4)]).toBe(1);
    expect(t.labels[idx(dims, 32, 32 + 4, 4)]).toBe(0);
    const region = changedRegion(d, dims);
    expect(region.changedSlicesK).toEqual([4]);
    expect(region.changedBoundsIjk).toEqual({ minIjk: [20, 29, 4], maxIjk: [44, 35, 4] });
    // area ≈ π r² / (voxel area)
    expect(Math.abs(d.indices.length - (Math.PI * 36) / 1) / ((Math.PI * 36) / 1)).toBeLessThan(0.1);
  });

  it('puts a coronal disc on the j plane and a sagittal disc on the i plane, radius in mm along k', () => {
    const dims: Vec3 = [20, 20, 20];
    const t = target(dims, [1, 1, 2.5]);
    const dc = apply(t, { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[10, 7.2, 10]], radiusMm: 5, shape: 'disc', plane: 'coronal' });
    const rc = changedRegion(dc, dims).changedBoundsIjk!;
    expect(rc.minIjk[1]).toBe(7);
    expect(rc.maxIjk[1]).toBe(7);
    expect([rc.minIjk[2], rc.maxIjk[2]]).toEqual([8, 12]); // 5 mm / 2.5 mm = 2 slices each side
    const ds = apply(t, { kind: 'brush', mode: 'paint', label: 2, pathIjk: [[3, 10, 10]], radiusMm: 5, shape: 'disc', plane: 'sagittal' });
    const rs = changedRegion(ds, dims).changedBoundsIjk!;
    expect([rs.minIjk[0], rs.maxIjk[0]]).toEqual([3, 3]);
    expect([rs.minIjk[1], rs.maxIjk[1]]).toEqual([5, 15]);
  });

  it('paints a 3D sphere as an ellipsoid in voxels when spacing differs per axis', () => {
    const dims: Vec3 = [40, 40, 40];
    const t = target(dims, [0.8, 0.8, 2]);
    const d = apply(t, { kind: 'brush', mode: 'paint', label: 3, pathIjk: [[20, 20, 20]], radiusMm: 8, shape: 'sphere' });
    expect(changedRegion(d, dims).changedBoundsIjk).toEqual({ minIjk: [10, 10, 16], maxIjk: [30, 30, 24] });
    const expected = ((4 / 3) * Math.PI * 8 ** 3) / (0.8 * 0.8 * 2);
    expect(Math.abs(d.indices.length - expected) / expected).toBeLessThan(0.05);
  });

  it('matches a brute-force distance test in patient space, also on sheared (gantry-tilt) grids', () => {
    const dims: Vec3 = [18, 16, 14];
    const coord = (max: number) => fc.double({ min: 2, max, noNaN: true });
    fc.assert(
      fc.property(
        fc.tuple(fc.double({ min: 0.4, max: 2.5, noNaN: true }), fc.double({ min: 0.4, max: 2.5, noNaN: true }), fc.double({ min: 0.5, max: 3, noNaN: true })),
        fc.integer({ min: -30, max: 30 }),
        fc.array(fc.tuple(coord(15), coord(13), coord(11)), { minLength: 1, maxLength: 3 }),
        fc.double({ min: 0.5, max: 6, noNaN: true }),
        fc.constantFrom('sphere' as const, 'sphere' as const, 'disc' as const),
        (spacingMm, tiltDeg, path, radiusMm, shape) => {
          // the k axis tilted in the j-k plane, as a tilted gantry produces
          const tilt = (tiltDeg * Math.PI) / 180;
          const geometry: VolumeGeometry = {
            ...geometryOf(dims, spacingMm),
            directionLps: [
              [1, 0, 0],
              [0, 1, 0],
              [0, Math.sin(tilt), Math.cos(tilt)],
            ],
          };
          const pathIjk = path as Vec3[];
          const fp = brushFootprint(geometry, { pathIjk, radiusMm, shape, plane: 'coronal' });
          const slice = Math.round(pathIjk[0][1]);
          const painted = (i: number, j: number, k: number): boolean => {
            if (!fp) return false;
            const [a, b, c] = [i - fp.minIjk[0], j - fp.minIjk[1], k - fp.minIjk[2]];
            if (a < 0 || b < 0 || c < 0 || a >= fp.sizeIjk[0] || b >= fp.sizeIjk[1] || c >= fp.sizeIjk[2]) return false;
            return fp.mask[a + fp.sizeIjk[0] * (b + fp.sizeIjk[1] * c)] === 1;
          };
          for (let k = 0; k < dims[2]; k++) {
            for (let j = 0; j < dims[1]; j++) {
              for (let i = 0; i < dims[0]; i++) {
                const onDiscSlice = shape === 'sphere' || j === slice;
                // the 1e-9 margins keep voxel centres exactly on the rim out of the comparison
                if (onDiscSlice && onPathWithin(geometry, pathIjk, shape, slice, [i, j, k], radiusMm * (1 - 1e-9))) expect(painted(i, j, k)).toBe(true);
                if (painted(i, j, k)) {
                  expect(onDiscSlice).toBe(true);
                  expect(onPathWithin(geometry, pathIjk, shape, slice, [i, j, k], radiusMm * (1 + 1e-9))).toBe(true);
                }
              }
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sweeps the brush along the pointer path (no gaps between samples)', () => {
    const dims: Vec3 = [60, 20, 3];
    const t = target(dims);
    apply(t, {
      kind: 'brush',
      mode: 'paint',
      label: 1,
      pathIjk: [
        [5, 10, 1],
        [55, 10, 1],
      ],
      radiusMm: 2,
      shape: 'disc',
      plane: 'axial',
    });
    for (let i = 5; i <= 55; i++) {
      expect(t.labels[idx(dims, i, 10, 1)]).toBe(1);
      expect(t.labels[idx(dims, i, 12, 1)]).toBe(1);
      expect(t.labels[idx(dims, i, 13, 1)]).toBe(0);
    }
    expect(count(t.labels, 1)).toBe(51 * 5 + 2 * (3 + 1)); // body rows j±2, each round cap adds 3 + 1 voxels
  });

  it('threshold-limited brush paints only voxels whose image value is within [lo, hi]', () => {
    const dims: Vec3 = [16, 16, 1];
    const modality = new Int16Array(256);
    for (let x = 0; x < 256; x++) modality[x] = x % 2 === 0 ? 50 : 400; // liver-ish vs bone-ish
    const t = target(dims, [1, 1, 1], modality);
    const d = apply(t, {
      kind: 'brush',
      mode: 'paint',
      label: 1,
      pathIjk: [[8, 8, 0]],
      radiusMm: 5,
      shape: 'disc',
      plane: 'axial',
      intensityRange: { lo: 0, hi: 100 },
    });
    expect(d.indices.length).toBeGreaterThan(20);
    for (const x of d.indices) expect(modality[x]).toBe(50);
  });

  it('paint can protect other labels; eraser removes one label or any', () => {
    const dims: Vec3 = [10, 10, 1];
    const t = target(dims);
    t.labels.fill(2, 0, 50); // top half spleen
    apply(t, { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[5, 5, 0]], radiusMm: 3, shape: 'disc', plane: 'axial', overwriteOtherLabels: false });
    expect(t.labels[idx(dims, 5, 4, 0)]).toBe(2);
    expect(t.labels[idx(dims, 5, 6, 0)]).toBe(1);
    apply(t, { kind: 'brush', mode: 'erase', label: 1, pathIjk: [[5, 5, 0]], radiusMm: 4, shape: 'disc', plane: 'axial' });
    expect(count(t.labels, 1)).toBe(0);
    expect(count(t.labels, 2)).toBe(50);
    apply(t, { kind: 'brush', mode: 'erase', label: 0, pathIjk: [[5, 5, 0]], radiusMm: 1.5, shape: 'disc', plane: 'axial' });
    expect(count(t.labels, 2)).toBe(47); // (4..6, 4): the 3×3 block's top row
  });
});

describe('fill, interpolation, instance delete, relabel', () => {
  it('fills the 4-connected hole of a ring on a sagittal slice without leaking through a diagonal gap', () => {
    const dims: Vec3 = [5, 12, 12];
    const t = target(dims);
    // ring of label 1 on sagittal slice i=2: square outline j,k in [2,8]
    for (let a = 2; a <= 8; a++) {
      for (const [j, k] of [
        [a, 2],
        [a, 8],
        [2, a],
        [8, a],
      ])
        t.labels[idx(dims, 2, j, k)] = 1;
    }
    // a diagonal-only gap at the corner (8,8) does not connect 4-wise
    t.labels[idx(dims, 2, 8, 8)] = 0;
    const d = apply(t, { kind: 'fill', mode: 'paint', label: 1, plane: 'sagittal', seedIjk: [2, 5, 5] });
    expect(d.indices.length).toBe(25);
    for (const x of d.indices) expect(x % 5).toBe(2); // all on i = 2
    expect(t.labels[idx(dims, 2, 9, 9)]).toBe(0);
    // erase the whole connected label-1 region of that slice
    const e = apply(t, { kind: 'fill', mode: 'erase', label: 1, plane: 'sagittal', seedIjk: [2, 5, 5] });
    expect(e.indices.length).toBe(25 + 4 * 6 - 1);
    expect(count(t.labels, 1)).toBe(0);
  });

  it('interpolates between a small and a large disc by shape, adding only background', () => {
    const dims: Vec3 = [64, 64, 11];
    const t = target(dims, [1, 1, 2]);
    apply(t, { kind: 'brush', mode: 'paint', label: 3, pathIjk: [[32, 32, 0]], radiusMm: 5, shape: 'disc', plane: 'axial' });
    apply(t, { kind: 'brush', mode: 'paint', label: 3, pathIjk: [[32, 32, 10]], radiusMm: 15, shape: 'disc', plane: 'axial' });
    t.labels[idx(dims, 32, 32, 5)] = 2; // another structure inside the path stays
    const d = apply(t, { kind: 'interpolate', label: 3, plane: 'axial', fromSlice: 10, toSlice: 0 });
    expect(changedRegion(d, dims).changedSlicesK).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const area = (k: number): number => {
      let n = 0;
      for (let j = 0; j < 64; j++) for (let i = 0; i < 64; i++) if (t.labels[idx(dims, i, j, k)] === 3) n++;
      return n;
    };
    expect(Math.abs(area(5) + 1 - Math.PI * 100) / (Math.PI * 100)).toBeLessThan(0.08); // radius 10 mm halfway
    for (let k = 1; k < 10; k++) expect(area(k)).toBeGreaterThan(area(k - 1) - (k === 6 ? 1 : 0));
    expect(t.labels[idx(dims, 32, 32, 5)]).toBe(2);
  });

  it('carries an identical shape unchanged across the gap in a coronal plane, in index order', () => {
    const dims: Vec3 = [20, 12, 16];
    const t = target(dims, [1, 1, 1.5]);
    for (const j of [2, 9])
      apply(t, {
        kind: 'brush',
        mode: 'paint',
        label: 1,
        pathIjk: [
          [10, j, 8],
          [13, j, 9],
        ],
        radiusMm: 3,
        shape: 'disc',
        plane: 'coronal',
      });
    const d = apply(t, { kind: 'interpolate', label: 1, plane: 'coronal', fromSlice: 2, toSlice: 9 });
    for (let n = 1; n < d.indices.length; n++) expect(d.indices[n]).toBeGreaterThan(d.indices[n - 1]);
    for (let j = 3; j < 9; j++) {
      for (let k = 0; k < 16; k++) for (let i = 0; i < 20; i++) expect(t.labels[idx(dims, i, j, k)]).toBe(t.labels[idx(dims, i, 2, k)]);
    }
  });

  it('refuses to interpolate from a slice without the label', () => {
    const t = target([8, 8, 8]);
    t.labels[idx([8, 8, 8], 4, 4, 0)] = 1;
    expect(() => strokeDelta(t, { kind: 'interpolate', label: 1, plane: 'axial', fromSlice: 0, toSlice: 7 })).toThrow(
      /Slice 7 \(axial\) has no voxel of label 1/,
    );
  });

  it('deletes only the 6-connected instance under the seed', () => {
    const dims: Vec3 = [20, 20, 20];
    const t = target(dims);
    apply(t, { kind: 'brush', mode: 'paint', label: 3, pathIjk: [[5, 5, 5]], radiusMm: 3, shape: 'sphere' });
    apply(t, { kind: 'brush', mode: 'paint', label: 3, pathIjk: [[14, 14, 14]], radiusMm: 3, shape: 'sphere' });
    const before = count(t.labels, 3);
    const d = apply(t, { kind: 'deleteInstance', seedIjk: [5, 5, 5] });
    expect(d.indices.length).toBe(before / 2);
    expect(t.labels[idx(dims, 14, 14, 14)]).toBe(3);
    expect(t.labels[idx(dims, 5, 5, 5)]).toBe(0);
    for (let n = 1; n < d.indices.length; n++) expect(d.indices[n]).toBeGreaterThan(d.indices[n - 1]);
  });

  it('relabels every voxel of A to B and nothing else', () => {
    const t = target([6, 6, 6]);
    t.labels.fill(1, 0, 100);
    t.labels.fill(2, 100, 150);
    const d = apply(t, { kind: 'relabel', fromLabel: 1, toLabel: 3 });
    expect(d.indices.length).toBe(100);
    expect([count(t.labels, 1), count(t.labels, 2), count(t.labels, 3)]).toEqual([0, 50, 100]);
  });
});

describe('deltas', () => {
  const sortedDelta = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 300 }).chain((ix) =>
    fc.record({
      indices: fc.constant(Uint32Array.from([...ix].sort((a, b) => a - b))),
      oldValues: fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: ix.length, maxLength: ix.length }).map((v) => Uint16Array.from(v)),
      newValues: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: ix.length, maxLength: ix.length }).map((v) => Uint16Array.from(v)),
    }),
  );

  it('round-trips through the run-length encoding exactly', () => {
    fc.assert(
      fc.property(sortedDelta, (d) => {
        const back = decodeDelta(encodeDelta(d));
        expect(back.indices).toEqual(d.indices);
        expect(back.oldValues).toEqual(d.oldValues);
        expect(back.newValues).toEqual(d.newValues);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes a 20 mm sphere in a few kilobytes (rows become runs)', () => {
    const t = target([128, 128, 64], [0.7, 0.7, 1]);
    const d = strokeDelta(t, { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[64, 64, 32]], radiusMm: 10, shape: 'sphere' });
    const bytes = encodeDelta(d).length;
    expect(d.indices.length).toBeGreaterThan(8_000); // 4/3·π·10³ / 0.49 ≈ 8,550
    expect(bytes).toBeLessThan(d.indices.length / 4);
  });

  it('rejects damaged encodings instead of guessing', () => {
    const enc = encodeDelta({ indices: Uint32Array.from([3, 4, 9]), oldValues: Uint16Array.from([0, 0, 1]), newValues: Uint16Array.from([2, 2, 2]) });
    expect(() => decodeDelta(enc.slice(0, enc.length - 1))).toThrow(/truncated/);
    expect(() => decodeDelta(Uint8Array.from([...enc, 0]))).toThrow(/trailing/);
  });

  it('applies nothing when the map does not hold the old values, and inverts exactly', () => {
    const labels = Uint8Array.from([0, 1, 2, 0]);
    const d: LabelDelta = { indices: Uint32Array.from([1, 3]), oldValues: Uint16Array.from([1, 1]), newValues: Uint16Array.from([3, 3]) };
    expect(() => applyDelta(labels, d)).toThrow(/does not match/);
    expect([...labels]).toEqual([0, 1, 2, 0]);
    const ok: LabelDelta = { indices: Uint32Array.from([1, 3]), oldValues: Uint16Array.from([1, 0]), newValues: Uint16Array.from([3, 3]) };
    applyDelta(labels, ok);
    expect([...labels]).toEqual([0, 3, 2, 3]);
    applyDelta(labels, invertDelta(ok));
    expect([...labels]).toEqual([0, 1, 2, 0]);
  });
});

describe('distance transform', () => {
  it('matches brute force with anisotropic spacing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        fc.array(fc.boolean(), { minLength: 144, maxLength: 144 }),
        (nu, nv, su, sv, bits) => {
          const feature = (p: number): boolean => bits[p];
          const got = distanceToFeature2d(feature, nu, nv, su, sv);
          for (let p = 0; p < nu * nv; p++) {
            let best = Infinity;
            for (let q = 0; q < nu * nv; q++) {
              if (!bits[q]) continue;
              best = Math.min(best, Math.hypot(((p % nu) - (q % nu)) * su, (Math.floor(p / nu) - Math.floor(q / nu)) * sv));
            }
            if (best === Infinity) expect(got[p]).toBeGreaterThan(1e4);
            else expect(got[p]).toBeCloseTo(best, 6);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('validation', () => {
  const ctx = { geometry: { dims: [10, 10, 10] as Vec3, spacingMm: [1, 1, 1] as Vec3 }, knownLabels: new Set([1, 2]), hasModality: false };
  const brush: EditStroke = { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[5, 5, 5]], radiusMm: 3, shape: 'sphere' };

  it('explains what is wrong with a stroke', () => {
    expectInvalid(() => validateStroke({ ...brush, radiusMm: 0 }, ctx), /radiusMm must be > 0 \(got 0\)/);
    expectInvalid(() => validateStroke({ ...brush, radiusMm: Number.NaN }, ctx), /radiusMm must be a finite number/);
    expectInvalid(() => validateStroke({ ...brush, label: 7 }, ctx), /Unknown label 7: create it first \(known: 1, 2\)/);
    expectInvalid(() => validateStroke({ ...brush, pathIjk: [] }, ctx), /at least one point/);
    expectInvalid(() => validateStroke({ ...brush, shape: 'disc' }, ctx), /plane must be axial, coronal or sagittal/);
    expectInvalid(() => validateStroke({ ...brush, shape: 'disc', plane: 'axial', pathIjk: [[5, 5, 12]] }, ctx), /slice 12 is outside the grid \(0..9\)/);
    expectInvalid(() => validateStroke({ ...brush, intensityRange: { lo: 0, hi: 100 } }, ctx), /needs the image values/);
    expectInvalid(() => validateStroke({ ...brush, intensityRange: { lo: 100, hi: 0 } }, { ...ctx, hasModality: true }), /lo \(100\) is above hi \(0\)/);
    expectInvalid(
      () => validateStroke({ kind: 'fill', mode: 'paint', label: 1, plane: 'axial', seedIjk: [10, 0, 0] }, ctx),
      /seedIjk \[10, 0, 0\] is outside the grid 10×10×10/,
    );
    expectInvalid(() => validateStroke({ kind: 'fill', mode: 'paint', label: 0, plane: 'axial', seedIjk: [1, 0, 0] }, ctx), /cannot be 0/);
    expectInvalid(() => validateStroke({ kind: 'deleteInstance', seedIjk: [1.5, 0, 0] }, ctx), /integer voxel indices/);
    expectInvalid(() => validateStroke({ kind: 'interpolate', label: 1, plane: 'coronal', fromSlice: 3, toSlice: 4 }, ctx), /at least one slice between/);
    expectInvalid(() => validateStroke({ kind: 'relabel', fromLabel: 1, toLabel: 1 }, ctx), /same label/);
    expectInvalid(() => validateStroke({ kind: 'nope' } as unknown as EditStroke, ctx), /Unknown edit kind nope/);
    expect(() => validateStroke(brush, ctx)).not.toThrow();
    expect(() => validateStroke({ kind: 'brush', mode: 'erase', label: 0, pathIjk: [[1, 1, 1]], radiusMm: 1, shape: 'sphere' }, ctx)).not.toThrow();
  });

  it('bounds the work of one brush stroke (a 500-point stroke with a 500 mm sphere took 22 s on a 20-slice CT)', () => {
    const ct = { geometry: { dims: [512, 512, 20] as Vec3, spacingMm: [0.78, 0.78, 2.5] as Vec3 }, knownLabels: new Set([1]), hasModality: false };
    const path: Vec3[] = Array.from({ length: 500 }, (_, n) => [100 + (n % 50) * 6, 200 + Math.floor(n / 50) * 10, 10]);
    const hostile: EditStroke = { kind: 'brush', mode: 'paint', label: 1, pathIjk: path, radiusMm: 500, shape: 'sphere' };
    expect(brushVoxelVisits(hostile, ct.geometry)).toBeGreaterThan(MAX_BRUSH_VOXEL_VISITS);
    expectInvalid(() => validateStroke(hostile, ct), /would visit \d+ M voxels \(limit 64 M\)/);
    // an ordinary stroke (20 mm sphere along the same path, or a 30 mm disc) is far inside the bound
    expect(() => validateStroke({ ...hostile, radiusMm: 20 }, ct)).not.toThrow();
    expect(() => validateStroke({ ...hostile, radiusMm: 30, shape: 'disc', plane: 'axial' }, ct)).not.toThrow();
  });

  it('the bound counts at least every voxel the stroke can change', () => {
    const g = geometryOf([40, 30, 12], [0.8, 1.1, 2.5]);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 39, noNaN: true }), fc.double({ min: 0, max: 29, noNaN: true }), fc.double({ min: 0, max: 11, noNaN: true })),
          { minLength: 1, maxLength: 6 },
        ),
        fc.double({ min: 0.5, max: 12, noNaN: true }),
        fc.constantFrom('disc' as const, 'sphere' as const),
        (pathIjk, radiusMm, shape) => {
          const stroke: EditStroke = { kind: 'brush', mode: 'paint', label: 1, pathIjk: pathIjk as Vec3[], radiusMm, shape, plane: 'axial' };
          const target: EditTarget = { geometry: g, labels: new Uint8Array(40 * 30 * 12) };
          expect(brushVoxelVisits(stroke, g)).toBeGreaterThanOrEqual(strokeDelta(target, stroke).indices.length);
        },
      ),
      { numRuns: 60, seed: 20261130 },
    );
  });
});
