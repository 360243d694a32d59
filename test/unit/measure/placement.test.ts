// A label map on another grid is reported as resampled (and how), partly covering, not overlapping or cropped;
// labels at the first/last slice are flagged as lower bounds; compare pairs labels by name. Real TotalSegmentator
// data, references from numpy/nibabel.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/headless/cli.js';
import { measureSegmentation } from '../../../main/services/measure/measure.js';
import { labelTableFor } from '../../../shared/domain/labelTable.js';
import { readNifti, readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { loadVolumeFromPath, type LoadedVolume } from '../../../main/services/series/volumes.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { resampleLabelMapNearest } from '../../../shared/domain/resample.js';
import { python, TS_DIR } from '../../helpers/measureHelpers.js';

const SEG = path.join(TS_DIR, 'example_seg.nii.gz');
const SEG_DICOM = path.join(TS_DIR, 'example_seg_dicom.nii.gz');
const FAST = path.join(TS_DIR, 'example_seg_fast.nii.gz');
const NAMES = path.join(TS_DIR, 'labels_total.csv');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-placement-'));

let dicom: LoadedVolume;
const warningCodes = (r: { geometry: { warnings: { code: string }[] } }): string[] => r.geometry.warnings.map((w) => w.code);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

async function labelMapOf(file: string): Promise<LabelMap> {
  const seg = await readNiftiLabels(file);
  return { ...seg, table: labelTableFor(seg.labels) };
}

beforeAll(async () => {
  dicom = await loadVolumeFromPath(path.join(TS_DIR, 'example_ct_dicom'));
}, 120_000);

describe('a label map on another grid', () => {
  it('the 3 mm whole-abdomen map on the 20-slice DICOM CT lies elsewhere in patient space: LABELMAP_NO_OVERLAP, counts as numpy finds them', async () => {
    const map = await labelMapOf(SEG);
    const r = measureSegmentation(dicom.volume, map, dicom.geometry);
    const p = r.geometry.labelMapPlacement!;
    expect(p).toMatchObject({ resampled: true, method: 'nearest neighbour through LPS', sourceDims: [122, 101, 30] });
    // Reference: the same mapping (voxel centre → LPS → series index, rounded half up) in numpy on nibabel's data.
    const v = dicom.volume;
    const ref = python<{ outside: number; labelled: number; covered: number }>(`
import json, numpy as np, nibabel as nib
img = nib.load(${JSON.stringify(SEG)}); a = np.asarray(img.dataobj)
flip = np.diag([-1.0, -1.0, 1.0, 1.0])
src = flip @ img.affine  # RAS -> LPS
D = np.array(${JSON.stringify(v.directionLps)}).T * np.array(${JSON.stringify(v.spacingMm)})
tgt = np.eye(4); tgt[:3, :3] = D; tgt[:3, 3] = ${JSON.stringify(v.originLps)}
m = np.linalg.inv(tgt) @ src
ijk = np.argwhere(a > 0)
t = np.floor(ijk @ m[:3, :3].T + m[:3, 3] + 0.5)
dims = np.array(${JSON.stringify(v.dims)})
inside = np.all((t >= 0) & (t < dims), axis=1)
# series voxel centres inside the map's grid
mi = np.linalg.inv(src) @ tgt
g = np.stack(np.meshgrid(np.arange(dims[0]), np.arange(dims[1]), np.arange(dims[2]), indexing='ij'), -1).reshape(-1, 3)
s = np.floor(g @ mi[:3, :3].T + mi[:3, 3] + 0.5)
cov = np.all((s >= 0) & (s < np.array(a.shape)), axis=1)
print(json.dumps(dict(outside=int((~inside).sum()), labelled=int(len(ijk)), covered=int(cov.sum()))))
`);
    expect(p.labelledVoxels).toBe(ref.labelled);
    expect(p.labelledVoxelsOutside).toBe(ref.outside);
    expect(p.seriesCoveredFraction).toBeCloseTo(ref.covered / (v.dims[0] * v.dims[1] * v.dims[2]), 12);
    // Real data: the two files of the example are not in one patient frame, so every volume would be a silent 0.
    expect(ref.outside).toBe(ref.labelled);
    expect(r.labels.every((l) => l.volumeMl === 0)).toBe(true);
    expect(warningCodes(r)).toEqual(['LABELMAP_RESAMPLED', 'LABELMAP_NO_OVERLAP']);
  }, 120_000);

  it('the DICOM-grid map moved 20 mm along the slices: half the series covered, labels beyond it cropped (LABELS_OUTSIDE_SERIES, counted as numpy)', async () => {
    const full = await labelMapOf(SEG_DICOM);
    const k = full.directionLps[2];
    const moved: LabelMap = { ...full, originLps: [0, 1, 2].map((a) => full.originLps[a] + 20 * k[a]) as LabelMap['originLps'] };
    const r = measureSegmentation(dicom.volume, moved, dicom.geometry);
    const ref = python<{ outside: number; labelled: number }>(`
import json, numpy as np, nibabel as nib
a = np.asarray(nib.load(${JSON.stringify(SEG_DICOM)}).dataobj)
print(json.dumps(dict(outside=int((a[:, :, 10:] > 0).sum()), labelled=int((a > 0).sum()))))`);
    expect(ref.outside).toBeGreaterThan(0);
    expect(warningCodes(r)).toEqual(['LABELMAP_RESAMPLED', 'LABELMAP_PARTIAL_COVERAGE', 'LABELS_OUTSIDE_SERIES', 'TOUCHES_SCAN_EDGE']);
    expect(r.geometry.labelMapPlacement!.seriesCoveredFraction).toBeCloseTo(0.5, 12);
    expect(r.geometry.warnings.find((w) => w.code === 'LABELS_OUTSIDE_SERIES')!.details).toMatchObject({
      labelledVoxelsOutside: ref.outside,
      labelledVoxels: ref.labelled,
    });
  }, 120_000);

  it('a map covering only the first 10 of 20 slices: LABELMAP_PARTIAL_COVERAGE (50 %), volumes of the covered part', async () => {
    const full = await labelMapOf(SEG_DICOM);
    const [nx, ny] = full.dims;
    const half: LabelMap = { ...full, dims: [nx, ny, 10], labels: full.labels.slice(0, nx * ny * 10) as Uint8Array };
    const r = measureSegmentation(dicom.volume, half, dicom.geometry);
    expect(r.geometry.labelMapPlacement!.seriesCoveredFraction).toBeCloseTo(0.5, 12);
    expect(warningCodes(r)).toEqual(expect.arrayContaining(['LABELMAP_RESAMPLED', 'LABELMAP_PARTIAL_COVERAGE']));
    expect(warningCodes(r)).not.toContain('LABELS_OUTSIDE_SERIES');
    const liverHalf = python<number>(`
import json, numpy as np, nibabel as nib
a = np.asarray(nib.load(${JSON.stringify(SEG_DICOM)}).dataobj); print(json.dumps(int((a[:, :, :10] == 5).sum())))`);
    expect(r.labels.find((l) => l.value === 5)!.voxels).toBe(liverHalf);
  }, 60_000);

  it('a map 1 m away: LABELMAP_NO_OVERLAP instead of a silent 0 mL', async () => {
    const full = await labelMapOf(SEG_DICOM);
    const away: LabelMap = { ...full, originLps: [full.originLps[0], full.originLps[1], full.originLps[2] + 1000] };
    const r = measureSegmentation(dicom.volume, away, dicom.geometry);
    expect(r.labels.every((l) => l.voxels === 0)).toBe(true);
    expect(warningCodes(r)).toContain('LABELMAP_NO_OVERLAP');
    expect(r.geometry.labelMapPlacement!.seriesCoveredFraction).toBe(0);
  }, 60_000);

  it('the same grid: no resampling, no placement warnings', async () => {
    // example_seg_dicom stores the rows flipped (another grid of the same voxels): put it on the series grid first.
    const onGrid = { ...resampleLabelMapNearest(await labelMapOf(SEG_DICOM), dicom.volume), table: [] };
    const r = measureSegmentation(dicom.volume, onGrid, dicom.geometry);
    expect(r.geometry.labelMapPlacement).toMatchObject({ resampled: false, method: 'same grid', seriesCoveredFraction: 1, labelledVoxelsOutside: 0 });
    expect(warningCodes(r).filter((c) => c.startsWith('LABEL'))).toEqual([]);
  }, 60_000);
});

describe('labels at the first or last slice', () => {
  it('are flagged as possibly cut off by the scan (lower bound), exactly the labels numpy finds in slice 0 or 29', async () => {
    const ct = await readNifti(path.join(TS_DIR, 'example_ct_sm.nii.gz'));
    const r = measureSegmentation(ct.volume, await labelMapOf(SEG), ct.geometry);
    const ref = python<number[]>(`
import json, numpy as np, nibabel as nib
a = np.asarray(nib.load(${JSON.stringify(SEG)}).dataobj)
print(json.dumps(sorted((set(np.unique(a[:, :, 0]).tolist()) | set(np.unique(a[:, :, -1]).tolist())) - {0})))`);
    expect(ref.length).toBeGreaterThan(0);
    expect(r.labels.filter((l) => l.touchesScanEdge).map((l) => l.value)).toEqual(ref);
    const w = r.geometry.warnings.find((x) => x.code === 'TOUCHES_SCAN_EDGE')!;
    expect(w.details).toEqual({ labels: ref.length });
    expect(w.message).toMatch(/lower bound/);
  }, 60_000);
});

describe('compare pairs labels by name', () => {
  it('B renumbered (values reversed) with its own names: paired by name, same Dice as the value pairing of the original', async () => {
    // B = example_seg_fast with every value v renumbered to 200 - v; its names file says so.
    const renumbered = path.join(tmp, 'fast_renumbered.nii.gz');
    const namesB = path.join(tmp, 'names_b.csv');
    const present = python<number[]>(`
import json, numpy as np, nibabel as nib
img = nib.load(${JSON.stringify(FAST)}); b = np.asarray(img.dataobj).astype(np.uint8)
out = np.where(b > 0, 200 - b, 0).astype(np.uint8)
nib.save(nib.Nifti1Image(out, img.affine, img.header), ${JSON.stringify(renumbered)})
print(json.dumps(sorted(set(np.unique(b).tolist()) - {0})))`);
    const names = new Map(
      (await import('node:fs'))
        .readFileSync(NAMES, 'utf8')
        .split(/\r?\n/)
        .slice(1)
        .filter(Boolean)
        .map((l) => {
          const [v, n] = l.split(',');
          return [Number(v), n] as const;
        }),
    );
    writeFileSync(namesB, present.map((v) => `${200 - v},${names.get(v)}`).join('\n') + '\n');
    const byValue = JSON.parse((await cli('compare', SEG, FAST, '--json')).out);
    const r = await cli('compare', SEG, renumbered, '--names-a', NAMES, '--names-b', namesB, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.pairedBy).toBe('name');
    expect(j.warnings.map((w: { code: string }) => w.code)).not.toContain('LABELS_PAIRED_BY_VALUE');
    expect(j.pixelAccuracy).toBeCloseTo(byValue.pixelAccuracy, 12);
    for (const l of j.labels) {
      expect(l.nameA ?? l.nameB).toBeTruthy();
      if (l.valueA !== null && l.valueB !== null) {
        expect(l.valueB).toBe(200 - l.valueA);
        expect(l.nameB).toBe(l.nameA);
      }
      const orig = byValue.labels.find((x: { value: number }) => x.value === (l.valueA ?? 200 - l.valueB));
      expect(l.dice).toBeCloseTo(orig.dice, 12);
      expect(l.iou).toBeCloseTo(orig.iou, 12);
    }
    // Without names for B: paired by value (wrongly, here), and the output says so.
    const blind = JSON.parse((await cli('compare', SEG, renumbered, '--names-a', NAMES, '--json')).out);
    expect(blind.pairedBy).toBe('value');
    expect(blind.warnings[0]).toMatchObject({ code: 'LABELS_PAIRED_BY_VALUE' });
    expect(blind.warnings[0].message).toMatch(/missing in map B/);
  }, 120_000);
});
