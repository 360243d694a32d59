// `medseg bodycomp` on the real TotalSegmentator example (CT, tissue_types masks, 41-organ vertebrae), checked against
// the independent numpy/nibabel/scipy reference in test/reference/bodycompReference.py.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../helpers/cli.js';
import { REPO_DIR, TS_DIR } from '../../helpers/measureHelpers.js';

const CT = path.join(TS_DIR, 'example_ct_sm.nii.gz');
const TISSUES = path.join(TS_DIR, 'example_seg_tissue_types');
const SEG = path.join(TS_DIR, 'example_seg.nii.gz');
const NAMES = path.join(TS_DIR, 'labels_total.csv');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-bodycomp-'));
// This scan (30 slices) reaches L2..T11 only; a table that names value 31 (L1) "vertebrae_L3" gives the default-slice
// path a level to find, with the reference reading the same table.
const AS_L3 = path.join(tmp, 'l1-as-l3.csv');

interface RefLevel {
  sliceRange: [number, number];
  truncated: boolean;
  tissues: Record<string, { volumeMl: number; volumeMlLower: number; volumeMlUpper: number }>;
}
interface RefSlice {
  k: number;
  zLps: number;
  centreS: number;
  tissues: Record<string, { areaCm2: number; meanHu: number | null }>;
}
interface Ref {
  levels: Record<string, RefLevel>;
  slices: Record<string, RefSlice>;
  order: string[];
}
function reference(names: string, levels: string): Ref {
  const script = path.join(REPO_DIR, 'test', 'reference', 'bodycompReference.py');
  return JSON.parse(execFileSync('/usr/bin/python3', [script, CT, TISSUES, SEG, names, levels], { encoding: 'utf8' })) as Ref;
}
let ref: Ref;
let refL3: Ref;

beforeAll(() => {
  writeFileSync(AS_L3, readFileSync(NAMES, 'utf8').replace(/^31,vertebrae_L1$/m, '31,vertebrae_L3'));
  ref = reference(NAMES, 'L1,L2,T12');
  refL3 = reference(AS_L3, 'L3');
});

async function bodycomp(...args: string[]) {
  const r = await runCliCaptured(['bodycomp', CT, '--tissues', TISSUES, '--vertebrae', SEG, '--modality', 'CT', '--json', ...args]);
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
}

describe('medseg bodycomp', () => {
  it('per-level volumes and band equal the reference; levels cranial to caudal; slabs by the stated rule', async () => {
    const r = await bodycomp('--vertebra-names', NAMES, '--slice', 'L1');
    expect(r.code).toBe(0);
    const j = r.json;
    expect(j.geometryStatus).toBe('warning'); // NIfTI without spatial units: mm assumed (as measure says)
    expect(j.levels.map((l: { level: string }) => l.level)).toEqual(ref.order);
    expect(ref.order).toEqual(['T11', 'T12', 'L1', 'L2']); // cranial to caudal (S decreasing)
    for (const l of j.levels) {
      const want = ref.levels[l.level];
      expect(l.sliceRange).toEqual(want.sliceRange);
      expect(l.truncated).toBe(want.truncated);
      expect(l.tissues.map((t: { name: string }) => t.name)).toEqual(['skeletal_muscle', 'subcutaneous_fat', 'torso_fat']);
      for (const t of l.tissues) {
        const w = want.tissues[t.name];
        expect(t.volumeMl).toBeCloseTo(w.volumeMl, 6);
        expect(t.volumeMlLower).toBeCloseTo(w.volumeMlLower, 6);
        expect(t.volumeMlUpper).toBeCloseTo(w.volumeMlUpper, 6);
        expect(t.volumeMl).toBeGreaterThan(0);
      }
    }
    // L1's slab (k 4..21) is not cut by the scan; L2 starts at the first slice
    expect(j.levels.find((l: { level: string }) => l.level === 'L1').truncated).toBe(false);
    expect(j.levels.find((l: { level: string }) => l.level === 'L2').truncated).toBe(true);
  });

  it('areas (cm²) and mean HU on the slice through a level centre equal the reference, at the slice nibabel finds', async () => {
    for (const level of ['L1', 'L2', 'T12']) {
      const r = await bodycomp('--vertebra-names', NAMES, '--slice', level);
      expect(r.code).toBe(0);
      const s = r.json.slice;
      const want = ref.slices[level];
      expect(s.level).toBe(level);
      expect(s.k).toBe(want.k);
      expect(s.zLps).toBeCloseTo(want.zLps, 6);
      expect(Math.abs(s.zLps - want.centreS)).toBeLessThanOrEqual(1.5); // nearest slice of a 3 mm grid
      for (const t of s.tissues) {
        expect(t.areaCm2).toBeCloseTo(want.tissues[t.name].areaCm2, 9);
        expect(t.meanHu).toBeCloseTo(want.tissues[t.name].meanHu!, 6);
      }
    }
    // skeletal muscle is dense, fat is negative HU: a sanity check of the pairing of masks and image
    const s = (await bodycomp('--vertebra-names', NAMES, '--slice', 'L1')).json.slice.tissues;
    expect(s.find((t: { name: string }) => t.name === 'skeletal_muscle').meanHu).toBeGreaterThan(0);
    expect(s.find((t: { name: string }) => t.name === 'subcutaneous_fat').meanHu).toBeLessThan(-50);
  });

  it('defaults to the slice through the centre of L3; an explicit index and z=MM pick the same slice', async () => {
    const r = await bodycomp('--vertebra-names', AS_L3);
    expect(r.code).toBe(0);
    const want = refL3.slices.L3;
    expect(r.json.slice.level).toBe('L3');
    expect(r.json.slice.k).toBe(want.k);
    const byK = await bodycomp('--vertebra-names', AS_L3, '--slice', String(want.k));
    expect(byK.json.slice.tissues).toEqual(r.json.slice.tissues);
    const byZ = await bodycomp('--vertebra-names', AS_L3, `--slice=z=${want.zLps + 1}`);
    expect(byZ.json.slice.k).toBe(want.k);
    expect((await bodycomp('--vertebra-names', AS_L3, '--slice=z=5000')).json.error.code).toBe('INVALID_INPUT');
    expect((await bodycomp('--vertebra-names', AS_L3, '--slice', '99')).json.error.code).toBe('INVALID_INPUT');
  });

  it('maps on a shorter grid are resampled onto the CT with coded warnings; levels cut by the map stay flagged', async () => {
    // example_ct is the whole scan (112 slices); example_ct_sm (the masks' grid) is its last 30 slices, but both headers
    // give the same origin. A copy of the whole scan with its origin moved 82 slices down puts the masks on their anatomy.
    const whole = path.join(tmp, 'whole.nii.gz');
    execFileSync('/usr/bin/python3', [
      '-c',
      `import nibabel as nib, numpy as np, sys
i = nib.load(sys.argv[1]); a = i.affine.copy(); a[2, 3] -= 82 * a[2, 2]
sm = np.asarray(nib.load(sys.argv[3]).dataobj); ct = np.asarray(i.dataobj)
assert (ct[:, :, 82:] == sm).all()
nib.save(nib.Nifti1Image(ct.astype(np.int16), a), sys.argv[2])`,
      path.join(TS_DIR, 'example_ct.nii.gz'),
      whole,
      CT,
    ]);
    const r = await runCliCaptured([
      'bodycomp',
      whole,
      '--tissues',
      TISSUES,
      '--vertebrae',
      SEG,
      '--vertebra-names',
      NAMES,
      '--slice',
      'L1',
      '--modality',
      'CT',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.resampled).toEqual({ tissues: true, vertebrae: true });
    const codes = j.warnings.map((w: { code: string }) => w.code);
    expect(codes).toContain('LABELMAP_RESAMPLED');
    expect(codes).toContain('LABELMAP_PARTIAL_COVERAGE');
    for (const l of j.levels) {
      const want = ref.levels[l.level];
      expect(l.sliceRange).toEqual(want.sliceRange.map((k) => k + 82));
      // L2 reaches the map's first slice (82 here), not the CT's (0): still cut
      expect(l.truncated).toBe(want.truncated);
      for (const t of l.tissues) {
        expect(t.volumeMl).toBeCloseTo(want.tissues[t.name].volumeMl, 6);
        expect(t.volumeMlLower).toBeCloseTo(want.tissues[t.name].volumeMlLower, 6);
      }
    }
    expect(j.levels.find((l: { level: string }) => l.level === 'L2').truncated).toBe(true);
    expect(j.slice.k).toBe(ref.slices.L1.k + 82);
    for (const t of j.slice.tissues) expect(t.meanHu).toBeCloseTo(ref.slices.L1.tissues[t.name].meanHu!, 6);
  });

  it('a missing L3 is NOT_FOUND; no mean HU without a CT; usage errors exit 2', async () => {
    const r = await bodycomp('--vertebra-names', NAMES);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('NOT_FOUND');
    expect(r.json.error.message).toMatch(/L3.*T11, T12, L1, L2/);
    const noCt = await runCliCaptured(['bodycomp', CT, '--tissues', TISSUES, '--vertebrae', SEG, '--vertebra-names', NAMES, '--slice', 'L1', '--json']);
    const j = JSON.parse(noCt.stdout);
    expect(j.intensityUnit).toBe('unknown');
    expect(j.slice.tissues.every((t: { meanHu: number | null }) => t.meanHu === null)).toBe(true);
    expect((await runCliCaptured(['bodycomp', CT, '--tissues', TISSUES, '--json'])).code).toBe(2);
    expect((await bodycomp('--vertebra-names', NAMES, '--slice', 'middle')).code).toBe(2);
    // without --json: one line per level and tissue, the cut levels said so
    const human = await runCliCaptured(['bodycomp', CT, '--tissues', TISSUES, '--vertebrae', SEG, '--vertebra-names', NAMES, '--slice', 'L1']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^L2: slices 0\.\.9 \(cut by the scan/m);
    expect(human.stdout).toMatch(/^slice k=\d+ z=[\d.]+ mm \(L1\)$/m);
    expect(human.stdout).toMatch(/^ {2}skeletal_muscle: [\d.]+ cm²$/m);
  });

  it('a multi-label tissue map with --tissue-names gives the same numbers as the folder; overlapping masks are refused', async () => {
    const merged = path.join(tmp, 'tissues.nii.gz');
    const names = path.join(tmp, 'tissues.csv');
    execFileSync('/usr/bin/python3', [
      '-c',
      `import nibabel as nib, numpy as np, sys, os
names = ['torso_fat', 'skeletal_muscle', 'subcutaneous_fat']
imgs = [nib.load(os.path.join(sys.argv[1], n + '.nii.gz')) for n in names]
out = np.zeros(imgs[0].shape, np.uint8)
for v, i in enumerate(imgs, start=1): out[np.asarray(i.dataobj) > 0] = 10 * v
nib.save(nib.Nifti1Image(out, imgs[0].affine), sys.argv[2])
open(sys.argv[3], 'w').write(''.join(f'{10 * v},{n}\\n' for v, n in enumerate(names, start=1)))`,
      TISSUES,
      merged,
      names,
    ]);
    const folder = (await bodycomp('--vertebra-names', NAMES, '--slice', 'L1')).json;
    const r = await runCliCaptured([
      'bodycomp',
      CT,
      '--tissues',
      merged,
      '--tissue-names',
      names,
      '--vertebrae',
      SEG,
      '--vertebra-names',
      NAMES,
      '--slice',
      'L1',
      '--modality',
      'CT',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const byName = <T extends { name: string }>(xs: T[]) => [...xs].sort((x, y) => x.name.localeCompare(y.name));
    expect(byName(j.slice.tissues)).toEqual(byName(folder.slice.tissues));
    for (let n = 0; n < j.levels.length; n++) expect(byName(j.levels[n].tissues)).toEqual(byName(folder.levels[n].tissues));
    const overlap = path.join(tmp, 'overlap');
    mkdirSync(overlap);
    copyFileSync(path.join(TISSUES, 'torso_fat.nii.gz'), path.join(overlap, 'a.nii.gz'));
    copyFileSync(path.join(TISSUES, 'torso_fat.nii.gz'), path.join(overlap, 'b.nii.gz'));
    const bad = await runCliCaptured(['bodycomp', CT, '--tissues', overlap, '--vertebrae', SEG, '--vertebra-names', NAMES, '--json']);
    expect(bad.code).toBe(2); // INVALID_INPUT exits as a usage error
    expect(JSON.parse(bad.stdout).error.code).toBe('INVALID_INPUT');
  });

  it('unsafe geometry (a missing slice) is refused with UNSAFE_GEOMETRY', async () => {
    const src = path.join(TS_DIR, 'example_ct_dicom');
    const gap = path.join(tmp, 'gap');
    mkdirSync(gap);
    readdirSync(src)
      .sort()
      .forEach((f, n) => n !== 10 && copyFileSync(path.join(src, f), path.join(gap, f)));
    const r = await runCliCaptured(['bodycomp', gap, '--tissues', TISSUES, '--vertebrae', SEG, '--vertebra-names', NAMES, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('UNSAFE_GEOMETRY');
  });
});
