// The geometry gate and the label pairing of compare, on their own: what is refused, what passes with a warning,
// how names pair labels and when pairing falls back to values.
import { describe, expect, it } from 'vitest';
import { mergeGeometryReports, type GeometryReport } from '../../../shared/domain/geometry.js';
import { labelMapPlacement, requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import { compareLabelMaps, pairLabels, relabelForPairing } from '../../../shared/domain/measure/compare.js';
import { identityDirection, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';

const unsafe: GeometryReport = { status: 'unsafe', findings: [{ code: 'MISSING_SLICE', severity: 'unsafe', message: 'gap at slice 12' }] };
const warning: GeometryReport = { status: 'warning', findings: [{ code: 'GANTRY_TILT', severity: 'warning', message: 'tilt 18.5°' }] };

describe('requirePhysicalUnits', () => {
  it('refuses unsafe geometry with UNSAFE_GEOMETRY naming the output and the finding; passes ok and warning', () => {
    let err: unknown;
    try {
      requirePhysicalUnits(unsafe, 'HD95 in mm');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('UNSAFE_GEOMETRY');
    expect((err as AppError).message).toMatch(/^HD95 in mm refused: .*MISSING_SLICE: gap at slice 12/);
    expect(() => requirePhysicalUnits(warning)).not.toThrow();
    expect(() => requirePhysicalUnits({ status: 'ok', findings: [] })).not.toThrow();
    // A recorded 'unsafe' without findings still refuses.
    expect(() => requirePhysicalUnits({ status: 'unsafe', findings: [] })).toThrowError(/recorded status unsafe/);
  });

  it('merged reports never get better than either', () => {
    expect(mergeGeometryReports(warning, unsafe).status).toBe('unsafe');
    expect(mergeGeometryReports({ status: 'unsafe', findings: [] }, { status: 'ok', findings: [] }).status).toBe('unsafe');
    expect(mergeGeometryReports(warning, warning).findings).toHaveLength(1);
  });
});

describe('labelMapPlacement', () => {
  const grid: VolumeGeometry = {
    dims: [4, 4, 4],
    spacingMm: [1, 1, 1],
    originLps: [0, 0, 0],
    directionLps: identityDirection(),
  };
  it('a map shifted by two voxels along k: half the series covered, its labels in the last two slices cropped', () => {
    const labels = new Uint8Array(64);
    labels.fill(1, 0, 16); // k = 0
    labels.fill(2, 48, 64); // k = 3
    const p = labelMapPlacement({ ...grid, originLps: [0, 0, 2], labels }, grid);
    expect(p.seriesCoveredFraction).toBe(0.5);
    expect(p.labelledVoxels).toBe(32);
    expect(p.labelledVoxelsOutside).toBe(16);
    expect(p.warnings.map((w) => w.code)).toEqual(['LABELMAP_RESAMPLED', 'LABELMAP_PARTIAL_COVERAGE', 'LABELS_OUTSIDE_SERIES']);
  });
});

describe('pairLabels', () => {
  it('pairs by name (case, spaces and underscores ignored); one-sided labels keep a null partner', () => {
    const p = pairLabels(
      [
        { value: 1, name: 'spleen' },
        { value: 5, name: 'liver' },
        { value: 7, name: 'kidney_left' },
      ],
      [
        { value: 1, name: 'Liver' },
        { value: 2, name: 'kidney left' },
        { value: 9, name: 'aorta' },
      ],
    );
    expect(p.by).toBe('name');
    expect(p.pairs).toEqual([
      { valueA: 1, valueB: null, nameA: 'spleen', nameB: null },
      { valueA: 5, valueB: 1, nameA: 'liver', nameB: 'Liver' },
      { valueA: 7, valueB: 2, nameA: 'kidney_left', nameB: 'kidney left' },
      { valueA: null, valueB: 9, nameA: null, nameB: 'aorta' },
    ]);
  });

  it('falls back to values, with the reason, when names are missing, generic, duplicated or disjoint', () => {
    expect(pairLabels([{ value: 1, name: 'liver' }], [{ value: 1, name: null }])).toMatchObject({
      by: 'value',
      fallbackReason: 'label names are missing in map B',
    });
    expect(pairLabels([{ value: 1, name: 'label 1' }], [{ value: 1, name: 'liver' }]).fallbackReason).toBe('label names are missing in map A');
    expect(
      pairLabels(
        [
          { value: 1, name: 'liver' },
          { value: 2, name: 'Liver' },
        ],
        [{ value: 1, name: 'liver' }],
      ).fallbackReason,
    ).toMatch(/twice/);
    expect(pairLabels([{ value: 1, name: 'liver' }], [{ value: 1, name: 'spleen' }]).fallbackReason).toMatch(/share no label name/);
  });

  it('relabelling B by the pairing gives the same Dice as renaming by hand', () => {
    const a = Uint8Array.from([0, 5, 5, 5, 1, 1, 0, 0]);
    const b = Uint8Array.from([0, 1, 1, 0, 9, 9, 9, 0]); // liver = 1 in B, spleen = 9
    const pairing = pairLabels(
      [
        { value: 1, name: 'spleen' },
        { value: 5, name: 'liver' },
      ],
      [
        { value: 1, name: 'liver' },
        { value: 9, name: 'spleen' },
      ],
    );
    const { b: relabelled, valueOfPair } = relabelForPairing(b, pairing);
    expect(valueOfPair).toEqual([1, 5]);
    const c = compareLabelMaps(a, relabelled, [8, 1, 1], [1, 1, 1], { hd95: false });
    expect(c.labels.find((l) => l.value === 5)!.dice).toBeCloseTo((2 * 2) / (3 + 2), 12);
    expect(c.labels.find((l) => l.value === 1)!.dice).toBeCloseTo((2 * 2) / (2 + 3), 12);
  });
});
