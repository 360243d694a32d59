// The ruler's length (shared/domain/reading/ruler.ts): patient-space distance on an oblique, anisotropic grid, equal
// to the analytic length of the segment; refused (null, and said so) on unsafe geometry.
import { describe, expect, it } from 'vitest';
import { rulerLengthMm, rulerText } from '../../../shared/domain/reading/ruler.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { VolumeGeometry } from '../../../shared/domain/volume.js';

const t = 0.3;
const grid: VolumeGeometry = {
  dims: [64, 64, 20],
  spacingMm: [0.7, 0.9, 3],
  originLps: [10, -20, 55],
  directionLps: [
    [Math.cos(t), 0, Math.sin(t)],
    [0, 1, 0],
    [-Math.sin(t), 0, Math.cos(t)],
  ],
};
const ok: GeometryReport = { status: 'ok', findings: [] };

describe('ruler length', () => {
  it('is the mm length of the segment on an oblique anisotropic grid, whatever the voxel axes it crosses', () => {
    // 30 columns, 40 rows and 2 slices apart: sqrt((30·0.7)² + (40·0.9)² + (2·3)²) mm on an orthonormal grid.
    expect(rulerLengthMm(grid, ok, [10, 5, 4], [40, 45, 6])).toBeCloseTo(Math.hypot(21, 36, 6), 9);
    // Sub-voxel ends (a drag between pixel centres): 12.5 columns = 8.75 mm.
    expect(rulerLengthMm(grid, ok, [0.25, 3, 1], [12.75, 3, 1])).toBeCloseTo(8.75, 9);
    expect(rulerText(8.75)).toBe('8.8 mm');
  });

  it('gives no number on unsafe geometry, and says why', () => {
    const unsafe: GeometryReport = {
      status: 'unsafe',
      findings: [{ code: 'MISSING_SLICE', severity: 'unsafe', message: 'gap' }],
    };
    expect(rulerLengthMm(grid, unsafe, [0, 0, 0], [10, 0, 0])).toBeNull();
    expect(rulerText(null)).toMatch(/unavailable.*unsafe/);
    const warning: GeometryReport = { status: 'warning', findings: [] };
    expect(rulerLengthMm(grid, warning, [0, 0, 0], [10, 0, 0])).toBeCloseTo(7, 9);
  });
});
