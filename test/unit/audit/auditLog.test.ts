// The hash-chained audit log on a real catalog: import (CLI), segmentation, named edit version, measurement and
// de-identification each append one entry; `medseg audit verify` finds a changed, removed or reordered entry.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/database.js';
import { readAuditLog, sha256Hex } from '../../../main/db/audit.js';
import { saveMeasurements } from '../../../main/db/measurements.js';
import { saveSegmentation } from '../../../main/db/segmentations.js';
import { openEditSession } from '../../../main/services/editing/session.js';
import { measureSegmentation } from '../../../main/services/measure/measure.js';
import { loadSeriesVolume } from '../../../main/services/series/volumes.js';
import { entryHashInput } from '../../../shared/domain/audit/chain.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { DATA_DIR } from '../../helpers/paths.js';

const CT = path.join(DATA_DIR, 'totalsegmentator_example/example_ct_dicom');
let dir: string;
let dbFile: string;

async function verify(file: string): Promise<{ code: number; out: { ok: boolean; entries: number; firstBadEntry: number | null } }> {
  const r = await runCliCaptured(['audit', 'verify', '--db', file, '--json']);
  return { code: r.code, out: JSON.parse(r.stdout) };
}

/** A copy of the verified log with one tampering done through plain SQLite, as someone with the file could. */
function tampered(name: string, sql: (raw: BetterSqlite3.Database) => void): string {
  const file = path.join(dir, `${name}.db`);
  copyFileSync(dbFile, file);
  const raw = new BetterSqlite3(file);
  sql(raw);
  raw.close();
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'medseg-audit-'));
  dbFile = path.join(dir, 'catalog.db');
  expect((await runCliCaptured(['import', CT, '--db', dbFile])).code).toBe(0);
  const db = openDatabase(dbFile);
  const seriesId = (db.prepare('SELECT id FROM series').get() as { id: number }).id;
  const { volume, geometry } = await loadSeriesVolume(db, seriesId);
  // Bone-ish voxels as one organ label, a real map on the real grid.
  const labels = new Uint8Array(volume.voxels.length);
  for (let n = 0; n < labels.length; n++) labels[n] = volume.voxels[n] > 300 ? 1 : 0;
  const labelMap: LabelMap = { ...volume, labels, table: [{ value: 1, name: 'bone', colorRgb: [240, 240, 200], kind: 'organ' }] } as unknown as LabelMap;
  const segId = saveSegmentation(db, { seriesId, source: 'classical', name: 'threshold 300', labelMap });
  const session = openEditSession(db, segId);
  session.nameVersion('checked');
  session.close();
  saveMeasurements(db, segId, measureSegmentation(volume, labelMap, geometry, { connectivity: 6 }), 0);
  db.close();
  expect((await runCliCaptured(['deid', CT, '-o', path.join(dir, 'deid'), '--db', dbFile])).code).toBe(0);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit log', () => {
  it('records import, segmentation, edit version, measurement and deid, chained, and verifies', async () => {
    const db = openDatabase(dbFile);
    const entries = readAuditLog(db);
    db.close();
    expect(entries.map((e) => e.action)).toEqual(['import', 'segmentation', 'edit-version', 'measurement', 'deid']);
    // Independent recomputation: each hash is SHA-256 of the entry's canonical text and the next entry holds it.
    for (let n = 0; n < entries.length; n++) {
      expect(entries[n].seq).toBe(n + 1);
      expect(entries[n].hash).toBe(sha256Hex(entryHashInput(entries[n])));
      expect(entries[n].prevHash).toBe(n === 0 ? '0'.repeat(64) : entries[n - 1].hash);
    }
    expect(JSON.parse(entries[4].details)).toMatchObject({ written: 20, shiftDates: false });
    expect(await verify(dbFile)).toEqual({ code: 0, out: { ok: true, entries: 5, firstBadEntry: null } });
  });

  it('a changed entry fails at that entry', async () => {
    const file = tampered('changed', (raw) => raw.prepare("UPDATE audit_log SET subject = 'segmentation 99' WHERE seq = 3").run());
    const r = await verify(file);
    expect(r.code).toBe(1);
    expect(r.out).toMatchObject({ ok: false, entries: 5, firstBadEntry: 3 });
  });

  it('a changed entry with its own hash recomputed fails at the next entry', async () => {
    const file = tampered('forged', (raw) => {
      const e = raw.prepare('SELECT seq, time, action, subject, details, prev_hash AS prevHash FROM audit_log WHERE seq = 2').get() as Parameters<
        typeof entryHashInput
      >[0];
      const forged = { ...e, details: '{"forged":true}' };
      raw.prepare('UPDATE audit_log SET details = ?, hash = ? WHERE seq = 2').run(forged.details, sha256Hex(entryHashInput(forged)));
    });
    expect((await verify(file)).out).toMatchObject({ ok: false, firstBadEntry: 3 });
  });

  it('a removed entry fails where it is missing; a removed last entry too', async () => {
    expect((await verify(tampered('removed', (raw) => raw.prepare('DELETE FROM audit_log WHERE seq = 2').run()))).out).toMatchObject({
      ok: false,
      entries: 4,
      firstBadEntry: 2,
    });
    expect((await verify(tampered('removedLast', (raw) => raw.prepare('DELETE FROM audit_log WHERE seq = 5').run()))).out).toMatchObject({
      ok: false,
      entries: 4,
      firstBadEntry: 5,
    });
  });

  it('two entries swapped fail at the first of them', async () => {
    const file = tampered('reordered', (raw) => {
      const cols = 'time, action, subject, details, prev_hash, hash';
      const a = raw.prepare(`SELECT ${cols} FROM audit_log WHERE seq = 3`).get() as Record<string, string>;
      const b = raw.prepare(`SELECT ${cols} FROM audit_log WHERE seq = 4`).get() as Record<string, string>;
      const put = raw.prepare('UPDATE audit_log SET time = ?, action = ?, subject = ?, details = ?, prev_hash = ?, hash = ? WHERE seq = ?');
      put.run(b.time, b.action, b.subject, b.details, b.prev_hash, b.hash, 3);
      put.run(a.time, a.action, a.subject, a.details, a.prev_hash, a.hash, 4);
    });
    expect((await verify(file)).out).toMatchObject({ ok: false, entries: 5, firstBadEntry: 3 });
  });
});
