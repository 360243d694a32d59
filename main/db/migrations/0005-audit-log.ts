// Version 5: the tamper-evident audit log. Each entry holds the hash of the previous one (shared/domain/audit/chain.ts);
// audit_head keeps the last (seq, hash) so that removing the newest entries also shows.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE audit_log (
      seq INTEGER PRIMARY KEY,
      time TEXT NOT NULL,
      action TEXT NOT NULL,
      subject TEXT NOT NULL,
      details TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;
    CREATE TABLE audit_head (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      seq INTEGER NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;
  `);
}
