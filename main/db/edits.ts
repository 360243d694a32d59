// The edit journal repository: stroke deltas (rle1, deflated), the cursor, snapshots, named versions, and the
// per-label voxel counts kept in step with the journal. Callers group these calls in one transaction per edit.
import { deflateSync, inflateSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.js';
import { decodeDelta, encodeDelta, type LabelArray, type LabelDelta } from '../../shared/domain/editing/delta.js';
import type { LabelInfo } from '../../shared/domain/labelMap.js';
import { appendAudit } from './audit.js';

export interface JournalNode {
  seq: number;
  parentSeq: number;
  depth: number;
  enteredTick: number;
  hasSnapshot: boolean;
}

export interface JournalState {
  cursorSeq: number;
  tick: number;
  nodes: JournalNode[];
}

export interface EditVersion {
  id: number;
  seq: number;
  name: string;
  createdAt: string;
}

export interface NewStrokeRow {
  seq: number;
  parentSeq: number;
  depth: number;
  enteredTick: number;
  kind: string;
  params: unknown;
  delta: LabelDelta;
}

/** Creates the journal row (cursor at the stored map) if the segmentation has none yet. */
export function ensureJournal(db: Database, segmentationId: number): void {
  db.prepare('INSERT OR IGNORE INTO edit_journals (segmentation_id, cursor_seq, tick, created_at) VALUES (?, 0, 0, ?)').run(
    segmentationId,
    new Date().toISOString(),
  );
}

/** The journal's cursor and stroke tree, or null when the segmentation was never edited. */
export function readJournal(db: Database, segmentationId: number): JournalState | null {
  const j = db.prepare('SELECT cursor_seq, tick FROM edit_journals WHERE segmentation_id = ?').get(segmentationId) as
    { cursor_seq: number; tick: number } | undefined;
  if (!j) return null;
  const rows = db
    .prepare(
      `SELECT s.seq, s.parent_seq, s.depth, s.entered_tick, (p.seq IS NOT NULL) AS has_snapshot
       FROM edit_strokes s LEFT JOIN edit_snapshots p ON p.segmentation_id = s.segmentation_id AND p.seq = s.seq
       WHERE s.segmentation_id = ? ORDER BY s.seq`,
    )
    .all(segmentationId) as { seq: number; parent_seq: number; depth: number; entered_tick: number; has_snapshot: number }[];
  return {
    cursorSeq: j.cursor_seq,
    tick: j.tick,
    nodes: rows.map((r) => ({ seq: r.seq, parentSeq: r.parent_seq, depth: r.depth, enteredTick: r.entered_tick, hasSnapshot: r.has_snapshot === 1 })),
  };
}

export function readCursor(db: Database, segmentationId: number): number {
  const row = db.prepare('SELECT cursor_seq FROM edit_journals WHERE segmentation_id = ?').get(segmentationId) as { cursor_seq: number } | undefined;
  if (!row) throw new AppError('NOT_FOUND', `Segmentation ${segmentationId} has no edit journal.`);
  return row.cursor_seq;
}

export function setCursor(db: Database, segmentationId: number, cursorSeq: number, tick: number): void {
  db.prepare('UPDATE edit_journals SET cursor_seq = ?, tick = ? WHERE segmentation_id = ?').run(cursorSeq, tick, segmentationId);
}

export function markEntered(db: Database, segmentationId: number, seq: number, tick: number): void {
  db.prepare('UPDATE edit_strokes SET entered_tick = ? WHERE segmentation_id = ? AND seq = ?').run(tick, segmentationId, seq);
}

/** Inserts the stroke; returns the bytes its delta takes in the database. */
export function insertStroke(db: Database, segmentationId: number, row: NewStrokeRow): number {
  const blob = deflateSync(encodeDelta(row.delta), { level: 6 });
  db.prepare(
    `INSERT INTO edit_strokes (segmentation_id, seq, parent_seq, depth, entered_tick, kind, params_json, changed_voxels,
       delta_encoding, delta_blob, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'rle1-deflate', ?, ?)`,
  ).run(
    segmentationId,
    row.seq,
    row.parentSeq,
    row.depth,
    row.enteredTick,
    row.kind,
    JSON.stringify(row.params),
    row.delta.indices.length,
    blob,
    new Date().toISOString(),
  );
  return blob.byteLength;
}

export function readDelta(db: Database, segmentationId: number, seq: number): LabelDelta {
  const row = db.prepare('SELECT delta_encoding, delta_blob FROM edit_strokes WHERE segmentation_id = ? AND seq = ?').get(segmentationId, seq) as
    { delta_encoding: string; delta_blob: Buffer } | undefined;
  if (!row) throw new AppError('NOT_FOUND', `Segmentation ${segmentationId} has no stroke ${seq} in its edit journal.`);
  if (row.delta_encoding !== 'rle1-deflate') throw new AppError('IO_ERROR', `Stroke ${seq} has an unknown delta encoding ${row.delta_encoding}.`);
  const raw = inflateSync(row.delta_blob);
  return decodeDelta(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
}

export type SnapshotEncoding = 'deflate-u8' | 'deflate-u16';

export function snapshotEncodingOf(labels: LabelArray): SnapshotEncoding {
  return labels instanceof Uint8Array ? 'deflate-u8' : 'deflate-u16';
}

/** Stores an already deflated full label map as the snapshot at stroke seq. */
export function writeSnapshot(db: Database, segmentationId: number, seq: number, encoding: SnapshotEncoding, blob: Uint8Array): void {
  db.prepare('INSERT OR REPLACE INTO edit_snapshots (segmentation_id, seq, label_encoding, labels_blob, created_at) VALUES (?, ?, ?, ?, ?)').run(
    segmentationId,
    seq,
    encoding,
    blob,
    new Date().toISOString(),
  );
}

export function readSnapshot(db: Database, segmentationId: number, seq: number, voxelCount: number): LabelArray {
  const row = db.prepare('SELECT label_encoding, labels_blob FROM edit_snapshots WHERE segmentation_id = ? AND seq = ?').get(segmentationId, seq) as
    { label_encoding: 'deflate-u8' | 'deflate-u16'; labels_blob: Buffer } | undefined;
  if (!row) throw new AppError('NOT_FOUND', `No snapshot at stroke ${seq} of segmentation ${segmentationId}.`);
  const raw = inflateSync(row.labels_blob);
  const labels =
    row.label_encoding === 'deflate-u8'
      ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength).slice()
      : new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (labels.length !== voxelCount) throw new AppError('IO_ERROR', `Snapshot ${seq} of segmentation ${segmentationId} is damaged.`);
  return labels;
}

export function insertVersion(db: Database, segmentationId: number, seq: number, name: string): EditVersion {
  const createdAt = new Date().toISOString();
  const info = db.prepare('INSERT INTO edit_versions (segmentation_id, seq, name, created_at) VALUES (?, ?, ?, ?)').run(segmentationId, seq, name, createdAt);
  appendAudit(db, { action: 'edit-version', subject: `segmentation ${segmentationId}`, details: { versionId: Number(info.lastInsertRowid), seq, name } });
  return { id: Number(info.lastInsertRowid), seq, name, createdAt };
}

export function listVersions(db: Database, segmentationId: number): EditVersion[] {
  return (
    db.prepare('SELECT id, seq, name, created_at FROM edit_versions WHERE segmentation_id = ? ORDER BY id').all(segmentationId) as {
      id: number;
      seq: number;
      name: string;
      created_at: string;
    }[]
  ).map((r) => ({ id: r.id, seq: r.seq, name: r.name, createdAt: r.created_at }));
}

/** Adds signed voxel-count changes to the label summary rows (background is not a row). */
export function addLabelCounts(db: Database, segmentationId: number, changes: Map<number, number>): void {
  const update = db.prepare('UPDATE segmentation_labels SET voxels = voxels + ? WHERE segmentation_id = ? AND value = ?');
  for (const [value, change] of changes) if (value !== 0 && change !== 0) update.run(change, segmentationId, value);
}

export function insertLabel(db: Database, segmentationId: number, info: LabelInfo): void {
  db.prepare('INSERT INTO segmentation_labels (segmentation_id, value, name, color_json, kind, voxels) VALUES (?, ?, ?, ?, ?, 0)').run(
    segmentationId,
    info.value,
    info.name,
    JSON.stringify(info.colorRgb),
    info.kind,
  );
}
