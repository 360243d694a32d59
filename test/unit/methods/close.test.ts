// The service table's close() on the real CT: with a model run going and an edit session holding a pending
// snapshot, close() cancels the run (nothing stored), stores the snapshot, closes the DB; a reopened DB serves every
// edit. Also: edit.open after a CONFLICT reads the journal afresh, and edit sessions stay bounded.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { createEditingService } from '../../../main/methods/edit.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import type { RpcReply } from '../../../shared/ipc/contract.js';
import type { EditChange, EditState } from '../../../shared/ipc/contract-edit.js';
import { readCursor } from '../../../main/db/edits.js';
import { firstDifference, geometryOf, insertSegmentation } from '../../helpers/editFixture.js';
import { DATA_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
let dbFile: string;

const events: [string, Record<string, unknown>][] = [];
const caller =
  (table: ServiceTable) =>
  (method: string, input: unknown): Promise<RpcReply<unknown>> =>
    dispatch(table, method, input, { emit: (e, p) => void events.push([e, p as Record<string, unknown>]) });
const ok = async <T>(r: Promise<RpcReply<unknown>>): Promise<T> => {
  const reply = await r;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
};
const codeOf = async (r: Promise<RpcReply<unknown>>): Promise<string> => {
  const reply = await r;
  return reply.ok ? 'ok' : reply.error.code;
};
const stroke = (i: number, j: number, k: number, label: number) => ({
  kind: 'brush',
  mode: 'paint',
  label,
  pathIjk: [[i, j, k]],
  radiusMm: 4,
  shape: 'disc',
  plane: 'axial',
});
const count = (db: Database, sql: string): number => (db.prepare(sql).get() as { n: number }).n;

beforeAll(async () => {
  dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-close-')), 'cat.db');
  const table = createServiceTable({ db: openDatabase(dbFile), mode: 'http', appVersion: 'test' });
  const call = caller(table);
  await ok(call('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] }));
  await ok(
    call('segmentations.addFromNifti', { seriesId: 1, path: path.join(DATA, 'example_seg_dicom.nii.gz'), labelTablePath: path.join(DATA, 'labels_total.csv') }),
  );
  await table.close();
}, 120_000);

describe('service table close()', () => {
  it('cancels a running model job (stores nothing), stores pending edit snapshots, closes the DB; the edits survive', async () => {
    const db = openDatabase(dbFile);
    // Snapshot due after every stroke but only after a minute idle: pending when close() comes.
    const table = createServiceTable({ db, mode: 'http', appVersion: 'test', editSessions: { snapshotEvery: 1, snapshotIdleMs: 60_000 } });
    const call = caller(table);
    const segmentationsBefore = count(db, 'SELECT COUNT(*) AS n FROM segmentations');
    const state = await ok<EditState>(call('edit.open', { segmentationId: 1 }));
    const liver = state.labels.find((l) => l.name === 'liver')!.value;
    const painted = await ok<EditChange>(call('edit.stroke', { segmentationId: 1, stroke: stroke(30, 30, 7, liver) }));
    expect(painted.changedVoxels).toBeGreaterThan(0);
    const edited = (await table.readBinary('labelmap', 1)).bytes.slice();
    expect(count(db, 'SELECT COUNT(*) AS n FROM edit_snapshots')).toBe(0);

    const { jobId } = await ok<{ jobId: number }>(call('segment.start', { seriesId: 1, modelId: 'abdomen-ct', device: 'cpu' }));
    const t0 = Date.now();
    while (!events.some(([e, p]) => e === 'segment.progress' && p.jobId === jobId) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    expect(events.some(([e, p]) => e === 'segment.done' && p.jobId === jobId)).toBe(false); // still running

    await table.close();
    expect(events.find(([e, p]) => e === 'segment.done' && p.jobId === jobId)?.[1]).toMatchObject({ error: { code: 'CANCELLED' } });
    expect(db.open).toBe(false);
    expect(await codeOf(call('app.info', {}))).toBe('CANCELLED'); // nothing starts after close
    await table.close(); // idempotent

    const again = openDatabase(dbFile);
    expect(count(again, 'SELECT COUNT(*) AS n FROM segmentations')).toBe(segmentationsBefore);
    expect(count(again, 'SELECT COUNT(*) AS n FROM edit_snapshots WHERE segmentation_id = 1')).toBe(1);
    expect(readCursor(again, 1)).toBe(painted.version);
    const reopened = createServiceTable({ db: again, mode: 'http', appVersion: 'test' });
    expect(firstDifference((await reopened.readBinary('labelmap', 1)).bytes, edited)).toBe(-1);
    await reopened.close();
  }, 180_000);

  it('edit.open after a CONFLICT (two processes on one DB) reads the journal afresh instead of the stale session', async () => {
    const a = createServiceTable({ db: openDatabase(dbFile), mode: 'http', appVersion: 'test' });
    const b = createServiceTable({ db: openDatabase(dbFile), mode: 'http', appVersion: 'test' });
    const [callA, callB] = [caller(a), caller(b)];
    const opened = await ok<EditState>(callA('edit.open', { segmentationId: 1 }));
    const liver = opened.labels.find((l) => l.name === 'liver')!.value;
    await ok<EditState>(callB('edit.open', { segmentationId: 1 }));
    const byB = await ok<EditChange>(callB('edit.stroke', { segmentationId: 1, stroke: stroke(60, 30, 8, liver) }));
    expect(await codeOf(callA('edit.stroke', { segmentationId: 1, stroke: stroke(90, 30, 8, liver) }))).toBe('CONFLICT');
    const reopened = await ok<EditState>(callA('edit.open', { segmentationId: 1 }));
    expect(reopened.version).toBe(byB.version);
    expect(reopened.hasImageValues).toBe(true);
    const byA = await ok<EditChange>(callA('edit.stroke', { segmentationId: 1, stroke: stroke(90, 30, 8, liver) }));
    expect(byA.version).toBeGreaterThan(byB.version);
    // A's map has both strokes: B's (read from the journal) and its own.
    const fresh = createServiceTable({ db: openDatabase(dbFile), mode: 'http', appVersion: 'test' });
    expect(firstDifference((await a.readBinary('labelmap', 1)).bytes, (await fresh.readBinary('labelmap', 1)).bytes)).toBe(-1);
    await Promise.all([a.close(), b.close(), fresh.close()]);
  }, 120_000);

  it('keeps at most maxSessions edit sessions open, and a box read opens none that stays', async () => {
    const db = openDatabase(dbFile);
    const editing = createEditingService(db, { maxSessions: 2 });
    const ids = [0, 1, 2].map(() => insertSegmentation(db, geometryOf([8, 8, 4]), new Uint8Array(8 * 8 * 4)));
    for (const segmentationId of ids) await editing.methods['edit.open']({ segmentationId }, { emit: () => undefined });
    expect(editing.openSessions()).toBe(2);
    await editing.closeAll();
    expect(editing.openSessions()).toBe(0);
    const box = await editing.labelsInBox(ids[0], { minIjk: [0, 0, 0], maxIjk: [3, 3, 1] });
    expect(box.bytes.length).toBe(32);
    expect(editing.openSessions()).toBe(0);
    db.close();
  });
});
