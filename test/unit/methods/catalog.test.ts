// The method table over a real catalog: import the CT series, add the TotalSegmentator NIfTI label map (moved onto
// the series grid through LPS) and read voxels and labels back as bytes; reference from pydicom + nibabel.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { parseLabelTable } from '../../../shared/domain/labelTable.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import type { RpcReply } from '../../../shared/ipc/contract.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
interface Reference {
  samples: { ijk: [number, number, number]; label: number }[];
  liverVoxels: number;
  ctValue: { ijk: [number, number, number]; value: number };
}

let table: ServiceTable;
let ref: Reference;
const events: unknown[] = [];
const call = async (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: (e, p) => void events.push([e, p]) });
const result = <T>(r: RpcReply<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.result as T;
};

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'medseg-methods-'));
  table = createServiceTable({ db: openDatabase(path.join(dir, 'cat.db')), mode: 'http', appVersion: 'test' });
  ref = JSON.parse(execFileSync('/usr/bin/python3', [`${REPO_DIR}/test/reference/methodsReference.py`, DATA], { encoding: 'utf8' })) as Reference;
});

describe('method table implementation', () => {
  it('refuses relative and missing import paths before reading anything', async () => {
    const rel = await call('import.paths', { paths: ['data/ct'] });
    expect(rel.ok || rel.error.code).toBe('INVALID_INPUT');
    const missing = await call('import.paths', { paths: ['/no/such/folder'] });
    expect(missing.ok || missing.error.code).toBe('NOT_FOUND');
    const unknown = await call('segmentations.list', { seriesId: 99 });
    expect(unknown.ok || unknown.error.code).toBe('NOT_FOUND');
    const noPicker = await call('dialog.pickPaths', { kind: 'files' });
    expect(noPicker.ok || noPicker.error.code).toBe('INVALID_INPUT');
  });

  it('imports with progress events, lists the series, and serves its voxels as int16 bytes equal to pydicom', async () => {
    const summary = result<{ filesSeen: number; seriesIds: number[] }>(await call('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] }));
    expect(summary).toMatchObject({ filesSeen: 20, seriesIds: [1] });
    expect(events.at(-1)).toEqual(['import.progress', expect.objectContaining({ filesDone: 20, filesTotal: 20 })]);
    const cat = result<{ patients: { studies: { series: { seriesId: number; dims: number[]; geometry: { status: string } }[] }[] }[] }>(
      await call('catalog.list', {}),
    );
    expect(cat.patients[0].studies[0].series[0]).toMatchObject({ seriesId: 1, dims: [512, 512, 20], geometry: { status: 'ok' } });
    const info = result<{ dims: number[]; dtype: string; spacingMm: number[] }>(await call('volume.info', { seriesId: 1 }));
    expect(info).toMatchObject({ dims: [512, 512, 20], dtype: 'int16', spacingMm: [0.9765625, 0.9765625, 2] });
    const bin = await table.readBinary('volume', 1);
    const voxels = new Int16Array(bin.bytes.buffer, bin.bytes.byteOffset, bin.bytes.byteLength / 2);
    const [i, j, k] = ref.ctValue.ijk;
    expect(voxels[i + 512 * (j + 512 * k)]).toBe(ref.ctValue.value);
  });

  it('adds a NIfTI label map onto the series grid through LPS, with names from the label table', async () => {
    const added = result<{ segmentationId: number; source: string; labels: { value: number; name: string; voxels?: number }[] }>(
      await call('segmentations.addFromNifti', {
        seriesId: 1,
        path: path.join(DATA, 'example_seg_dicom.nii.gz'),
        labelTablePath: path.join(DATA, 'labels_total.csv'),
      }),
    );
    expect(added.source).toBe('import');
    expect(added.labels.find((l) => l.value === 5)).toMatchObject({ name: 'liver', voxels: ref.liverVoxels });
    const bin = await table.readBinary('labelmap', added.segmentationId);
    expect(bin.dtype).toBe('uint8');
    expect(bin.bytes.length).toBe(512 * 512 * 20);
    const mismatches = ref.samples.filter((s) => bin.bytes[s.ijk[0] + 512 * (s.ijk[1] + 512 * s.ijk[2])] !== s.label);
    expect(mismatches).toEqual([]);
    expect(ref.samples.filter((s) => s.label === 5).length).toBeGreaterThanOrEqual(50);
    const listed = result<{ segmentations: { segmentationId: number }[] }>(await call('segmentations.list', { seriesId: 1 }));
    expect(listed.segmentations.map((l) => l.segmentationId)).toEqual([added.segmentationId]);
    // The file stores the rows flipped (another grid of the same voxels): resampled, and the result says so.
    expect((added as unknown as { warnings: { code: string }[] }).warnings.map((w) => w.code)).toEqual(['LABELMAP_RESAMPLED']);
    // The 3 mm whole-abdomen map lies elsewhere in patient space: said so (no silent empty map), with the file's unit finding.
    const away = result<{ warnings: { code: string }[] }>(
      await call('segmentations.addFromNifti', { seriesId: 1, path: path.join(DATA, 'example_seg.nii.gz') }),
    );
    expect(away.warnings.map((w) => w.code)).toEqual(['LABELMAP_RESAMPLED', 'LABELMAP_NO_OVERLAP', 'NIFTI_UNITS_UNKNOWN']);
  });

  it('refuses a label file that is not a label map and a label table without entries', async () => {
    const ct = await call('segmentations.addFromNifti', { seriesId: 1, path: path.join(DATA, 'example_ct_sm.nii.gz') });
    expect(ct.ok || ct.error.code).toBe('INVALID_INPUT');
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-table-'));
    writeFileSync(path.join(dir, 'empty.csv'), 'value,name\n');
    const empty = await call('segmentations.addFromNifti', {
      seriesId: 1,
      path: path.join(DATA, 'example_seg_dicom.nii.gz'),
      labelTablePath: path.join(dir, 'empty.csv'),
    });
    expect(empty.ok || empty.error.code).toBe('INVALID_INPUT');
    expect(parseLabelTable('value,name\n5,liver,200,10,20\n7,pancreas\n').get(5)).toEqual({ name: 'liver', colorRgb: [200, 10, 20] });
  });
});
