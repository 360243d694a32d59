// The catalog database holds names, ids and birth dates: it is created owner-only (0600), its WAL files too, and a
// world-readable one from an older version is tightened on open. Checked with a permissive umask (022).
import { beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from '../../../main/db/database.js';

const modeOf = (f: string): number => statSync(f).mode & 0o777;
// A permissive umask, so the 0600 comes from the code and not from this machine's settings.
beforeAll(() => void process.umask(0o022));

describe('database file permissions', () => {
  it('creates the database and its -wal/-shm files 0600, and a new folder 0700', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-perm-')), 'nested');
    const file = path.join(dir, 'medseg.db');
    const db = openDatabase(file);
    db.prepare("INSERT INTO patients (patient_key, patient_id, name) VALUES ('k', 'P1', 'DOE^JANE')").run();
    expect(existsSync(`${file}-wal`)).toBe(true);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(f).toString(8), f).toBe('600');
    expect(modeOf(dir).toString(8)).toBe('700');
    db.close();
  });

  it('tightens a world-readable database left by an older version, keeping its data', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-perm-')), 'old.db');
    const old = new BetterSqlite3(file);
    old.exec('CREATE TABLE kept (x INTEGER)');
    old.exec('INSERT INTO kept VALUES (42)');
    old.close();
    chmodSync(file, 0o644);
    expect(modeOf(file).toString(8)).toBe('644');
    const db = openDatabase(file);
    expect(modeOf(file).toString(8)).toBe('600');
    expect(db.prepare('SELECT x FROM kept').get()).toEqual({ x: 42 });
    db.close();
  });
});
