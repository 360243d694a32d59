// The CLI contract other issues rely on: `info --json` shape, exit codes, `import`, `convert`, usage errors.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ERROR_CODES } from '../../../shared/errors.js';
import { DATA_DIR } from '../../helpers/paths.js';
import { runCliCaptured } from '../../helpers/cli.js';

const DATA = DATA_DIR;
const CT_DIR = join(DATA, 'totalsegmentator_example/example_ct_dicom');

const cli = runCliCaptured;

describe('medseg CLI', () => {
  it('info --json prints exactly the contract fields for a CT series', async () => {
    const r = await cli(['info', CT_DIR, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['errors', 'series']);
    expect(out.errors).toEqual([]);
    expect(out.series).toHaveLength(1);
    const s = out.series[0];
    for (const key of [
      'seriesInstanceUid',
      'modality',
      'description',
      'files',
      'dims',
      'spacingMm',
      'originLps',
      'directionLps',
      'transferSyntaxes',
      'geometry',
    ]) {
      expect(s).toHaveProperty(key);
    }
    expect(s.modality).toBe('CT');
    expect(s.files).toBe(20);
    expect(s.dims).toEqual([512, 512, 20]);
    expect(s.transferSyntaxes).toEqual(['1.2.840.10008.1.2.4.90']);
    expect(s.geometry.status).toBe('ok');
    expect(s.directionLps).toHaveLength(3);
    // the header says 0.977 mm pixels (SOURCE.md), and positions step by 2 mm
    const ps = execFileSync('dcmdump', ['+P', '0028,0030', join(CT_DIR, execFileSync('ls', [CT_DIR], { encoding: 'utf8' }).split('\n')[0])], {
      encoding: 'utf8',
    });
    const [rowMm, colMm] = /\[([^\]]+)\]/.exec(ps)![1].split('\\').map(Number);
    expect(s.spacingMm[0]).toBeCloseTo(colMm, 6);
    expect(s.spacingMm[1]).toBeCloseTo(rowMm, 6);
    expect(s.spacingMm[2]).toBeCloseTo(2, 4);
  });

  it('info on a folder of odd files exits 0 and gives every failure a code from the closed set', async () => {
    const r = await cli(['info', join(DATA, 'pydicom_test_files_debian'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.series.length).toBeGreaterThan(0);
    expect(out.errors.length).toBeGreaterThan(0);
    for (const e of out.errors) {
      expect(ERROR_CODES).toContain(e.code);
      expect(typeof e.path).toBe('string');
      expect(e.message.length).toBeGreaterThan(10);
    }
  });

  it('exits non-zero when nothing readable was found, and 2 on usage errors', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'medseg-empty-'));
    expect((await cli(['info', empty, '--json'])).code).toBe(1);
    expect((await cli(['info'])).code).toBe(2);
    expect((await cli(['nonsense'])).code).toBe(2);
    expect((await cli(['info', CT_DIR, '--bogus-flag'])).code).toBe(2);
  });

  it('import --json and convert write a catalog entry and a NIfTI that nibabel reads with the same shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-cli-'));
    const imp = await cli(['import', CT_DIR, '--db', join(dir, 'c.db'), '--json']);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout).instancesAdded).toBe(20);
    const out = join(dir, 'ct.nii.gz');
    const conv = await cli(['convert', CT_DIR, '-o', out]);
    expect(conv.code).toBe(0);
    const shape = execFileSync(
      '/usr/bin/python3',
      ['-c', `import nibabel as nb; i = nb.load(${JSON.stringify(out)}); print(list(i.shape), i.get_data_dtype())`],
      {
        encoding: 'utf8',
      },
    ).trim();
    expect(shape).toBe('[512, 512, 20] int16');
  });
});
