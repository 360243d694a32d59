// bodycomp.compute through the method table on the TotalSegmentator example written as a DICOM series
// (test/fixtures/make-dicom-series-from-nifti.py): the tissue_types masks and the 41-organ map stored as segmentations
// of the series give the JSON of `medseg bodycomp` on the same series and files (same voxels, volumes, areas and HU;
// positions to 1e-5 mm, see expectSameReport); refusals carry their codes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/adapters/dispatch.js';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import { readNamedLabels } from '../../../main/services/measure/bodyComposition.js';
import { readNiftiLabels, writeNifti } from '../../../main/services/nifti/nifti.js';
import { parseLabelTable } from '../../../shared/domain/labelTable.js';
import type { MethodOutput, RpcReply } from '../../../shared/ipc/contract.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { REPO_DIR, TS_DIR } from '../../helpers/measureHelpers.js';

const TISSUES = path.join(TS_DIR, 'example_seg_tissue_types');
const SEG = path.join(TS_DIR, 'example_seg.nii.gz');
const NAMES = path.join(TS_DIR, 'labels_total.csv');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-bodycomp-method-'));
const CT_DICOM = path.join(tmp, 'ct');

let db: Database;
let table: ServiceTable;
let seriesId: number;
let tissuesId: number;
let vertebraeId: number;
const call = (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: () => undefined });
const result = async <T>(r: Promise<RpcReply<unknown>>): Promise<T> => {
  const reply = await r;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
};
const codeOf = async (r: Promise<RpcReply<unknown>>): Promise<string> => {
  const reply = await r;
  return reply.ok ? 'ok' : reply.error.code;
};

/**
 * Equal structure, strings, counts and flags; mm positions to 1e-5 mm: the CLI takes S positions from the maps' NIfTI
 * grid (94.3017578125), the app from the series' grid, whose DICOM positions were written with 6 decimals (94.301758).
 */
function expectSameReport(a: unknown, b: unknown, where = 'report'): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b)) expect(a, where).toBe(b);
    else expect(Math.abs(a - b), `${where}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-5);
    return;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return void expect(a, where).toEqual(b);
  expect(Object.keys(a).sort(), where).toEqual(Object.keys(b).sort());
  for (const key of Object.keys(a)) expectSameReport((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${where}.${key}`);
}

async function cli(...args: string[]) {
  const r = await runCliCaptured(['bodycomp', CT_DICOM, '--tissues', TISSUES, '--vertebrae', SEG, '--vertebra-names', NAMES, '--json', ...args]);
  return { ...r, json: r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : null };
}

beforeAll(async () => {
  execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/fixtures/make-dicom-series-from-nifti.py'), path.join(TS_DIR, 'example_ct_sm.nii.gz'), CT_DICOM]);
  // the three masks as one tissue map with its names (the app stores label maps, not folders of masks)
  const merged = await readNamedLabels(TISSUES);
  const tissuesNii = path.join(tmp, 'tissues.nii.gz');
  await writeNifti(tissuesNii, { ...merged.grid, voxels: merged.grid.labels }, { labels: true, geometry: merged.geometryReport });
  const tissueNames = path.join(tmp, 'tissues.csv');
  writeFileSync(tissueNames, [...merged.names].map(([v, n]) => `${v},${n}`).join('\n') + '\n');
  db = openDatabase(path.join(tmp, 'cat.db'));
  table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
  seriesId = (await result<{ seriesIds: number[] }>(call('import.paths', { paths: [CT_DICOM] }))).seriesIds[0]!;
  const add = (p: string, labelTablePath: string) =>
    result<MethodOutput<'segmentations.addFromNifti'>>(call('segmentations.addFromNifti', { seriesId, path: p, labelTablePath }));
  vertebraeId = (await add(SEG, NAMES)).segmentationId;
  tissuesId = (await add(tissuesNii, tissueNames)).segmentationId;
}, 120_000);

afterAll(() => db?.close());

describe('bodycomp.compute', () => {
  it('equals `medseg bodycomp --json` on the same series and maps, for a level and for a slice index', async () => {
    for (const [slice, arg] of [
      [{ level: 'L1' }, 'L1'],
      [{ level: 'vertebrae_T12' }, 'T12'],
      [{ k: 12 }, '12'],
    ] as const) {
      const m = await result<MethodOutput<'bodycomp.compute'>>(
        call('bodycomp.compute', { seriesId, tissuesSegmentationId: tissuesId, vertebraeSegmentationId: vertebraeId, slice }),
      );
      const c = await cli('--slice', arg);
      expect(c.code, c.stderr).toBe(0);
      const { provenance, ...report } = m;
      // The CLI's `tissuesFrom` names a model that made the tissue masks: none here (stored maps given).
      const { tissuesFrom, ...cliReport } = c.json as Record<string, unknown>;
      expect(tissuesFrom).toBeNull();
      expectSameReport(report, cliReport);
      expect(provenance).toEqual({
        tissuesSegmentationId: tissuesId,
        tissuesLabelMapVersion: 0,
        vertebraeSegmentationId: vertebraeId,
        vertebraeLabelMapVersion: 0,
      });
    }
    const m = await result<MethodOutput<'bodycomp.compute'>>(
      call('bodycomp.compute', { seriesId, tissuesSegmentationId: tissuesId, vertebraeSegmentationId: vertebraeId, slice: { level: 'L1' } }),
    );
    // the real numbers: the four levels the scan reaches, three tissues each, L1's slice with dense muscle and fat
    expect(m.geometryStatus).toBe('ok');
    expect(m.intensityUnit).toBe('HU');
    expect(m.levels.map((l) => l.level)).toEqual(['T11', 'T12', 'L1', 'L2']);
    expect(m.slice.level).toBe('L1');
    expect(m.slice.tissues.map((t) => t.name)).toEqual(['skeletal_muscle', 'subcutaneous_fat', 'torso_fat']);
    expect(m.slice.tissues[0]!.meanHu).toBeGreaterThan(0);
    expect(m.slice.tissues[1]!.meanHu).toBeLessThan(-50);
    expect(m.levels[2]!.tissues[0]!.volumeMl).toBeGreaterThan(10);
  }, 120_000);

  it('one map holding both (vertebra-named labels = levels, the others = tissues) gives the figures of the two maps', async () => {
    // merged: the vertebrae of the 41-organ map, and the tissues (values 201..203) wherever no vertebra is
    const seg = await readNiftiLabels(SEG);
    const names = parseLabelTable(readFileSync(NAMES, 'utf8'));
    const isVertebra = new Uint8Array(256);
    for (const [v, row] of names) if (/^vertebrae_/.test(row.name)) isVertebra[v] = 1;
    const tissues = await readNamedLabels(TISSUES);
    const merged = new Uint8Array(seg.labels.length);
    const tissuesOnly = new Uint8Array(seg.labels.length);
    for (let p = 0; p < merged.length; p++) {
      if (isVertebra[seg.labels[p]!]) merged[p] = seg.labels[p]!;
      else if (tissues.grid.labels[p] !== 0) merged[p] = tissuesOnly[p] = 200 + tissues.grid.labels[p]!;
    }
    const tissueRows = [...tissues.names].map(([v, n]) => `${200 + v},${n}`);
    const vertebraRows = [...names].filter(([v]) => isVertebra[v]).map(([v, row]) => `${v},${row.name}`);
    const store = async (labels: Uint8Array, rows: string[], name: string): Promise<number> => {
      const file = path.join(tmp, `${name}.nii.gz`);
      await writeNifti(file, { ...tissues.grid, voxels: labels }, { labels: true, geometry: tissues.geometryReport });
      writeFileSync(path.join(tmp, `${name}.csv`), rows.join('\n') + '\n');
      const added = await result<MethodOutput<'segmentations.addFromNifti'>>(
        call('segmentations.addFromNifti', { seriesId, path: file, labelTablePath: path.join(tmp, `${name}.csv`) }),
      );
      return added.segmentationId;
    };
    const mergedId = await store(merged, [...vertebraRows, ...tissueRows], 'merged');
    const tissuesOnlyId = await store(tissuesOnly, tissueRows, 'tissues-only');
    const slice = { level: 'L1' };
    const one = await result<MethodOutput<'bodycomp.compute'>>(call('bodycomp.compute', { seriesId, tissuesSegmentationId: mergedId, slice }));
    const two = await result<MethodOutput<'bodycomp.compute'>>(
      call('bodycomp.compute', { seriesId, tissuesSegmentationId: tissuesOnlyId, vertebraeSegmentationId: vertebraeId, slice }),
    );
    expect(one.provenance).toMatchObject({ tissuesSegmentationId: mergedId, vertebraeSegmentationId: mergedId });
    const { provenance: _a, ...oneReport } = one;
    const { provenance: _b, ...twoReport } = two;
    expect(oneReport).toEqual(twoReport);
    expect(one.slice.tissues.map((t) => t.name)).toEqual(['skeletal_muscle', 'subcutaneous_fat', 'torso_fat']);
    expect(one.levels.map((l) => l.level)).toEqual(['T11', 'T12', 'L1', 'L2']);
  }, 120_000);

  it('refusals carry the codes of the CLI: no L3 (NOT_FOUND), a slice outside the scan, a map of no vertebrae, a foreign series', async () => {
    const base = { seriesId, tissuesSegmentationId: tissuesId, vertebraeSegmentationId: vertebraeId };
    const noL3 = await cli();
    expect((noL3.json as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect(await codeOf(call('bodycomp.compute', base))).toBe('NOT_FOUND');
    expect(await codeOf(call('bodycomp.compute', { ...base, slice: { k: 99 } }))).toBe('INVALID_INPUT');
    // the tissue map alone has no vertebra-named label
    expect(await codeOf(call('bodycomp.compute', { seriesId, tissuesSegmentationId: tissuesId }))).toBe('NOT_FOUND');
    expect(await codeOf(call('bodycomp.compute', { ...base, seriesId: seriesId + 1 }))).not.toBe('ok');
    expect(await codeOf(call('bodycomp.compute', { ...base, slice: { level: 'liver' } }))).toBe('INVALID_INPUT');
  }, 60_000);
});
