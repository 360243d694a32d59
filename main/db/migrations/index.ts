// The ordered list of schema migrations; the array position + 1 is the schema version (PRAGMA user_version).
import type { Database } from 'better-sqlite3';
import * as m0001 from './0001-init.js';
import * as m0002 from './0002-measurements.js';
import * as m0003 from './0003-edits.js';
import * as m0004 from './0004-measurement-versions.js';
import * as m0006 from './0006-annotations.js';
import * as m0007 from './0007-planning-plans.js';

export interface Migration {
  name: string;
  up: (db: Database) => void;
}

export const MIGRATIONS: Migration[] = [
  { name: '0001-init', up: m0001.up },
  { name: '0002-measurements', up: m0002.up },
  { name: '0003-edits', up: m0003.up },
  { name: '0004-measurement-versions', up: m0004.up },
  // 0005 is assigned to another area; the order is fixed when the branches merge.
  { name: '0006-annotations', up: m0006.up },
  { name: '0007-planning-plans', up: m0007.up },
];
