// The method table speaks one dialect: records are "segmentations", voxels are "label maps", and the primitive
// schemas every contract file shares accept what the domain produces and refuse what it never may.
import { describe, expect, it } from 'vitest';
import { geometryReport } from '../../../shared/domain/geometry.js';
import { defaultLabelColor } from '../../../shared/domain/labelMap.js';
import { planSliceGrid } from '../../../shared/domain/series.js';
import { colorRgbSchema, dimsSchema, geometryReportSchema, labelInfoSchema, voxelBoxSchema } from '../../../shared/domain/schemas.js';
import { BINARY_KINDS, binaryPath, methods, parseBinaryPath, type BinaryBox } from '../../../shared/ipc/contract.js';

describe('method names', () => {
  it('name stored records "segmentations" and keep "label map" for the voxels (binary kinds only)', () => {
    const names = Object.keys(methods);
    expect(names.filter((n) => /label-?maps?/i.test(n))).toEqual([]);
    expect(names.filter((n) => n.startsWith('segmentations.')).sort()).toEqual([
      'segmentations.addFromNifti',
      'segmentations.list',
      'segmentations.provenance',
    ]);
    expect(BINARY_KINDS.filter((k) => k.startsWith('labelmap'))).toEqual(['labelmap', 'labelmap-preview']);
  });
});

describe('primitive schemas', () => {
  it('carry a geometry report the domain produces (a gantry tilt, with its details) unchanged', () => {
    // Five 512² slices whose origins drift 2 mm in y per 5 mm step: a tilted stack.
    const plan = planSliceGrid({
      positionsLps: [0, 1, 2, 3, 4].map((s) => [0, 2 * s, 5 * s]),
      rowDirLps: [1, 0, 0],
      colDirLps: [0, 1, 0],
      pixelSpacingMm: [0.7, 0.7],
      columns: 512,
      rows: 512,
    });
    const report = geometryReport(plan.findings);
    expect(report.findings.map((f) => f.code)).toEqual(['GANTRY_TILT']);
    expect(geometryReportSchema.parse(report)).toEqual(report);
    expect(dimsSchema.parse(plan.geometry.dims)).toEqual(plan.geometry.dims);
    // A code outside the closed list is a service bug, not something the badge should guess about.
    expect(geometryReportSchema.safeParse({ status: 'warning', findings: [{ code: 'TILTED', severity: 'warning', message: '' }] }).success).toBe(false);
  });

  it('accept every default label colour and refuse out-of-range colours, boxes and grids', () => {
    for (let value = 1; value <= 300; value++) {
      expect(labelInfoSchema.safeParse({ value, name: `label ${value}`, colorRgb: defaultLabelColor(value), kind: 'organ' }).success).toBe(true);
    }
    expect(colorRgbSchema.safeParse([0, 0, 256]).success).toBe(false);
    expect(labelInfoSchema.safeParse({ value: 70000, name: 'x', colorRgb: [0, 0, 0], kind: 'organ' }).success).toBe(false);
    expect(voxelBoxSchema.safeParse({ minIjk: [0, 0, -1], maxIjk: [1, 1, 1] }).success).toBe(false);
    expect(voxelBoxSchema.safeParse({ minIjk: [0, 0, 0.5], maxIjk: [1, 1, 1] }).success).toBe(false);
    expect(dimsSchema.safeParse([512, 512, 0]).success).toBe(false);
  });

  it('the label-map fetch window is a voxel box both ways', () => {
    const box: BinaryBox = { minIjk: [3, 4, 5], maxIjk: [30, 40, 50] };
    const parsed = parseBinaryPath('/data/labelmap/7', binaryPath('labelmap', 7, box).split('/data/labelmap/7')[1]);
    expect(parsed).toEqual({ kind: 'labelmap', resourceId: 7, box });
    expect(voxelBoxSchema.parse(parsed!.box)).toEqual(box);
  });
});
