// The ordered list of schema migrations; the array position + 1 is the schema version (PRAGMA user_version).
import type { Database } from 'better-sqlite3';
import * as m0001 from './0001-init.js';
import * as m0002 from './0002-measurements.js';
import * as m0003 from './0003-edits.js';
import * as m0004 from './0004-measurement-versions.js';
import * as m0005 from './0005-audit-log.js';
import * as m0006 from './0006-annotations.js';
import * as m0007 from './0007-planning-plans.js';
import * as m0008 from './0008-lesion-match-edits.js';
import * as m0009 from './0009-resection-regions.js';

export interface Migration {
  name: string;
  up: (db: Database) => void;
}

export const MIGRATIONS: Migration[] = [
  { name: '0001-init', up: m0001.up },
  { name: '0002-measurements', up: m0002.up },
  { name: '0003-edits', up: m0003.up },
  { name: '0004-measurement-versions', up: m0004.up },
  { name: '0005-audit-log', up: m0005.up },
  { name: '0006-annotations', up: m0006.up },
  { name: '0007-planning-plans', up: m0007.up },
  { name: '0008-lesion-match-edits', up: m0008.up },
  { name: '0009-resection-regions', up: m0009.up },
];
