// Reading annotations' maths (shared/domain/reading/annotations.ts) against exact cases: angles of known vectors,
// shoelace areas of known polygons, and ROI statistics on a phantom whose inside values are known by construction.
import { describe, expect, it } from 'vitest';
import { angleDegrees, angleDegreesLps, intensityUnitOf, pixelAreaMm2, polygonArea2d, roiStats } from '../../../shared/domain/reading/annotations.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { voxelIndex, type VolumeGeometry } from '../../../shared/domain/volume.js';

const ok: GeometryReport = { status: 'ok', findings: [] };
const unsafe: GeometryReport = { status: 'unsafe', findings: [{ code: 'MISSING_SLICE', severity: 'unsafe', message: 'gap' }] };
const t = 0.3;
const oblique: VolumeGeometry = {
  dims: [40, 30, 6],
  spacingMm: [0.5, 0.8, 3],
  originLps: [10, -20, 55],
  directionLps: [
    [Math.cos(t), 0, Math.sin(t)],
    [0, 1, 0],
    [-Math.sin(t), 0, Math.cos(t)],
  ],
};

describe('angle', () => {
  it('is the angle between known vectors at the vertex', () => {
    expect(angleDegreesLps([1, 0, 0], [0, 0, 0], [0, 1, 0])).toBeCloseTo(90, 12);
    expect(angleDegreesLps([1, 0, 0], [0, 0, 0], [1, 1, 0])).toBeCloseTo(45, 12);
    expect(angleDegreesLps([1, 0, 0], [0, 0, 0], [-1, 0, 0])).toBeCloseTo(180, 12);
    expect(angleDegreesLps([5, 5, 5], [5, 5, 5], [1, 0, 0])).toBeNull();
    // 60°: (1,0,0) and (1/2, √3/2, 0), shifted off the origin.
    expect(angleDegreesLps([3, 2, 1], [2, 2, 1], [2.5, 2 + Math.sqrt(3) / 2, 1])).toBeCloseTo(60, 10);
  });

  it('uses the grid spacing: 10 columns and 10 rows apart are not 45° on 0.5 × 0.8 mm pixels', () => {
    // Arms 5 mm along i and 8 mm along j (orthonormal directions): atan(8/5).
    const deg = angleDegrees(oblique, ok, [10, 0, 2], [0, 0, 2], [0, 10, 2]);
    expect(deg).toBeCloseTo(90, 9);
    const diag = angleDegrees(oblique, ok, [10, 0, 2], [0, 0, 2], [10, 10, 2]);
    expect(diag).toBeCloseTo((Math.atan2(8, 5) * 180) / Math.PI, 9);
    expect(angleDegrees(oblique, unsafe, [10, 0, 2], [0, 0, 2], [10, 10, 2])).toBeNull();
  });
});

describe('polygon area', () => {
  it('is the shoelace area whatever the winding', () => {
    expect(
      polygonArea2d([
        [0, 0],
        [4, 0],
        [4, 3],
        [0, 3],
      ]),
    ).toBe(12);
    expect(
      polygonArea2d([
        [0, 3],
        [4, 3],
        [4, 0],
        [0, 0],
      ]),
    ).toBe(12);
    expect(
      polygonArea2d([
        [0, 0],
        [6, 0],
        [0, 4],
      ]),
    ).toBe(12);
    // An L shape: 3×3 square minus a 2×2 corner = 5.
    expect(
      polygonArea2d([
        [0, 0],
        [3, 0],
        [3, 1],
        [1, 1],
        [1, 3],
        [0, 3],
      ]),
    ).toBe(5);
    expect(
      polygonArea2d([
        [0, 0],
        [1, 1],
      ]),
    ).toBe(0);
  });

  it('scales by the pixel area of the slice plane (mm² per voxel-unit²)', () => {
    expect(pixelAreaMm2(oblique, 2)).toBeCloseTo(0.4, 12);
    expect(pixelAreaMm2(oblique, 0)).toBeCloseTo(2.4, 12);
    expect(pixelAreaMm2(oblique, 1)).toBeCloseTo(1.5, 12);
  });
});

describe('ROI statistics', () => {
  // Phantom: value 100 + i on slice k = 3, -1000 elsewhere; so the mean inside any shape on that slice is 100 + mean(i).
  const dims: [number, number, number] = oblique.dims;
  const voxels = new Int16Array(dims[0] * dims[1] * dims[2]).fill(-1000);
  for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) voxels[voxelIndex(oblique, i, j, 3)] = 100 + i;
  const vol = { ...oblique, voxels };

  it('a freehand rectangle holds exactly the voxel centres inside it: mean, SD, min, max, area in mm²', () => {
    // Corners at half-voxel positions: columns 10..19 and rows 5..9 inside (10 × 5 = 50 voxels).
    const s = roiStats(vol, ok, {
      kind: 'freehand',
      pointsIjk: [
        [9.5, 4.5, 3],
        [19.5, 4.5, 3],
        [19.5, 9.5, 3],
        [9.5, 9.5, 3],
      ],
    });
    expect(s.sliceAxis).toBe(2);
    expect(s.sliceIndex).toBe(3);
    expect(s.voxelCount).toBe(50);
    expect(s.mean).toBeCloseTo(114.5, 12); // 100 + mean(10..19)
    // Population SD of 10 consecutive integers: sqrt((10² − 1)/12).
    expect(s.sd).toBeCloseTo(Math.sqrt(99 / 12), 12);
    expect(s.min).toBe(110);
    expect(s.max).toBe(119);
    expect(s.areaMm2).toBeCloseTo(10 * 5 * 0.5 * 0.8, 12);
  });

  it('an ellipse takes the voxel centres inside the inscribed ellipse; its area is π·a·b in mm²', () => {
    // Centre (20, 15), semi-axes 8 and 6 voxels (4 mm and 4.8 mm).
    const s = roiStats(vol, ok, {
      kind: 'ellipse',
      cornersIjk: [
        [12, 9, 3],
        [28, 21, 3],
      ],
    });
    let n = 0;
    let sum = 0;
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++)
        if (((i - 20) / 8) ** 2 + ((j - 15) / 6) ** 2 <= 1) {
          n++;
          sum += 100 + i;
        }
    expect(s.voxelCount).toBe(n);
    // Symmetric about i = 20: the mean is exactly 120.
    expect(s.mean).toBeCloseTo(120, 12);
    expect(sum / n).toBeCloseTo(120, 12);
    expect(s.areaMm2).toBeCloseTo(Math.PI * 4 * 4.8, 10);
    // The voxel count approximates the analytic area within a few percent.
    expect(Math.abs(n - Math.PI * 48) / (Math.PI * 48)).toBeLessThan(0.05);
  });

  it('gives no area on unsafe geometry, refuses points off one slice, names HU only for CT', () => {
    const s = roiStats(vol, unsafe, {
      kind: 'ellipse',
      cornersIjk: [
        [12, 9, 3],
        [28, 21, 3],
      ],
    });
    expect(s.areaMm2).toBeNull();
    expect(s.mean).toBeCloseTo(120, 12);
    expect(() =>
      roiStats(vol, ok, {
        kind: 'freehand',
        pointsIjk: [
          [1, 1, 1],
          [5, 2, 2],
          [3, 8, 3],
        ],
      }),
    ).toThrow(/one slice/);
    expect(intensityUnitOf('CT')).toBe('HU');
    expect(intensityUnitOf('MR')).not.toBe('HU');
  });
});
