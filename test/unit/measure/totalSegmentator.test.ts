// Measurements on the real TotalSegmentator example (CT + 41-label segmentation) against numpy/scipy/nibabel
// computed here in the test set-up: counts, mL, partial-volume band, HU statistics, centroids, components, diameters.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNifti, readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { labelHistogram } from '../../../shared/domain/measure/histogram.js';
import { measureLabelMap, type MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { AppError } from '../../../shared/errors.js';
import type { Volume } from '../../../shared/domain/volume.js';
import { python, TS_DIR } from '../../helpers/measureHelpers.js';
import type { IntensityStats } from '../../../shared/domain/measure/percentile.js';

const SEG = path.join(TS_DIR, 'example_seg.nii.gz');
const CT = path.join(TS_DIR, 'example_ct_sm.nii.gz');

/** numpy/scipy's figures for one label: its statistics have the product's shape. */
interface RefLabel extends IntensityStats {
  value: number;
  voxels: number;
  lower: number;
  upper: number;
  centroidLps: number[];
  comps6: number;
  comps26: number;
  maxDiameterMm: number;
}

let ref: RefLabel[] = [];
let volume: Volume;
let labelMap: LabelMap;
let result: MeasurementResult;

beforeAll(async () => {
  ref = python<RefLabel[]>(`
import json, numpy as np, nibabel as nib
from scipy import ndimage
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist
seg_img = nib.load(${JSON.stringify(SEG)}); seg = np.asarray(seg_img.dataobj).astype(np.int64)
ct = np.asarray(nib.load(${JSON.stringify(CT)}).dataobj).astype(np.float64)
A = seg_img.affine
s6 = ndimage.generate_binary_structure(3, 1); s26 = ndimage.generate_binary_structure(3, 3)
out = []
for v in sorted(set(np.unique(seg).tolist()) - {0}):
    m = seg == v
    x = ct[m]
    ijk = np.argwhere(m).astype(float)
    ras = ijk @ A[:3, :3].T + A[:3, 3]
    c = ras.mean(0)
    pts = ras if len(ras) < 5 else ras[ConvexHull(ras).vertices]
    out.append(dict(value=v, voxels=int(m.sum()),
        lower=int(ndimage.binary_erosion(m, s6, border_value=0).sum()),
        upper=int(ndimage.binary_dilation(m, s6).sum()),
        mean=float(x.mean()), sd=float(x.std()), min=float(x.min()), max=float(x.max()),
        median=float(np.median(x)), p5=float(np.percentile(x, 5)), p95=float(np.percentile(x, 95)),
        centroidLps=[-c[0], -c[1], c[2]],
        comps6=int(ndimage.label(m, s6)[1]), comps26=int(ndimage.label(m, s26)[1]),
        maxDiameterMm=float(pdist(pts).max()) if len(pts) > 1 else 0.0))
print(json.dumps(out))
`);
  const ctRead = await readNifti(CT);
  volume = ctRead.volume;
  const seg = await readNiftiLabels(SEG);
  const names = new Map(
    readFileSync(path.join(TS_DIR, 'labels_total.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',') as [string, string])
      .map(([v, n]) => [Number(v), n]),
  );
  labelMap = { ...seg, table: [...names].map(([value, name]) => ({ value, name, colorRgb: [0, 0, 0], kind: 'organ' as const })) };
  result = measureLabelMap(volume, labelMap, { status: 'ok', findings: [] });
});

describe('measureLabelMap on totalsegmentator_example', () => {
  it('liver = 38,634 voxels x 27 mm^3 = 1043.118 mL; every label count equals numpy', () => {
    const liver = result.labels.find((l) => l.name === 'liver')!;
    expect(liver.value).toBe(5);
    expect(liver.voxels).toBe(38634);
    expect(liver.volumeMl).toBeCloseTo(38634 * 0.027, 9);
    expect(result.geometry.voxelVolumeMl).toBeCloseTo(0.027, 12);
    for (const r of ref) expect(result.labels.find((l) => l.value === r.value)!.voxels).toBe(r.voxels);
    for (const name of ['spleen', 'kidney_right', 'kidney_left']) {
      const l = result.labels.find((x) => x.name === name)!;
      expect(l.voxels).toBe(ref.find((r) => r.value === l.value)!.voxels);
    }
    // Labels in the table but absent from the map are listed with zero voxels.
    const present = new Set(ref.map((r) => r.value));
    const absent = result.labels.filter((l) => !present.has(l.value));
    expect(absent.length).toBeGreaterThan(0);
    for (const l of absent) expect([l.voxels, l.centroidLps, l.stats]).toEqual([0, null, null]);
  });

  it('labelHistogram equals numpy bincount', () => {
    const h = labelHistogram(labelMap.labels);
    for (const r of ref) expect(h[r.value]).toBe(r.voxels);
    const total = h.reduce((a, b) => a + b, 0);
    expect(total).toBe(labelMap.labels.length);
  });

  it('partial-volume band equals scipy 6-connected erosion/dilation counts', () => {
    for (const r of ref) {
      const l = result.labels.find((x) => x.value === r.value)!;
      expect(l.volumeMlLower / 0.027).toBeCloseTo(r.lower, 6);
      expect(l.volumeMlUpper / 0.027).toBeCloseTo(r.upper, 6);
    }
  });

  it('HU statistics equal numpy (std ddof=0, percentile method linear)', () => {
    for (const r of ref) {
      const s = result.labels.find((x) => x.value === r.value)!.stats!;
      expect(s.mean).toBeCloseTo(r.mean, 8);
      expect(s.sd).toBeCloseTo(r.sd, 8);
      expect([s.min, s.max]).toEqual([r.min, r.max]);
      expect(s.median).toBeCloseTo(r.median, 9);
      expect(s.p5).toBeCloseTo(r.p5, 9);
      expect(s.p95).toBeCloseTo(r.p95, 9);
    }
  });

  it('centroids in LPS equal nibabel affine (RAS) flipped to LPS; max diameters equal scipy hull + pdist', () => {
    for (const r of ref) {
      const l = result.labels.find((x) => x.value === r.value)!;
      for (let a = 0; a < 3; a++) expect(l.centroidLps![a]).toBeCloseTo(r.centroidLps[a], 6);
      expect(l.maxDiameterMm!).toBeCloseTo(r.maxDiameterMm, 6);
    }
  });

  it('connected components (6 and 26) match scipy.ndimage.label', () => {
    const r6 = measureLabelMap(volume, labelMap, { status: 'ok', findings: [] }, { instanceKinds: ['organ'], connectivity: 6 });
    const r26 = measureLabelMap(volume, labelMap, { status: 'ok', findings: [] }, { instanceKinds: ['organ'], connectivity: 26 });
    for (const r of ref) {
      const l6 = r6.labels.find((x) => x.value === r.value)!;
      const l26 = r26.labels.find((x) => x.value === r.value)!;
      expect(l6.instances.length).toBe(r.comps6);
      expect(l26.instances.length).toBe(r.comps26);
      expect(l6.instances.reduce((s, i) => s + i.voxels, 0)).toBe(r.voxels);
    }
    expect(r26.panoptic.filter((p) => p.category === 'thing').length).toBe(ref.reduce((s, r) => s + r.comps26, 0));
    expect(result.panoptic.every((p) => p.category === 'stuff')).toBe(true);
  });

  it('refuses unsafe geometry with UNSAFE_GEOMETRY and carries the status otherwise', () => {
    const unsafe = { status: 'unsafe' as const, findings: [{ code: 'MISSING_SLICE' as const, severity: 'unsafe' as const, message: 'gap at slice 12' }] };
    expect(() => measureLabelMap(volume, labelMap, unsafe)).toThrowError(AppError);
    try {
      measureLabelMap(volume, labelMap, unsafe);
    } catch (e) {
      expect((e as AppError).code).toBe('UNSAFE_GEOMETRY');
      expect((e as AppError).message).toContain('gap at slice 12');
    }
    const warn = { status: 'warning' as const, findings: [{ code: 'NON_UNIFORM_SPACING' as const, severity: 'warning' as const, message: 'x' }] };
    expect(measureLabelMap(volume, labelMap, warn).geometry.status).toBe('warning');
  });
});
