// Label map comparison: Dice/IoU/accuracy against closed forms, HD95 and the exact EDT against scipy
// (MedPy's hd95 definition re-implemented with scipy.ndimage in the test set-up).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { compareLabelMaps } from '../../../shared/domain/measure/compare.js';
import { squaredDistanceTransformMm } from '../../../shared/domain/measure/edt.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { python, TS_DIR } from '../../helpers/measureHelpers.js';

function box(dims: Vec3, lo: Vec3, hi: Vec3, value = 1): Uint8Array {
  const out = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = lo[2]; k <= hi[2]; k++) for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) out[i + dims[0] * (j + dims[1] * k)] = value;
  return out;
}

function sphere(dims: Vec3, spacing: Vec3, centreMm: Vec3, radiusMm: number, into?: Uint8Array, value = 1): Uint8Array {
  const out = into ?? new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) {
        const d = Math.hypot(i * spacing[0] - centreMm[0], j * spacing[1] - centreMm[1], k * spacing[2] - centreMm[2]);
        if (d <= radiusMm) out[i + dims[0] * (j + dims[1] * k)] = value;
      }
  return out;
}

/** MedPy-style hd95 from scipy for masks given as raw uint8 (i fastest). */
function scipyHd95(a: Uint8Array, b: Uint8Array, dims: Vec3, spacing: Vec3, value: number): number {
  return python<number>(
    `
import sys, json, numpy as np
from scipy import ndimage
raw = np.frombuffer(sys.stdin.buffer.read(), np.uint8)
n = ${dims[0] * dims[1] * dims[2]}
shape = (${dims[2]}, ${dims[1]}, ${dims[0]})
sp = (${spacing[2]}, ${spacing[1]}, ${spacing[0]})
a = raw[:n].reshape(shape) == ${value}; b = raw[n:].reshape(shape) == ${value}
s = ndimage.generate_binary_structure(3, 1)
def border(m): return m ^ ndimage.binary_erosion(m, structure=s, iterations=1)
def sd(x, y): return ndimage.distance_transform_edt(~border(y), sampling=sp)[border(x)]
print(json.dumps(float(np.percentile(np.hstack((sd(a, b), sd(b, a))), 95))))
`,
    Buffer.concat([Buffer.from(a), Buffer.from(b)]),
  );
}

describe('compareLabelMaps', () => {
  it('Dice, IoU and pixel accuracy of two overlapping boxes equal the closed form', () => {
    const dims: Vec3 = [64, 48, 32];
    const a = box(dims, [10, 10, 5], [29, 29, 14]); // 20 x 20 x 10 = 4000
    const b = box(dims, [15, 13, 7], [34, 32, 16]); // shifted by (5, 3, 2)
    const inter = 15 * 17 * 8;
    const c = compareLabelMaps(a, b, dims, [1, 1, 1], { hd95: false });
    expect(c.labels).toHaveLength(1);
    expect(c.labels[0].intersection).toBe(inter);
    expect(c.labels[0].dice).toBeCloseTo((2 * inter) / 8000, 14);
    expect(c.labels[0].iou).toBeCloseTo(inter / (8000 - inter), 14);
    expect(c.pixelAccuracy).toBeCloseTo(1 - (8000 - 2 * inter) / (64 * 48 * 32), 14);
  });

  it('Dice and IoU of two offset spheres match the lens-volume closed form within 1 %', () => {
    const dims: Vec3 = [90, 70, 70];
    const sp: Vec3 = [1, 1, 1];
    const R = 20;
    const d = 14;
    const a = sphere(dims, sp, [35, 35, 35], R);
    const b = sphere(dims, sp, [35 + d, 35, 35], R);
    const c = compareLabelMaps(a, b, dims, sp, { hd95: false });
    const vSphere = (4 / 3) * Math.PI * R ** 3;
    const vLens = (Math.PI * (4 * R + d) * (2 * R - d) ** 2) / 12;
    expect(Math.abs(c.labels[0].dice - vLens / vSphere) / (vLens / vSphere)).toBeLessThan(0.01);
    expect(Math.abs(c.labels[0].iou - vLens / (2 * vSphere - vLens)) / (vLens / (2 * vSphere - vLens))).toBeLessThan(0.01);
  });

  it('HD95 on an anisotropic grid equals scipy (MedPy definition)', () => {
    const dims: Vec3 = [70, 60, 30];
    const sp: Vec3 = [0.8, 1.1, 2.5];
    const a = sphere(dims, sp, [28, 33, 37], 15);
    const b = sphere(dims, sp, [33, 30, 40], 12);
    // a second label far away in one map only: hd95 null there
    box(dims, [60, 50, 2], [65, 55, 5], 2).forEach((v, p) => {
      if (v) a[p] = 2;
    });
    const c = compareLabelMaps(a, b, dims, sp);
    expect(c.labels[0].hd95Mm!).toBeCloseTo(scipyHd95(a, b, dims, sp, 1), 9);
    expect(c.labels[1]).toMatchObject({ value: 2, voxelsB: 0, dice: 0, iou: 0, hd95Mm: null });
  });

  it('HD95 of TotalSegmentator full vs fast model equals scipy per label', async () => {
    const full = await readNiftiLabels(path.join(TS_DIR, 'example_seg.nii.gz'));
    const fast = await readNiftiLabels(path.join(TS_DIR, 'example_seg_fast.nii.gz'));
    const c = compareLabelMaps(full.labels, fast.labels, full.dims, full.spacingMm);
    for (const value of [1, 2, 5]) {
      const l = c.labels.find((x) => x.value === value)!;
      expect(l.dice).toBeGreaterThan(0.5);
      expect(l.hd95Mm!).toBeCloseTo(scipyHd95(full.labels as Uint8Array, fast.labels as Uint8Array, full.dims, full.spacingMm, value), 9);
    }
  });
});

describe('squaredDistanceTransformMm', () => {
  it('equals scipy distance_transform_edt with sampling on random sparse features', () => {
    const dims: Vec3 = [37, 29, 23];
    const sp: Vec3 = [0.7, 1.3, 3.1];
    const n = dims[0] * dims[1] * dims[2];
    const feat = new Uint8Array(n);
    let seed = 12345;
    for (let p = 0; p < n; p++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      if (seed % 400 === 0) feat[p] = 1;
    }
    const ours = squaredDistanceTransformMm(feat, dims, sp);
    const ref = python<number[]>(
      `
import sys, json, numpy as np
from scipy import ndimage
f = np.frombuffer(sys.stdin.buffer.read(), np.uint8).reshape(${dims[2]}, ${dims[1]}, ${dims[0]})
d = ndimage.distance_transform_edt(f == 0, sampling=(${sp[2]}, ${sp[1]}, ${sp[0]}))
print(json.dumps((d ** 2).ravel().tolist()))
`,
      Buffer.from(feat),
    );
    let worst = 0;
    for (let p = 0; p < n; p++) worst = Math.max(worst, Math.abs(ours[p] - ref[p]));
    expect(worst).toBeLessThan(1e-9);
    expect(squaredDistanceTransformMm(new Uint8Array(8), [2, 2, 2], [1, 1, 1]).every((x) => x === Infinity)).toBe(true);
  });
});
