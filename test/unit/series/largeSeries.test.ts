// A generated CT series (test/fixtures/make-large-series.py, smaller than the bench's 500 slices) loads to the same
// int16 volume from every transfer syntax, equal voxel for voxel to the stored values read independently by pydicom
// (slices ordered by position), and converts to a NIfTI that reads back to that volume.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { readNifti, writeNifti } from '../../../main/services/nifti/nifti.js';
import { ensureLargeSeries } from '../../helpers/largeSeries.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'large-series-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** HU of every voxel, i fastest, slices sorted by z: pydicom on the uncompressed files (no medseg code). */
function pydicomReference(dir: string): Int16Array {
  const out = path.join(tmp, 'ref.bin');
  const script = [
    'import os, sys, numpy as np, pydicom',
    'd = sys.argv[1]',
    'ds = [pydicom.dcmread(os.path.join(d, f)) for f in os.listdir(d)]',
    'ds.sort(key=lambda x: float(x.ImagePositionPatient[2]))',
    'v = np.stack([x.pixel_array.astype(np.int32) * int(x.RescaleSlope) + int(x.RescaleIntercept) for x in ds])',
    'v.astype("<i2").tofile(sys.argv[2])',
  ].join('\n');
  execFileSync('/usr/bin/python3', ['-c', script, dir, out]);
  const b = readFileSync(out);
  return new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2);
}

/** Voxels that differ (a length difference counts as all); typed-array toEqual is too slow at this size. */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('a generated CT series in three transfer syntaxes', () => {
  it('loads to one int16 volume equal to pydicom’s values, from uncompressed, J2K and JPEG-LS alike; NIfTI round trip exact', async () => {
    const series = ensureLargeSeries({ slices: 32, size: 256, syntaxes: ['raw', 'j2k', 'jls'] });
    const raw = await loadVolumeFromPath(series.dirs.raw);
    expect(raw.volume.dims).toEqual(series.dims);
    expect(raw.volume.spacingMm.map((v) => +v.toFixed(4))).toEqual([series.spacingMm, series.spacingMm, series.spacingMm]);
    expect(raw.geometry.status).toBe('ok');
    expect(raw.volume.voxels).toBeInstanceOf(Int16Array);
    const ref = pydicomReference(series.dirs.raw);
    expect(ref.length).toBe(raw.volume.voxels.length);
    expect(mismatches(ref, raw.volume.voxels)).toBe(0);
    // real anatomy, not a blank series: mostly soft tissue (the 205 mm field is inside the abdomen), and
    // neighbouring slices differ (a wrong slice order could not pass as right)
    let tissue = 0;
    for (const v of ref) if (v > -100 && v < 200) tissue++;
    expect(tissue).toBeGreaterThan(ref.length / 4);
    const slice = series.dims[0] * series.dims[1];
    for (const k of [0, 10, 30]) {
      let differ = 0;
      for (let p = 0; p < slice; p++) if (ref[k * slice + p] !== ref[(k + 1) * slice + p]) differ++;
      expect(differ, `slice ${k} vs ${k + 1}`).toBeGreaterThan(slice / 10);
    }

    for (const syntax of ['j2k', 'jls'] as const) {
      const other = await loadVolumeFromPath(series.dirs[syntax]);
      expect(other.volume.voxels, syntax).toBeInstanceOf(Int16Array);
      expect(mismatches(other.volume.voxels, raw.volume.voxels), syntax).toBe(0);
    }

    const file = path.join(tmp, 'out.nii.gz');
    await writeNifti(file, raw.volume, { geometry: raw.geometry });
    const back = await readNifti(file);
    expect(mismatches(back.volume.voxels, raw.volume.voxels)).toBe(0);
    expect(back.volume.dims).toEqual(raw.volume.dims);
  }, 120_000);
});
