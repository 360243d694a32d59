// One NIfTI + one label table classify the same through `medseg measure --labels` and the method table's
// segmentations.addFromNifti: same values, names and kinds (organ, lesion by name, other when unnamed).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import { runCli } from '../../../main/headless/cli.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import { DATA_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
const CT_DICOM = path.join(DATA, 'example_ct_dicom');
const SEG = path.join(DATA, 'example_seg_dicom.nii.gz');

interface KindRow {
  value: number;
  name: string;
  kind: string;
}

let dir: string;
let tablePath: string;
let table: ServiceTable;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'medseg-label-kinds-'));
  // TotalSegmentator's table with stomach (6) renamed like a lesion and pancreas (7) left out (unnamed).
  const lines = readFileSync(path.join(DATA, 'labels_total.csv'), 'utf8')
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('7,'))
    .map((l) => (l.startsWith('6,') ? '6,stomach_tumour' : l));
  tablePath = path.join(dir, 'labels.csv');
  writeFileSync(tablePath, lines.join('\n'));
  table = createServiceTable({ db: openDatabase(path.join(dir, 'cat.db')), mode: 'http', appVersion: 'test' });
});

const byValue = (rows: KindRow[]): Map<number, { name: string; kind: string }> => new Map(rows.map((r) => [r.value, { name: r.name, kind: r.kind }]));

describe('label kinds', () => {
  it('are the same through the CLI and through the method table', async () => {
    let out = '';
    const code = await runCli(['measure', CT_DICOM, '--labels', SEG, '--label-names', tablePath, '--json'], {
      stdout: (s) => void (out += s),
      stderr: () => {},
    });
    expect(code).toBe(0);
    const cli = byValue((JSON.parse(out) as { labels: (KindRow & { voxels: number })[] }).labels.filter((l) => l.voxels > 0));

    const emit = (): void => {};
    const imported = await dispatch(table, 'import.paths', { paths: [CT_DICOM] }, { emit });
    expect(imported.ok).toBe(true);
    const added = await dispatch(table, 'segmentations.addFromNifti', { seriesId: 1, path: SEG, labelTablePath: tablePath }, { emit });
    if (!added.ok) throw new Error(`${added.error.code}: ${added.error.message}`);
    const app = byValue((added.result as { labels: KindRow[] }).labels);

    expect([...app.keys()].length).toBeGreaterThan(20);
    expect(cli).toEqual(app);
    expect(app.get(5)).toEqual({ name: 'liver', kind: 'organ' });
    expect(app.get(6)).toEqual({ name: 'stomach_tumour', kind: 'lesion' });
    expect(app.get(7)).toEqual({ name: 'label 7', kind: 'other' });
  });
});
