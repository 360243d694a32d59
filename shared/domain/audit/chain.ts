// The audit log's hash chain, pure: the canonical encoding of an entry, and the walk that finds the first entry
// that does not verify (changed, removed or reordered). The hash function (SHA-256) is passed in by main.

export interface AuditEntry {
  /** 1, 2, 3 … with no gaps. */
  seq: number;
  /** ISO 8601 UTC. */
  time: string;
  /** import | segmentation | edit-version | measurement | export | deid … */
  action: string;
  /** What it was done to, e.g. 'segmentation 4', 'series 2', an output path. */
  subject: string;
  /** Canonical JSON (see canonicalJson). */
  details: string;
  prevHash: string;
  hash: string;
}

export type Sha256Hex = (text: string) => string;

/** The hash before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, no whitespace: one text per value, so one hash per entry. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The text an entry's hash is taken over: every field but the hash itself, the previous hash included. */
export function entryHashInput(e: Omit<AuditEntry, 'hash'>): string {
  return canonicalJson({ seq: e.seq, time: e.time, action: e.action, subject: e.subject, details: e.details, prevHash: e.prevHash });
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** seq of the first entry that does not verify (or that is missing), null when all do. */
  firstBadEntry: number | null;
  reason?: string;
}

/**
 * Walks the entries in stored order. An entry fails when its seq is not the next one (removed or reordered), its
 * prevHash is not the previous entry's hash, or its hash is not the hash of its own fields (changed). `head` is the
 * last (seq, hash) recorded at append time: a removed last entry shows there.
 */
export function verifyChain(entries: readonly AuditEntry[], sha256: Sha256Hex, head?: { seq: number; hash: string } | null): AuditVerification {
  let prev = GENESIS_HASH;
  for (let n = 0; n < entries.length; n++) {
    const e = entries[n];
    const expectedSeq = n + 1;
    const bad = (reason: string): AuditVerification => ({ ok: false, entries: entries.length, firstBadEntry: Math.min(e.seq, expectedSeq), reason });
    if (e.seq !== expectedSeq) return bad(e.seq > expectedSeq ? `entry ${expectedSeq} is missing` : `entry ${e.seq} is out of order`);
    if (e.prevHash !== prev) return bad(`entry ${e.seq} does not follow entry ${e.seq - 1} (previous hash differs: removed or reordered)`);
    if (sha256(entryHashInput(e)) !== e.hash) return bad(`entry ${e.seq} was changed (its hash does not match its content)`);
    prev = e.hash;
  }
  if (head) {
    const last = entries.at(-1);
    if (!last || last.seq !== head.seq || last.hash !== head.hash) {
      const missing = (last?.seq ?? 0) + 1;
      return {
        ok: false,
        entries: entries.length,
        firstBadEntry: Math.min(missing, head.seq),
        reason: `the log ends before entry ${head.seq} (last entries removed)`,
      };
    }
  }
  return { ok: true, entries: entries.length, firstBadEntry: null };
}
