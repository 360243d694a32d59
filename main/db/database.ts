// Opens the catalog database: owner-only file (0600), WAL, foreign keys, migrations against PRAGMA user_version,
// refusal of newer DBs.
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { MIGRATIONS } from './migrations/index.js';

export type { Database };

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(file: string): Database {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    ownerOnly(file);
  }
  let db: Database;
  try {
    db = new BetterSqlite3(file);
  } catch (err) {
    throw new AppError('IO_ERROR', `Cannot open the database ${file}: ${(err as Error).message}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * The database holds names, ids and birth dates: it is created 0600 (SQLite gives its -wal and -shm files the main
 * file's mode), and one left group/world-readable by an older version is tightened.
 */
function ownerOnly(file: string): void {
  try {
    if (!existsSync(file)) closeSync(openSync(file, 'wx', 0o600));
    const uid = process.getuid?.();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      if (!existsSync(f)) continue;
      const info = statSync(f);
      // Only our own files: someone else's database is theirs to protect (and chmod would fail).
      if ((info.mode & 0o077) !== 0 && (uid === undefined || info.uid === uid)) chmodSync(f, 0o600);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // created by another process just now
    throw new AppError('IO_ERROR', `Cannot create the database ${file} readable by its owner only: ${(err as Error).message}`);
  }
}

function migrate(db: Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new AppError(
      'DB_FROM_NEWER_VERSION',
      `The database ${file} was written by a newer medseg (schema ${current}; this version knows up to ${SCHEMA_VERSION}). ` +
        'Update medseg or open another database with --db; nothing was changed.',
    );
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    const migration = MIGRATIONS[v];
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
