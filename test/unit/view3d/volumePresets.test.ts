// CT volume-rendering presets (shared/domain/view3d/volumePresets.ts): well-formed transfer functions over HU ranges
// that match what each preset is for, and the HU → stored-unit conversion the 3D view uploads.
import { describe, expect, it } from 'vitest';
import { toStoredUnits, VOLUME_PRESETS, volumePresetById } from '../../../shared/domain/view3d/volumePresets.js';

/** Piecewise-linear opacity at an HU value, clamped at the ends (how vtk.js evaluates a piecewise function). */
function opacityAt(points: readonly (readonly [number, number])[], hu: number): number {
  if (hu <= points[0][0]) return points[0][1];
  for (let n = 1; n < points.length; n++) {
    const [x1, y1] = points[n];
    const [x0, y0] = points[n - 1];
    if (hu <= x1) return y0 + ((y1 - y0) * (hu - x0)) / (x1 - x0);
  }
  return points[points.length - 1][1];
}

describe('volume presets', () => {
  it('have increasing HU points, colours and opacities within 0..1, and ids that find them', () => {
    for (const p of VOLUME_PRESETS) {
      expect(volumePresetById(p.id)).toBe(p);
      for (const pts of [p.colourPoints, p.opacityPoints]) {
        for (let n = 1; n < pts.length; n++) expect(pts[n][0]).toBeGreaterThan(pts[n - 1][0]);
        for (const pt of pts) for (const v of pt.slice(1)) expect(v >= 0 && v <= 1).toBe(true);
      }
    }
    expect(volumePresetById('lung')).toBeUndefined();
  });

  it('show what they are named for: air never, fat and soft tissue only in soft tissue, contrast vessels before bone, cortical bone in bone', () => {
    const op = (id: string, hu: number): number => opacityAt(volumePresetById(id)!.opacityPoints, hu);
    for (const id of ['bone', 'soft-tissue', 'vessels']) expect(op(id, -1000)).toBe(0);
    expect(op('soft-tissue', 40)).toBeGreaterThan(0.05);
    expect(op('bone', 40)).toBe(0);
    expect(op('vessels', 40)).toBe(0);
    expect(op('vessels', 250)).toBeGreaterThan(op('bone', 250));
    expect(op('bone', 1000)).toBeGreaterThan(0.6);
  });

  it('converts HU points to stored units (stored = (HU − intercept) / slope), keeping the values after the first', () => {
    expect(toStoredUnits([[0, 0.5, 0.25]], 1, -1024)).toEqual([[1024, 0.5, 0.25]]);
    expect(toStoredUnits([[100, 1]], 0.5, 0)).toEqual([[200, 1]]);
    expect(() => toStoredUnits([[0, 1]], 0, 0)).toThrow(/slope/);
  });
});
