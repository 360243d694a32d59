// bodyComposition on analytic phantoms: the slab rule on a grid whose k axis points to the feet, areas on an
// anisotropic grid, the geometry gate and the refusal of non-axial slices.
import { describe, expect, it } from 'vitest';
import { bodyComposition, vertebraLevelOf, type LabelGrid } from '../../../shared/domain/measure/bodyComposition.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { Mat3, Vec3, Volume } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';

const OK: GeometryReport = { status: 'ok', findings: [] };
const dims: Vec3 = [10, 8, 12];
const n = dims[0] * dims[1] * dims[2];
const at = (i: number, j: number, k: number) => i + dims[0] * (j + dims[1] * k);

/** k runs from head to feet (S decreases): origin S = 100, slice step 2.5 mm, pixels 0.8 x 1.5 mm. */
function grid(
  direction: Mat3 = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, -1],
  ],
) {
  return { dims, spacingMm: [0.8, 1.5, 2.5] as Vec3, originLps: [0, 0, 100] as Vec3, directionLps: direction };
}
function phantom(direction?: Mat3) {
  const g = grid(direction);
  const tissues = new Uint8Array(n);
  const vertebrae = new Uint8Array(n);
  const hu = new Int16Array(n);
  // muscle (1): a 4x3 block on every slice, HU 40; fat (2): a 2x2 block on slices 0..5 only, HU -100
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 2; j < 5; j++) for (let i = 3; i < 7; i++) ((tissues[at(i, j, k)] = 1), (hu[at(i, j, k)] = 40));
    if (k <= 5) for (let j = 6; j < 8; j++) for (let i = 0; i < 2; i++) ((tissues[at(i, j, k)] = 2), (hu[at(i, j, k)] = -100));
  }
  // L3 (value 7) on slices 3..6 (one voxel per slice), L4 (value 8) on slices 6..9
  for (let k = 3; k <= 6; k++) vertebrae[at(5, 6, k)] = 7;
  for (let k = 7; k <= 9; k++) vertebrae[at(5, 6, k)] = 8;
  vertebrae[at(4, 6, 6)] = 8;
  const volume: Volume = { ...g, voxels: hu };
  return {
    volume,
    tissues: { ...g, labels: tissues } as LabelGrid,
    tissueNames: new Map([
      [1, 'skeletal_muscle'],
      [2, 'subcutaneous_fat'],
    ]),
    vertebrae: { ...g, labels: vertebrae } as LabelGrid,
    vertebraNames: new Map([
      [7, 'vertebrae_L3'],
      [8, 'L4'],
      [9, 'liver'],
    ]),
    geometry: OK,
  };
}

describe('bodyComposition (phantom)', () => {
  it('names levels; slabs are the slices within each vertebra’s S extent; volumes, band, areas and means are exact', () => {
    expect(vertebraLevelOf('vertebrae_L3')).toBe('L3');
    expect(vertebraLevelOf('t12')).toBe('T12');
    expect(vertebraLevelOf('liver')).toBeNull();
    const r = bodyComposition(phantom());
    expect(r.levels.map((l) => [l.level, l.sliceRange])).toEqual([
      ['L3', [3, 6]],
      ['L4', [6, 9]],
    ]);
    const voxelMl = (0.8 * 1.5 * 2.5) / 1000;
    const l3 = r.levels[0].tissues;
    expect(l3[0]).toMatchObject({ name: 'skeletal_muscle', voxels: 48 });
    expect(l3[0].volumeMl).toBeCloseTo(48 * voxelMl, 12);
    // muscle interior: i 4..5, j 3 (2 voxels per slice) on 4 slices; dilation: 12 + 14 face neighbours per slice
    expect(l3[0].volumeMlLower).toBeCloseTo(8 * voxelMl, 12);
    expect(l3[0].volumeMlUpper).toBeCloseTo(4 * (12 + 14) * voxelMl, 12);
    // fat on slices 3..5 of the slab only: 3 x 4 voxels, never interior (at the grid's border)
    expect(l3[1]).toMatchObject({ name: 'subcutaneous_fat', voxels: 12 });
    expect(l3[1].volumeMlLower).toBe(0);
    // L3's centre: slices 3..6 → mean k 4.5 → a tie between 4 and 5: the lower k
    expect(r.slice).toMatchObject({ level: 'L3', k: 4 });
    expect(r.slice.zLps).toBeCloseTo(100 - 4 * 2.5, 12);
    expect(r.slice.tissues[0].areaCm2).toBeCloseTo((12 * 0.8 * 1.5) / 100, 12);
    expect(r.slice.tissues[0].meanHu).toBe(40);
    expect(r.slice.tissues[1].meanHu).toBe(-100);
    const below = bodyComposition({ ...phantom(), slice: { zLpsMm: 100 - 8 * 2.5 - 1 } });
    expect(below.slice).toMatchObject({ k: 8, level: 'L4' });
    expect(below.slice.tissues[1]).toMatchObject({ voxels: 0, areaCm2: 0, meanHu: null });
  });

  it('refuses unsafe geometry, non-axial slices, a missing level and a map off the grid, with codes', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof AppError ? e.code : 'not an AppError';
      }
      return 'no error';
    };
    const unsafe: GeometryReport = { status: 'unsafe', findings: [{ code: 'MISSING_SLICE', severity: 'unsafe', message: 'gap' }] };
    expect(code(() => bodyComposition({ ...phantom(), geometry: unsafe }))).toBe('UNSAFE_GEOMETRY');
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    expect(
      code(() =>
        bodyComposition(
          phantom([
            [1, 0, 0],
            [0, c, s],
            [0, -s, c],
          ]),
        ),
      ),
    ).toBe('INVALID_INPUT'); // 30° tilt
    const coronal: Mat3 = [
      [1, 0, 0],
      [0, 0, -1],
      [0, 1, 0],
    ];
    expect(code(() => bodyComposition(phantom(coronal)))).toBe('INVALID_INPUT');
    const c3 = Math.cos((3 * Math.PI) / 180);
    const s3 = Math.sin((3 * Math.PI) / 180);
    expect(
      code(() =>
        bodyComposition(
          phantom([
            [1, 0, 0],
            [0, c3, s3],
            [0, -s3, c3],
          ]),
        ),
      ),
    ).toBe('no error'); // 3° is accepted
    expect(code(() => bodyComposition({ ...phantom(), slice: { level: 'L1' } }))).toBe('NOT_FOUND');
    const p = phantom();
    expect(code(() => bodyComposition({ ...p, vertebrae: { ...p.vertebrae, originLps: [0, 0, 50] } }))).toBe('INVALID_INPUT');
  });
});
