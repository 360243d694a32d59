// The ordered list of schema migrations; the array position + 1 is the schema version (PRAGMA user_version).
import type { Database } from 'better-sqlite3';
import * as m0001 from './0001-init.js';

export interface Migration {
  name: string;
  up: (db: Database) => void;
}

export const MIGRATIONS: Migration[] = [{ name: '0001-init', up: m0001.up }];
