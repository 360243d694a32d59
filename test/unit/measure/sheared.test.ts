// Measurements on a sheared grid (gantry tilt kept as a slanted slice stack): mL uses the sheared voxel volume,
// RECIST is measured in the true axial slices, and HD95 (which needs orthogonal axes) is withheld.
import { describe, expect, it } from 'vitest';
import { compareSegmentations } from '../../../main/services/measure/measure.js';
import { axialPlane } from '../../../shared/domain/measure/diameters.js';
import { measureLabelMap } from '../../../shared/domain/measure/measureLabels.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { ijkToLps, voxelVolumeMl, type Mat3, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';

const tiltDeg = 20;
const t = (tiltDeg * Math.PI) / 180;
// Slices are axial (i = L, j = P) but stacked along a direction tilted by 20 degrees towards P.
const direction: Mat3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, Math.sin(t), Math.cos(t)],
];
const grid: VolumeGeometry = { dims: [110, 140, 40], spacingMm: [0.8, 0.8, 2 / Math.cos(t)], originLps: [-44, -56, -40], directionLps: direction };
const centre: Vec3 = [0, 0, 0];
const semi: Vec3 = [30, 18, 22]; // along L, P, S

function rasterize(g: VolumeGeometry): Uint8Array {
  const out = new Uint8Array(g.dims[0] * g.dims[1] * g.dims[2]);
  for (let k = 0, p = 0; k < g.dims[2]; k++)
    for (let j = 0; j < g.dims[1]; j++)
      for (let i = 0; i < g.dims[0]; i++, p++) {
        const x = ijkToLps(g, [i, j, k]);
        const r = ((x[0] - centre[0]) / semi[0]) ** 2 + ((x[1] - centre[1]) / semi[1]) ** 2 + ((x[2] - centre[2]) / semi[2]) ** 2;
        if (r <= 1) out[p] = 1;
      }
  return out;
}

describe('sheared grid', () => {
  const labels = rasterize(grid);
  const map: LabelMap = { ...grid, labels, table: [{ value: 1, name: 'ellipsoid', colorRgb: [0, 0, 0], kind: 'lesion' }] };
  const r = measureLabelMap(null, map, {
    status: 'warning',
    findings: [{ code: 'GANTRY_TILT', severity: 'warning', message: 'kept sheared', details: { angleDeg: tiltDeg } }],
  });
  const truthMl = ((4 / 3) * Math.PI * semi[0] * semi[1] * semi[2]) / 1000;

  it('voxel volume is spacing product x cos(tilt); ellipsoid volume within 0.5 %, inside the band', () => {
    expect(voxelVolumeMl(grid)).toBeCloseTo((0.8 * 0.8 * 2) / 1000, 12);
    const l = r.labels[0];
    expect(Math.abs(l.volumeMl - truthMl) / truthMl).toBeLessThanOrEqual(0.005);
    expect(l.volumeMlLower).toBeLessThan(truthMl);
    expect(l.volumeMlUpper).toBeGreaterThan(truthMl);
    expect(r.geometry.status).toBe('warning');
  });

  it('RECIST in the true axial slices (tilt 0 for the slice plane) within one voxel; max diameter = 2a', () => {
    expect(axialPlane(grid)).toEqual({ sliceAxis: 2, tiltDeg: 0 });
    const inst = r.labels[0].instances;
    expect(inst).toHaveLength(1);
    expect(Math.abs(inst[0].recistLongMm - 60)).toBeLessThanOrEqual(0.8);
    expect(Math.abs(inst[0].recistShortMm - 36)).toBeLessThanOrEqual(0.8);
    expect(Math.abs(inst[0].maxDiameterMm - 60)).toBeLessThanOrEqual(0.8);
    for (let a = 0; a < 3; a++) expect(Math.abs(inst[0].centroidLps[a] - centre[a])).toBeLessThan(0.2);
  });

  it('compare gives Dice/IoU but no HD95 on a sheared grid', () => {
    const c = compareSegmentations({ ...grid, labels }, { ...grid, labels }, { status: 'warning', findings: [] });
    expect(c.labels[0]).toMatchObject({ dice: 1, iou: 1, hd95Mm: null });
  });

  it('on a sagittal acquisition the axial plane is the grid plane closest to axial', () => {
    const sag: VolumeGeometry = {
      ...grid,
      directionLps: [
        [0, 1, 0],
        [0, 0, -1],
        [1, 0, 0],
      ],
    };
    expect(axialPlane(sag)).toEqual({ sliceAxis: 1, tiltDeg: 0 });
  });
});
