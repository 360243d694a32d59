// Opens the catalog database: WAL, foreign keys, migrations against PRAGMA user_version, refusal of newer DBs.
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { MIGRATIONS } from './migrations/index.js';

export type { Database };

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(file: string): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
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
