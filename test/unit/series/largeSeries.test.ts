// A generated CT series (test/fixtures/make-large-series.py, smaller than the bench's 500 slices) loads to the same
// int16 volume from every transfer syntax, equal voxel for voxel to the stored values read independently by pydicom
// (slices ordered by position), and converts to a NIfTI that reads back to that volume.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { readNifti, writeNifti } from '../../../main/services/nifti/nifti.js';
import { ensureLargeSeries, mismatches, pydicomHuReference } from '../../helpers/largeSeries.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'large-series-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a generated CT series in three transfer syntaxes', () => {
  it('loads to one int16 volume equal to pydicom’s values, from uncompressed, J2K and JPEG-LS alike; NIfTI round trip exact', async () => {
    const series = ensureLargeSeries({ slices: 32, size: 256, syntaxes: ['raw', 'j2k', 'jls'] });
    const raw = await loadVolumeFromPath(series.dirs.raw);
    expect(raw.volume.dims).toEqual(series.dims);
    expect(raw.volume.spacingMm.map((v) => +v.toFixed(4))).toEqual([series.spacingMm, series.spacingMm, series.spacingMm]);
    expect(raw.geometry.status).toBe('ok');
    expect(raw.volume.voxels).toBeInstanceOf(Int16Array);
    const ref = pydicomHuReference(series.dirs.raw, path.join(tmp, 'ref.bin')).hu;
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
