// The audit log's SQL: append one hash-chained entry (in the caller's transaction when there is one), read the log.
import { createHash } from 'node:crypto';
import { canonicalJson, entryHashInput, GENESIS_HASH, verifyChain, type AuditEntry, type AuditVerification } from '../../shared/domain/audit/chain.js';
import type { Database } from './database.js';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface AuditAppend {
  action: string;
  subject: string;
  details?: unknown;
  time?: string;
}

/** Appends one entry chained to the last one; returns it. Runs in a transaction (a savepoint inside the caller's). */
export function appendAudit(db: Database, a: AuditAppend): AuditEntry {
  return db.transaction(() => {
    const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const base = {
      seq: (last?.seq ?? 0) + 1,
      time: a.time ?? new Date().toISOString(),
      action: a.action,
      subject: a.subject,
      details: canonicalJson(a.details ?? {}),
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const entry: AuditEntry = { ...base, hash: sha256Hex(entryHashInput(base)) };
    db.prepare('INSERT INTO audit_log (seq, time, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      entry.seq,
      entry.time,
      entry.action,
      entry.subject,
      entry.details,
      entry.prevHash,
      entry.hash,
    );
    db.prepare('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash').run(
      entry.seq,
      entry.hash,
    );
    return entry;
  })();
}

/** The log in stored order (rowid order: what a reader of the file sees, so a reordering is not hidden by sorting). */
export function readAuditLog(db: Database): AuditEntry[] {
  return (
    db.prepare('SELECT seq, time, action, subject, details, prev_hash, hash FROM audit_log ORDER BY rowid').all() as {
      seq: number;
      time: string;
      action: string;
      subject: string;
      details: string;
      prev_hash: string;
      hash: string;
    }[]
  ).map((r) => ({ seq: r.seq, time: r.time, action: r.action, subject: r.subject, details: r.details, prevHash: r.prev_hash, hash: r.hash }));
}

export function verifyAuditLog(db: Database): AuditVerification {
  const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  return verifyChain(readAuditLog(db), sha256Hex, head ?? null);
}
