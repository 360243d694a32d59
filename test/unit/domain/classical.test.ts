// Classical segmentation tools on the real CT example, checked against numpy/scipy or closed forms.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNifti } from '../../../main/services/nifti/nifti.js';
import { kMeansIntensity } from '../../../shared/domain/classical/kmeans.js';
import { regionGrow } from '../../../shared/domain/classical/regionGrow.js';
import { sobelMagnitude } from '../../../shared/domain/classical/sobel.js';
import { thresholdMask } from '../../../shared/domain/classical/threshold.js';
import { connectedComponents } from '../../../shared/domain/measure/components.js';
import { identityDirection, type Vec3, type Volume } from '../../../shared/domain/volume.js';
import { python, TS_DIR } from '../../helpers/measureHelpers.js';

const CT = path.join(TS_DIR, 'example_ct_sm.nii.gz');
let ct: Volume;

beforeAll(async () => {
  ct = (await readNifti(CT)).volume;
});

/** Flat indices (i fastest) of a boolean numpy expression over `ct` (the CT as (i,j,k) array). */
function numpyIndices(expr: string, prelude = ''): number[] {
  return python<number[]>(`
import json, numpy as np, nibabel as nib
from scipy import ndimage
ct = np.asarray(nib.load(${JSON.stringify(CT)}).dataobj).astype(np.float64)
${prelude}
m = ${expr}
print(json.dumps(np.flatnonzero(m.ravel(order='F')).tolist()))
`);
}

function indicesOf(mask: Uint8Array | Uint16Array): number[] {
  const out: number[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p]) out.push(p);
  return out;
}

describe('thresholdMask', () => {
  it('equals numpy on a HU range inside an ROI box', () => {
    const ours = thresholdMask(ct, -100, 200, { minIjk: [10, 20, 3], maxIjk: [90, 80, 25] });
    const ref2 = numpyIndices('((ct >= -100) & (ct <= 200)) & roi', 'roi = np.zeros_like(ct, bool); roi[10:91, 20:81, 3:26] = True');
    expect(indicesOf(ours)).toEqual(ref2);
    expect(ref2.length).toBeGreaterThan(1000);
  });
});

describe('regionGrow', () => {
  const seed: Vec3 = [81, 58, 19]; // the liver centroid voxel (29 HU)
  it('equals the scipy connected component (6, 18 and 26) of the in-range voxels that holds the seed', () => {
    for (const [conn, rank] of [
      [6, 1],
      [18, 2],
      [26, 3],
    ] as const) {
      const ours = regionGrow(ct, seed, { lo: 0, hi: 250 }, { connectivity: conn });
      const ref = numpyIndices(
        'lab == lab[81, 58, 19]',
        `lab, _ = ndimage.label((ct >= 0) & (ct <= 250), ndimage.generate_binary_structure(3, ${rank}))\nassert lab[81, 58, 19] > 0`,
      );
      expect(ours.capped).toBe(false);
      expect(ours.voxels).toBe(ref.length);
      expect(indicesOf(ours.mask)).toEqual(ref);
    }
  });

  it('a tolerance means seed value ± tolerance', () => {
    const sv = ct.voxels[seed[0] + ct.dims[0] * (seed[1] + ct.dims[1] * seed[2])];
    const a = regionGrow(ct, seed, { tolerance: 60 });
    const b = regionGrow(ct, seed, { lo: sv - 60, hi: sv + 60 });
    expect([a.lo, a.hi]).toEqual([sv - 60, sv + 60]);
    expect(indicesOf(a.mask)).toEqual(indicesOf(b.mask));
  });

  it('stops at the voxel cap with a connected region and says so', () => {
    const r = regionGrow(ct, seed, { lo: 0, hi: 250 }, { maxVoxels: 1000 });
    expect(r.capped).toBe(true);
    expect(r.voxels).toBe(1000);
    expect(indicesOf(r.mask).length).toBe(1000);
    const comps = connectedComponents(r.mask, ct.dims, new Set([1]), 6);
    expect(comps.components).toHaveLength(1);
    const outside = regionGrow(ct, seed, { lo: 5000, hi: 6000 });
    expect([outside.voxels, outside.capped]).toEqual([0, false]);
    expect(() => regionGrow(ct, [500, 0, 0], { tolerance: 1 })).toThrow(/outside/);
  });
});

describe('kMeansIntensity', () => {
  it('recovers exact plateau values and counts', () => {
    const dims: Vec3 = [10, 10, 10];
    const voxels = new Int16Array(1000);
    for (let p = 0; p < 1000; p++) voxels[p] = p < 500 ? -800 : p < 800 ? 40 : 700;
    const vol: Volume = {
      dims,
      spacingMm: [1, 1, 1],
      originLps: [0, 0, 0],
      directionLps: identityDirection(),
      voxels,
    };
    const r = kMeansIntensity(vol, 3);
    expect(r.centres).toEqual([-800, 40, 700]);
    expect(r.counts).toEqual([500, 300, 200]);
    expect(r.labels[0]).toBe(1);
    expect(r.labels[999]).toBe(3);
  });

  it('on the CT ROI reaches a Lloyd fixed point: centres are cluster means, voxels go to the nearest centre', () => {
    const roi = { minIjk: [20, 20, 5] as Vec3, maxIjk: [100, 80, 25] as Vec3 };
    const r = kMeansIntensity(ct, 4, roi);
    expect(r.iterations).toBeLessThan(100);
    const sums = [0, 0, 0, 0];
    const counts = [0, 0, 0, 0];
    let outside = 0;
    let notNearest = 0;
    for (let p = 0; p < ct.voxels.length; p++) {
      const l = r.labels[p];
      if (l === 0) {
        outside++;
        continue;
      }
      const v = ct.voxels[p];
      sums[l - 1] += v;
      counts[l - 1]++;
      const own = Math.abs(v - r.centres[l - 1]);
      if (r.centres.some((c) => Math.abs(v - c) < own)) notNearest++;
    }
    expect(notNearest).toBe(0);
    expect(outside).toBe(ct.voxels.length - 81 * 61 * 21);
    expect(counts).toEqual(r.counts);
    for (let c = 0; c < 4; c++) expect(r.centres[c]).toBeCloseTo(sums[c] / counts[c], 6);
    for (let c = 1; c < 4; c++) expect(r.centres[c]).toBeGreaterThan(r.centres[c - 1]);
  });
});

describe('sobelMagnitude', () => {
  it('gives the exact slope of a linear ramp, in value units per mm', () => {
    const dims: Vec3 = [12, 10, 8];
    const sp: Vec3 = [0.5, 2, 3];
    const voxels = new Float32Array(12 * 10 * 8);
    for (let k = 0; k < 8; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 12; i++) voxels[i + 12 * (j + 10 * k)] = 3 * i * sp[0] + 4 * k * sp[2];
    const g = sobelMagnitude({
      dims,
      spacingMm: sp,
      originLps: [0, 0, 0],
      directionLps: identityDirection(),
      voxels,
    });
    expect(g[5 + 12 * (5 + 10 * 4)]).toBeCloseTo(5, 5);
  });

  it('equals scipy.ndimage.sobel (reflect border) scaled by 1/(32 spacing) on the CT', () => {
    const ours = sobelMagnitude(ct);
    const ref = python<number[]>(`
import json, numpy as np, nibabel as nib
from scipy import ndimage
ct = np.asarray(nib.load(${JSON.stringify(CT)}).dataobj).astype(np.float64)
sp = nib.load(${JSON.stringify(CT)}).header.get_zooms()
g = np.sqrt(sum((ndimage.sobel(ct, axis=a) / (32 * sp[a])) ** 2 for a in range(3)))
print(json.dumps(g.ravel(order='F').tolist()))
`);
    let worst = 0;
    for (let p = 0; p < ref.length; p++) worst = Math.max(worst, Math.abs(ours[p] - ref[p]) / Math.max(1, ref[p]));
    expect(ref.length).toBe(ours.length);
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('runClassicalTool', () => {
  it('returns a label map on the volume grid with a table and the parameters the tool used', async () => {
    const { runClassicalTool } = await import('../../../shared/domain/classical/runTool.js');
    const t = runClassicalTool(ct, { tool: 'threshold', loValue: -100, hiValue: 200 });
    expect(t.labelMap.dims).toEqual(ct.dims);
    expect(t.labelMap.table.map((x) => [x.value, x.kind])).toEqual([[1, 'lesion']]);
    expect(indicesOf(t.labelMap.labels)).toEqual(indicesOf(thresholdMask(ct, -100, 200)));
    const g = runClassicalTool(ct, { tool: 'regionGrow', seedIjk: [81, 58, 19], tolerance: 40, maxVoxels: 300 });
    expect(g.params).toMatchObject({ usedLoValue: 29 - 40, usedHiValue: 29 + 40, voxels: 300, capped: true });
    const k = runClassicalTool(ct, { tool: 'kmeans', k: 3, roi: { minIjk: [20, 20, 5], maxIjk: [100, 80, 25] } });
    expect(k.labelMap.table).toHaveLength(3);
    expect((k.params.counts as number[]).reduce((a, b) => a + b, 0)).toBe(81 * 61 * 21);
    expect(() => runClassicalTool(ct, { tool: 'regionGrow', seedIjk: [1, 1, 1] })).toThrow(/tolerance/);
  });
});
