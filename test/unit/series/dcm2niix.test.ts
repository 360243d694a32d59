// Series assembly + volume building on real data, checked voxel by voxel in patient space against dcm2niix's
// NIfTI output read through nibabel (both independent of medseg).
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareInPatientSpace, DATA, readWithNibabel, runDcm2niix, stacksOf, buildStack, tempDir } from '../../helpers/seriesTestUtil.js';

function report(name: string, c: ReturnType<typeof compareInPatientSpace>): void {
  console.log(
    `${name}: max voxel-centre distance to dcm2niix ${c.maxPositionErrorMm.toExponential(2)} mm, ${c.compared} voxels, ${c.mismatches} differ (max ${c.maxAbsDiff})`,
  );
}

describe('geometry and values equal dcm2niix', () => {
  it('totalsegmentator example_ct_dicom (20 CT slices, JPEG 2000)', async () => {
    const dir = path.join(DATA, 'totalsegmentator_example/example_ct_dicom');
    const stacks = stacksOf(dir);
    expect(stacks).toHaveLength(1);
    expect(stacks[0].geometry.status).toBe('ok');
    const [ref] = runDcm2niix(dir);
    const c = compareInPatientSpace(await buildStack(stacks[0]), readWithNibabel(ref));
    report('example_ct_dicom', c);
    expect(c.sameVoxelSet).toBe(true);
    expect(c.maxPositionErrorMm).toBeLessThanOrEqual(0.01);
    expect(c.compared).toBe(512 * 512 * 20);
    expect(c.mismatches).toBe(0);
  });

  it('Siemens XA10 enhanced MR: 4 files of 6 frames = 4 time points, each equal to its dcm2niix volume', async () => {
    const dir = path.join(DATA, 'dcm_qa_enh/Siemens_XA10');
    const stacks = stacksOf(dir);
    expect(stacks.map((s) => s.dims)).toEqual([
      [64, 64, 6],
      [64, 64, 6],
      [64, 64, 6],
      [64, 64, 6],
    ]);
    const [ref] = runDcm2niix(dir);
    for (let t = 0; t < 4; t++) {
      const c = compareInPatientSpace(await buildStack(stacks[t]), readWithNibabel(ref, t));
      report(`XA10 t${t}`, c);
      expect(c.sameVoxelSet).toBe(true);
      expect(c.maxPositionErrorMm).toBeLessThanOrEqual(0.01);
      expect(c.mismatches).toBe(0);
    }
  });

  it('Philips enhanced field map: magnitude and Hz frames at the same positions become two stacks', async () => {
    const dir = path.join(DATA, 'dcm_qa_enh/Philips');
    const stacks = stacksOf(dir);
    expect(stacks).toHaveLength(2);
    expect(stacks.every((s) => s.geometry.status === 'ok')).toBe(true);
    // -p n: DICOM Rescale Slope/Intercept (modality values), not Philips' private "precise" scaling.
    const refs = runDcm2niix(dir, ['-p', 'n']); // e1 (magnitude), e2 (field map in Hz)
    expect(refs).toHaveLength(2);
    for (let s = 0; s < 2; s++) {
      const c = compareInPatientSpace(await buildStack(stacks[s]), readWithNibabel(refs[s]), 0.01);
      report(`Philips stack ${s + 1}`, c);
      expect(c.sameVoxelSet).toBe(true);
      expect(c.maxPositionErrorMm).toBeLessThanOrEqual(0.01);
      expect(c.mismatches).toBe(0);
    }
  });

  it('gantry tilt, uniformly spaced part (slices 1-14, 18.5°): same orthogonal grid and values as dcm2niix tilt correction', async () => {
    const src = path.join(DATA, 'dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing');
    const dir = tempDir('tilt14');
    for (let i = 1; i <= 14; i++) copyFileSync(path.join(src, `${String(i).padStart(2, '0')}.dcm`), path.join(dir, `${i}.dcm`));
    const [stack] = stacksOf(dir);
    expect(stack.geometry.findings.map((f) => f.code)).toEqual(['GANTRY_TILT']);
    expect(stack.geometry.findings[0].details?.angleDeg).toBeCloseTo(18.5, 1);
    const refs = runDcm2niix(dir);
    const tiltRef = refs.find((f) => f.includes('Tilt'));
    expect(tiltRef).toBeDefined();
    const volume = await buildStack(stack);
    const [nx, ny] = volume.dims;
    let pad = Infinity;
    for (const v of volume.voxels) pad = Math.min(pad, v);
    const at = (i: number, j: number, k: number): number => volume.voxels[i + nx * (j + ny * k)];
    // dcm2niix fills the first/last sampled row of each column by its own edge rule: compare everywhere else.
    const nextToPadding = (i: number, j: number, k: number): boolean =>
      at(i, j, k) !== pad && ((j > 0 && at(i, j - 1, k) === pad) || (j < ny - 1 && at(i, j + 1, k) === pad));
    const c = compareInPatientSpace(volume, readWithNibabel(tiltRef as string), 1, nextToPadding);
    report('gantry tilt 1-14', c);
    expect(c.sameVoxelSet).toBe(true);
    expect(c.maxPositionErrorMm).toBeLessThanOrEqual(0.01);
    expect(c.compared).toBeGreaterThan(0.99 * volume.voxels.length);
    // Linear interpolation rounded to integers, padded with the series minimum: equal within rounding.
    expect(c.mismatches).toBe(0);
  });
});
