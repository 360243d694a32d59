// Measurements are tied to the label-map version they were computed from, and lesions keep their numbers: through
// the method table (schemas checked both ways) on the real CT with the TotalSegmentator map and lesions painted on it.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import type { MethodOutput, RpcReply } from '../../../shared/ipc/contract.js';
import type { EditChange } from '../../../shared/ipc/contract-edit.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { DATA_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
type Measured = MethodOutput<'measure.segmentation'>;

let db: Database;
let table: ServiceTable;
let lesion = 0;
let liver = 0;
const SEG = 1;
const call = (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: () => undefined });
const result = async <T>(r: Promise<RpcReply<unknown>>): Promise<T> => {
  const reply = await r;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
};
const refusal = async (r: Promise<RpcReply<unknown>>): Promise<{ code: string; message: string }> => {
  const reply = await r;
  if (reply.ok) throw new Error('expected a refusal');
  return reply.error;
};
const sphere = (mode: 'paint' | 'erase', label: number, at: Vec3, radiusMm = 4) =>
  result<EditChange>(call('edit.stroke', { segmentationId: SEG, stroke: { kind: 'brush', mode, label, pathIjk: [at], radiusMm, shape: 'sphere' } }));
const measure = () => result<Measured>(call('measure.segmentation', { segmentationId: SEG, connectivity: 6 }));
/** Lesion number by the painted centre it contains (the voxel nearest each sphere's centre is its anchor). */
const idsByCentre = (m: Measured): Map<string, number> =>
  new Map(m.labels.find((l) => l.value === lesion)!.instances.map((i) => [i.anchorIjk.join(','), i.id]));

beforeAll(async () => {
  const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-measure-versions-')), 'cat.db');
  db = openDatabase(dbFile);
  table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
  await result(call('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] }));
  await result(
    call('segmentations.addFromNifti', { seriesId: 1, path: path.join(DATA, 'example_seg_dicom.nii.gz'), labelTablePath: path.join(DATA, 'labels_total.csv') }),
  );
  const state = await result<{ labels: { value: number; name: string }[] }>(call('edit.open', { segmentationId: SEG }));
  liver = state.labels.find((l) => l.name === 'liver')!.value;
  lesion = (
    await result<{ value: number }>(call('edit.createLabel', { segmentationId: SEG, label: { name: 'tumour', colorRgb: [250, 40, 40], kind: 'lesion' } }))
  ).value;
}, 120_000);

describe('measurements carry the label-map version; exports refuse stale figures', () => {
  it('a measurement of the never-edited map is version 0 and exports', async () => {
    const m = await measure();
    expect(m.labelMapVersion).toBe(0);
    const fresh = await result<MethodOutput<'measure.freshness'>>(call('measure.freshness', { segmentationId: SEG, runId: m.runId }));
    expect(fresh).toEqual({ runId: m.runId, labelMapVersion: 0, currentLabelMapVersion: 0, stale: false });
    const json = JSON.parse((await result<{ text: string }>(call('measure.export', { segmentationId: SEG, format: 'json' }))).text);
    expect(json.run).toMatchObject({ id: m.runId, labelMapVersion: 0 });
  });

  it('after a stroke the stored run is stale: export refuses with STALE_RESULT; undo makes it current again', async () => {
    const before = await measure();
    const liverBefore = before.labels.find((l) => l.value === liver)!.voxels;
    const s = await sphere('paint', liver, [60, 60, 10], 5);
    expect(s.changedVoxels).toBeGreaterThan(0);
    const fresh = await result<MethodOutput<'measure.freshness'>>(call('measure.freshness', { segmentationId: SEG, runId: before.runId }));
    expect(fresh).toMatchObject({ labelMapVersion: before.labelMapVersion, currentLabelMapVersion: s.version, stale: true });
    for (const format of ['csv', 'json']) {
      const err = await refusal(call('measure.export', { segmentationId: SEG, format }));
      expect(err.code).toBe('STALE_RESULT');
      expect(err.message).toMatch(/out of date.*edited since.*Measure again/);
    }
    // Back to the version measured: the figures describe the map again.
    await result(call('edit.undo', { segmentationId: SEG }));
    expect((await result<MethodOutput<'measure.freshness'>>(call('measure.freshness', { segmentationId: SEG, runId: before.runId }))).stale).toBe(false);
    expect((await result<{ text: string }>(call('measure.export', { segmentationId: SEG, format: 'csv' }))).text).toContain(',liver,');
    const redone = await result<EditChange>(call('edit.redo', { segmentationId: SEG }));
    expect((await refusal(call('measure.export', { segmentationId: SEG, format: 'csv' }))).code).toBe('STALE_RESULT');
    // The new measurement carries the new version, counts the stroke, and exports.
    const after = await measure();
    expect(after.labelMapVersion).toBe(redone.version);
    expect(after.labels.find((l) => l.value === liver)!.voxels).toBe(liverBefore + s.changedVoxels);
    const csv = (await result<{ text: string }>(call('measure.export', { segmentationId: SEG, format: 'csv' }))).text;
    const liverRow = csv.split('\r\n').find((l) => l.startsWith(`${liver},0,`))!;
    expect(liverRow.split(',')[4]).toBe(String(liverBefore + s.changedVoxels));
  });

  it('a run stored before versions were kept (NULL) counts as stale once the map was edited', async () => {
    const m = await measure();
    db.prepare('UPDATE measurement_runs SET label_map_version = NULL WHERE id = ?').run(m.runId);
    expect((await refusal(call('measure.export', { segmentationId: SEG, format: 'json' }))).message).toMatch(/unrecorded version/);
    await measure();
  });
});

describe('lesion numbers are stable across re-measurement and unrelated edits', () => {
  const A: Vec3 = [150, 300, 10];
  const B: Vec3 = [250, 300, 10];
  const C: Vec3 = [350, 300, 10];
  // Lower slice: first in scan order, so numbering by scan order would make it lesion 1 and shift the others.
  const D: Vec3 = [300, 200, 3];
  const key = (p: Vec3): string => p.join(',');

  it('first measurement numbers lesions in scan order; each anchor is its sphere centre', async () => {
    for (const p of [A, B, C]) await sphere('paint', lesion, p);
    const ids = idsByCentre(await measure());
    expect([...ids.keys()].sort()).toEqual([A, B, C].map(key).sort());
    expect([ids.get(key(A)), ids.get(key(B)), ids.get(key(C))]).toEqual([1, 2, 3]);
  });

  it('a new lesion earlier in scan order, an edit of another label and a removed lesion leave the others their numbers', async () => {
    await sphere('paint', lesion, D);
    let m = await measure();
    let ids = idsByCentre(m);
    expect(Object.fromEntries(ids)).toEqual({ [key(A)]: 1, [key(B)]: 2, [key(C)]: 3, [key(D)]: 4 });
    // The list is shown by number.
    expect(m.labels.find((l) => l.value === lesion)!.instances.map((i) => i.id)).toEqual([1, 2, 3, 4]);

    await sphere('paint', liver, [80, 80, 12], 6); // another label
    await sphere('erase', lesion, B, 6); // another lesion removed
    m = await measure();
    ids = idsByCentre(m);
    expect(Object.fromEntries(ids)).toEqual({ [key(A)]: 1, [key(C)]: 3, [key(D)]: 4 });
  });

  it('a lesion grown at its rim keeps its number; one drawn again where B was is B; a new one never takes a used number', async () => {
    const grown = await sphere('paint', lesion, [A[0] + 5, A[1], A[2]], 4);
    expect(grown.changedVoxels).toBeGreaterThan(0);
    await sphere('paint', lesion, B); // drawn again where B was: it holds B's earlier anchor
    const E: Vec3 = [250, 400, 10];
    await sphere('paint', lesion, E); // a new lesion
    const m = await measure();
    const inst = m.labels.find((l) => l.value === lesion)!.instances;
    const at = (p: Vec3) => inst.find((i) => Math.hypot(i.anchorIjk[0] - p[0], i.anchorIjk[1] - p[1], i.anchorIjk[2] - p[2]) < 4)!;
    expect(at(A).id).toBe(1);
    expect(at(A).voxels).toBeGreaterThan(at(C).voxels);
    expect(at(C).id).toBe(3);
    expect(at(D).id).toBe(4);
    expect(at(B).id).toBe(2);
    expect(at(E).id).toBe(5);
  });

  it('each instance carries its RECIST axes: end points on one axial slice through the lesion, lengths matching', async () => {
    const m = await measure();
    for (const i of m.labels.find((l) => l.value === lesion)!.instances) {
      const [l0, l1] = i.recistLongEndpointsLps!;
      const [s0, s1] = i.recistShortEndpointsLps!;
      expect(Math.hypot(l1[0] - l0[0], l1[1] - l0[1], l1[2] - l0[2])).toBeCloseTo(i.recistLongMm!, 6);
      // The short axis lies in the long axis' slice (same z on this axial series) and is perpendicular to it.
      expect(s0[2]).toBeCloseTo(l0[2], 6);
      expect(s1[2]).toBeCloseTo(l0[2], 6);
      expect(i.recistShortMm!).toBeGreaterThan(0);
      expect(i.recistShortMm!).toBeLessThanOrEqual(i.recistLongMm! + 1e-9);
    }
  });
});
