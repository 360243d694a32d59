// Nearest-neighbour label resampling through patient space: synthetic grids with known answers, the halfway cases
// of its rounding rule, and the TotalSegmentator label map landing on the imported DICOM CT voxel for voxel (checked with nibabel + numpy).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nearestSourceIndex, resampleLabelMapNearest, resampleLabelsNearest, voxelToVoxel } from '../../../shared/domain/resample.js';
import { ijkToLps, ijkToLpsMatrix, voxelIndex, type Mat3, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { buildStack, DATA, PYTHON, stacksOf, tempDir } from '../../helpers/seriesTestUtil.js';

const identity: Mat3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

function labelsOf(g: VolumeGeometry, f: (i: number, j: number, k: number) => number): Uint16Array {
  const out = new Uint16Array(g.dims[0] * g.dims[1] * g.dims[2]);
  for (let k = 0; k < g.dims[2]; k++) for (let j = 0; j < g.dims[1]; j++) for (let i = 0; i < g.dims[0]; i++) out[voxelIndex(g, i, j, k)] = f(i, j, k);
  return out;
}

describe('resampleLabelsNearest (synthetic)', () => {
  const src: VolumeGeometry = { dims: [10, 8, 6], spacingMm: [1, 2, 3], originLps: [5, -4, 100], directionLps: identity };
  const code = (i: number, j: number, k: number): number => 1 + i + 10 * j + 100 * k;
  const labels = labelsOf(src, code);

  it('identical grid: an exact copy', () => {
    expect(Array.from(resampleLabelsNearest({ ...src, labels }, src))).toEqual(Array.from(labels));
  });

  it('a grid shifted by whole voxels with flipped and swapped axes picks the voxel at the same LPS point; outside = 0', () => {
    // target i runs along -y (source j reversed), target j along +x, target k along z; origin 2 voxels off in x.
    const target: VolumeGeometry = {
      dims: [8, 12, 6],
      spacingMm: [2, 1, 3],
      originLps: [5 - 2, -4 + 7 * 2, 100],
      directionLps: [
        [0, -1, 0],
        [1, 0, 0],
        [0, 0, 1],
      ],
    };
    const out = resampleLabelsNearest({ ...src, labels }, target);
    for (let k = 0; k < 6; k++) {
      for (let j = 0; j < 12; j++) {
        for (let i = 0; i < 8; i++) {
          const si = j - 2;
          const sj = 7 - i;
          const expected = si >= 0 && si < 10 ? code(si, sj, k) : 0;
          expect(out[voxelIndex(target, i, j, k)]).toBe(expected);
        }
      }
    }
  });

  it('a finer, rotated target takes the nearest source voxel of each centre', () => {
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const target: VolumeGeometry = {
      dims: [15, 15, 9],
      spacingMm: [0.5, 0.7, 1.1],
      originLps: [6, -3, 101],
      directionLps: [
        [c, s, 0],
        [-s, c, 0],
        [0, 0, 1],
      ],
    };
    const out = resampleLabelMapNearest({ ...src, labels, table: [] as number[] }, target);
    expect(out.dims).toEqual(target.dims);
    expect(out.table).toEqual([]);
    for (let k = 0; k < 9; k++) {
      for (let j = 0; j < 15; j++) {
        for (let i = 0; i < 15; i++) {
          const p = ijkToLps(target, [i, j, k]);
          const si = Math.round((p[0] - 5) / 1);
          const sj = Math.round((p[1] + 4) / 2);
          const sk = Math.round((p[2] - 100) / 3);
          const inside = si >= 0 && si < 10 && sj >= 0 && sj < 8 && sk >= 0 && sk < 6;
          expect(out.labels[voxelIndex(target, i, j, k)]).toBe(inside ? code(si, sj, sk) : 0);
        }
      }
    }
  });
});

describe('the halfway case of nearest-neighbour rounding (one rule for imports and model outputs)', () => {
  // Source voxel that a target voxel centre at exact source coordinate x must take: halfway goes to the higher index.
  const expectedIndex = (x: number): number => Math.floor(x + 0.5);

  /**
   * Counts halfway coordinates that the composed matrix puts just BELOW .5 by float noise: the ones a plain
   * floor(x + 0.5) would send to the lower voxel while their neighbours go up.
   */
  function halfwaysBelow(src: VolumeGeometry, target: VolumeGeometry): number {
    const m = voxelToVoxel(target, src);
    let noisy = 0;
    for (let k = 0; k < target.dims[2]; k++)
      for (let j = 0; j < target.dims[1]; j++)
        for (let i = 0; i < target.dims[0]; i++)
          for (let a = 0; a < 3; a++) {
            const x = m[a][0] * i + m[a][1] * j + m[a][2] * k + m[a][3];
            const frac = x - Math.floor(x);
            if (frac < 0.5 && frac > 0.5 - 1e-12) noisy++;
          }
    return noisy;
  }

  // Awkward spacings and origins (as in real DICOM), so the composed matrix carries float noise.
  const spacing: Vec3 = [0.977, 0.7, 2.2];
  const src: VolumeGeometry = { dims: [12, 10, 6], spacingMm: spacing, originLps: [-249.5117, -180.3, -804.5], directionLps: identity };
  const code = (i: number, j: number, k: number): number => 1 + i + 12 * j + 120 * k;
  const labels = labelsOf(src, code);

  it('a target shifted by exactly half a voxel on every axis takes the higher source voxel everywhere', () => {
    for (const sign of [1, -1]) {
      const target: VolumeGeometry = {
        ...src,
        originLps: [0, 1, 2].map((a) => src.originLps[a] + (sign * spacing[a]) / 2) as Vec3,
      };
      const out = resampleLabelsNearest({ ...src, labels }, target);
      for (let k = 0; k < 6; k++)
        for (let j = 0; j < 10; j++)
          for (let i = 0; i < 12; i++) {
            // target centre (i, j, k) sits at source i ± 0.5 on each axis
            const [si, sj, sk] = [i, j, k].map((c) => expectedIndex(c + sign * 0.5));
            const inside = si < 12 && sj < 10 && sk < 6;
            expect(out[voxelIndex(target, i, j, k)], `shift ${sign}/2 at ${i},${j},${k}`).toBe(inside ? code(si, sj, sk) : 0);
          }
    }
  });

  it('a 2:1 spacing ratio (target twice as fine) sends every in-between centre up, whatever the float noise', () => {
    const target: VolumeGeometry = { dims: [24, 20, 12], spacingMm: spacing.map((s) => s / 2) as Vec3, originLps: src.originLps, directionLps: identity };
    // the case is only a test of the rule if some halfway centres are computed off .5 by float noise
    expect(halfwaysBelow(src, target)).toBeGreaterThan(100);
    const out = resampleLabelsNearest({ ...src, labels }, target);
    for (let k = 0; k < 12; k++)
      for (let j = 0; j < 20; j++)
        for (let i = 0; i < 24; i++) {
          const [si, sj, sk] = [i, j, k].map((c) => expectedIndex(c / 2));
          const inside = si < 12 && sj < 10 && sk < 6;
          expect(out[voxelIndex(target, i, j, k)], `at ${i},${j},${k}`).toBe(inside ? code(si, sj, sk) : 0);
        }
  });

  it('the same on an oblique grid with a flipped axis (the rule is in source voxel indices)', () => {
    const c = Math.cos(0.5);
    const s = Math.sin(0.5);
    const dir: Mat3 = [
      [c, s, 0],
      [s, -c, 0],
      [0, 0, 1],
    ];
    const oblique: VolumeGeometry = { ...src, originLps: [-97.7, 33.3, 7], directionLps: dir };
    // target origin 3 source voxels along i and 2 along j (in LPS, along the rotated axes): source (3 + i/2, 2 + j/2, k/2)
    const originLps = [0, 1, 2].map((a) => oblique.originLps[a] + 3 * spacing[0] * dir[0][a] + 2 * spacing[1] * dir[1][a]) as Vec3;
    const target: VolumeGeometry = { dims: [24, 20, 12], spacingMm: spacing.map((x) => x / 2) as Vec3, originLps, directionLps: dir };
    expect(halfwaysBelow(oblique, target)).toBeGreaterThan(100);
    const out = resampleLabelsNearest({ ...oblique, labels }, target);
    for (let k = 0; k < 12; k++)
      for (let j = 0; j < 20; j++)
        for (let i = 0; i < 24; i++) {
          const [si, sj, sk] = [expectedIndex(3 + i / 2), expectedIndex(2 + j / 2), expectedIndex(k / 2)];
          const inside = si < 12 && sj < 10 && sk < 6;
          expect(out[voxelIndex(target, i, j, k)], `at ${i},${j},${k}`).toBe(inside ? code(si, sj, sk) : 0);
        }
  });

  it('states the rule once: nearestSourceIndex rounds half up and absorbs noise below 1e-9 voxel, not real offsets', () => {
    expect([2.5, 2.4999999999999996, 2.5000000000000004, -0.5, -0.5000000000001].map(nearestSourceIndex)).toEqual([3, 3, 3, 0, 0]);
    expect([2.4999, 2.49999999, -0.50001].map(nearestSourceIndex)).toEqual([2, 2, -1]);
  });

  it('keeps the array type: uint8 in, uint8 out (model output); uint16 in, uint16 out (NIfTI import)', () => {
    const target: VolumeGeometry = { ...src, originLps: [src.originLps[0] + 1, src.originLps[1], src.originLps[2]] };
    expect(resampleLabelsNearest({ ...src, labels: new Uint8Array(720) }, target)).toBeInstanceOf(Uint8Array);
    expect(resampleLabelsNearest({ ...src, labels: new Uint16Array(720) }, target)).toBeInstanceOf(Uint16Array);
  });
});

const NUMPY_MAP = `
import sys, json, numpy as np, nibabel as nib
img = nib.load(sys.argv[1]); seg = np.asarray(img.dataobj)
A = img.affine.copy(); A[:2] *= -1   # RAS -> LPS
q = json.loads(sys.stdin.read()); M = np.array(q['m']); dims = q['dims']
i, j, k = np.meshgrid(*[np.arange(d) for d in dims], indexing='ij')
ijk = np.stack([i.ravel(order='F'), j.ravel(order='F'), k.ravel(order='F'), np.ones(i.size)])
src = (np.linalg.inv(A) @ M @ ijk)[:3]
r = np.rint(src).astype(int)
seg[r[0], r[1], r[2]].astype('<u2').tofile(sys.argv[2])
print(json.dumps({'maxFrac': float(np.abs(src - r).max())}))
`;

describe('TotalSegmentator example_seg_dicom.nii.gz onto the imported example_ct_dicom', () => {
  it('lands voxel for voxel (numpy reference), liver on the right with liver-like HU, spleen on the left', async () => {
    const [stack] = stacksOf(path.join(DATA, 'totalsegmentator_example/example_ct_dicom'));
    const ct = await buildStack(stack);
    const segFile = path.join(DATA, 'totalsegmentator_example/example_seg_dicom.nii.gz');
    const seg = await readNiftiLabels(segFile);
    const onCt = resampleLabelsNearest(seg, ct);
    const rawFile = path.join(tempDir('labels'), 'ref.u16');
    const ref = JSON.parse(
      execFileSync(PYTHON, ['-c', NUMPY_MAP, segFile, rawFile], { input: JSON.stringify({ m: ijkToLpsMatrix(ct), dims: ct.dims }), encoding: 'utf8' }),
    ) as { maxFrac: number };
    // Same voxel centres: every CT voxel centre is a label voxel centre (to 1e-3 voxel).
    expect(ref.maxFrac).toBeLessThan(1e-3);
    const raw = readFileSync(rawFile);
    const refLabels = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(refLabels.length).toBe(onCt.length);
    let differing = 0;
    for (let p = 0; p < onCt.length; p++) if (onCt[p] !== refLabels[p]) differing++;
    expect(differing).toBe(0);

    const stats = (label: number): { n: number; meanHu: number; meanX: number } => {
      let n = 0;
      let hu = 0;
      let x = 0;
      const [nx, ny] = ct.dims;
      for (let p = 0; p < onCt.length; p++) {
        if (onCt[p] !== label) continue;
        n++;
        hu += ct.voxels[p];
        x += ijkToLps(ct, [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))])[0];
      }
      return { n, meanHu: hu / n, meanX: x / n };
    };
    const liver = stats(5);
    const spleen = stats(1);
    console.log(
      `liver ${liver.n} voxels, mean ${liver.meanHu.toFixed(1)} HU, mean LPS x ${liver.meanX.toFixed(1)}; spleen mean ${spleen.meanHu.toFixed(1)} HU, x ${spleen.meanX.toFixed(1)}`,
    );
    expect(liver.n).toBeGreaterThan(100000);
    expect(liver.meanHu).toBeGreaterThan(20);
    expect(liver.meanHu).toBeLessThan(200);
    expect(liver.meanX).toBeLessThan(0); // LPS x < 0 = patient's right
    expect(spleen.meanX).toBeGreaterThan(0);
    // Background in the outer band of the image (outside the body) is mostly air or outside the field of view.
    const [nx, ny, nz] = ct.dims;
    let band = 0;
    let air = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          if (i > 25 && i < nx - 26 && j > 25 && j < ny - 26) continue;
          const p = voxelIndex(ct, i, j, k);
          if (onCt[p] !== 0) continue;
          band++;
          if (ct.voxels[p] < -500) air++;
        }
      }
    }
    expect(air / band).toBeGreaterThan(0.9);
  });
});
