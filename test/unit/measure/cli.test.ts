// The `medseg measure` and `medseg compare` CLI contract, run in-process on the real example data, with
// reference numbers from numpy/scipy computed here.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/headless/cli.js';
import { python, TS_DIR } from '../../helpers/measureHelpers.js';

const CT = path.join(TS_DIR, 'example_ct_sm.nii.gz');
const SEG = path.join(TS_DIR, 'example_seg.nii.gz');
const FAST = path.join(TS_DIR, 'example_seg_fast.nii.gz');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

interface Ref {
  threshold: number;
  grow6: number;
  grow26: number;
  dice: Record<string, number>;
  iou: Record<string, number>;
  accuracy: number;
}
let ref: Ref;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-measure-cli-'));

beforeAll(() => {
  ref = python<Ref>(`
import json, numpy as np, nibabel as nib
from scipy import ndimage
ct = np.asarray(nib.load(${JSON.stringify(CT)}).dataobj)
a = np.asarray(nib.load(${JSON.stringify(SEG)}).dataobj); b = np.asarray(nib.load(${JSON.stringify(FAST)}).dataobj)
r = (ct >= -50) & (ct <= 250)
def grow(rank):
    lab, _ = ndimage.label(r, ndimage.generate_binary_structure(3, rank)); return int((lab == lab[81, 58, 19]).sum())
vals = sorted(set(np.unique(a).tolist()) | set(np.unique(b).tolist()) - {0})
dice = {}; iou = {}
for v in vals:
    if v == 0: continue
    x, y = a == v, b == v; i = (x & y).sum()
    dice[str(v)] = float(2 * i / (x.sum() + y.sum())); iou[str(v)] = float(i / (x | y).sum())
print(json.dumps(dict(threshold=int(((ct >= -100) & (ct <= 200)).sum()), grow6=grow(1), grow26=grow(3), dice=dice, iou=iou, accuracy=float((a == b).mean()))))
`);
});

describe('medseg measure', () => {
  it('--labels prints the contract JSON; liver 1043.118 mL; --csv writes the rows', async () => {
    const csv = path.join(tmp, 'm.csv');
    const r = await cli('measure', CT, '--labels', SEG, '--lesion-labels', '1', '--label-names', path.join(TS_DIR, 'labels_total.csv'), '--csv', csv, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    // The NIfTI CT's header gives no spatial unit (xyzt_units 0): mm are assumed, which makes it 'warning', never 'ok'.
    expect(j.geometry.status).toBe('warning');
    expect(j.geometry.findings.map((f: { code: string }) => f.code)).toEqual(['NIFTI_UNITS_UNKNOWN']);
    const liver = j.labels.find((l: { value: number }) => l.value === 5);
    expect(liver.name).toBe('liver');
    expect(liver.voxels).toBe(38634);
    expect(liver.volumeMl).toBeCloseTo(1043.118, 9);
    for (const k of ['value', 'name', 'voxels', 'volumeMl', 'volumeMlLower', 'volumeMlUpper', 'centroidLps', 'stats', 'instances'])
      expect(liver).toHaveProperty(k);
    expect(Object.keys(liver.stats).sort()).toEqual(['max', 'mean', 'median', 'min', 'p5', 'p95', 'sd']);
    expect(liver.instances).toEqual([]);
    const spleen = j.labels.find((l: { value: number }) => l.value === 1);
    expect(spleen.instances.length).toBeGreaterThan(0);
    for (const k of ['id', 'voxels', 'volumeMl', 'centroidLps', 'recistLongMm', 'recistShortMm', 'maxDiameterMm'])
      expect(spleen.instances[0]).toHaveProperty(k);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    expect(lines[0].startsWith('labelValue,instanceId,labelName')).toBe(true);
    expect(lines.some((l) => l.startsWith('5,0,liver,organ,38634,'))).toBe(true); // named by the table, not lesion-like: organ
  });

  it('--threshold and --grow make label 1 with voxel counts equal to numpy/scipy', async () => {
    const t = JSON.parse((await cli('measure', CT, '--threshold=-100:200', '--json')).out);
    expect(t.labels.map((l: { value: number }) => l.value)).toEqual([1]);
    // Made by the app's classical tool runner (its label name and kind), not by a CLI copy of it.
    expect([t.labels[0].name, t.labels[0].kind]).toEqual(['threshold -100..200', 'lesion']);
    expect(t.labels[0].voxels).toBe(ref.threshold);
    expect(t.labels[0].instances.reduce((s: number, i: { voxels: number }) => s + i.voxels, 0)).toBe(ref.threshold);
    const g6 = JSON.parse((await cli('measure', CT, '--grow=81,58,19:-50:250', '--json')).out);
    expect(g6.labels[0].voxels).toBe(ref.grow6);
    expect([g6.labels[0].name, g6.labels[0].kind]).toEqual(['region -50..250', 'lesion']);
    expect(g6.labels[0].instances).toHaveLength(1);
    const g26 = JSON.parse((await cli('measure', CT, '--grow=81,58,19:-50:250', '--connectivity', '26', '--json')).out);
    expect(g26.labels[0].voxels).toBe(ref.grow26);
    const capped = await cli('measure', CT, '--grow=81,58,19:-50:250', '--max-voxels', '500', '--json');
    expect(JSON.parse(capped.out).labels[0].voxels).toBe(500);
    expect(capped.err).toMatch(/incomplete/);
  });

  it('usage errors exit 2; unsafe geometry is refused with UNSAFE_GEOMETRY', async () => {
    expect((await cli('measure', CT, '--json')).code).toBe(2);
    expect((await cli('measure', CT, '--threshold=5:1', '--json')).code).toBe(2);
    expect((await cli('measure', CT, '--grow=1,2:0:1', '--json')).code).toBe(2);
    // A CT series with one slice taken out of the middle: a missing slice makes the geometry unsafe.
    const src = path.join(TS_DIR, 'example_ct_dicom');
    const gap = path.join(tmp, 'gap');
    const files = readdirSync(src).sort();
    (await import('node:fs')).mkdirSync(gap);
    files.forEach((f, n) => n !== 10 && copyFileSync(path.join(src, f), path.join(gap, f)));
    const r = await cli('measure', gap, '--threshold=0:100', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('UNSAFE_GEOMETRY');
    expect(r.err).toMatch(/MISSING_SLICE/);
  });
});

describe('medseg compare', () => {
  it('prints pixelAccuracy and per-label dice/iou/hd95Mm equal to numpy', async () => {
    const r = await cli('compare', SEG, FAST, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['a', 'b', 'pixelAccuracy', 'pairedBy', 'hd95Unit', 'geometry', 'warnings', 'labels']);
    // No names given: paired by value, and the output says so.
    expect(j.pairedBy).toBe('value');
    expect(j.warnings.map((w: { code: string }) => w.code)).toEqual(['LABELS_PAIRED_BY_VALUE']);
    expect(j.hd95Unit).toBe('mm');
    expect(j.pixelAccuracy).toBeCloseTo(ref.accuracy, 12);
    expect(j.labels.map((l: { value: number }) => String(l.value))).toEqual(Object.keys(ref.dice).sort((x, y) => Number(x) - Number(y)));
    for (const l of j.labels) {
      expect(Object.keys(l)).toEqual(['value', 'valueA', 'valueB', 'nameA', 'nameB', 'dice', 'iou', 'hd95Mm', 'hd95Voxels']);
      expect(l.dice).toBeCloseTo(ref.dice[String(l.value)], 12);
      expect(l.iou).toBeCloseTo(ref.iou[String(l.value)], 12);
    }
    expect((await cli('compare', SEG, '--json')).code).toBe(2);
    expect((await cli('compare', SEG, SEG, '--json')).code).toBe(2);
  });
});
