// Version 3: the edit journal of a segmentation — strokes stored as deltas in a tree (undo, redo, branches),
// the cursor, periodic full snapshots (a cache for fast re-opening) and named versions (journal positions).
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    -- One row per edited segmentation. cursor_seq is the stroke whose state is current (0 = the stored map).
    CREATE TABLE edit_journals (
      segmentation_id INTEGER PRIMARY KEY REFERENCES segmentations(id) ON DELETE CASCADE,
      cursor_seq INTEGER NOT NULL,
      tick INTEGER NOT NULL,                 -- counter for entered_tick below
      created_at TEXT NOT NULL
    ) STRICT;

    -- A stroke is a node of the history tree: its delta turns its parent's state into its own.
    CREATE TABLE edit_strokes (
      segmentation_id INTEGER NOT NULL REFERENCES edit_journals(segmentation_id) ON DELETE CASCADE,
      seq INTEGER NOT NULL CHECK (seq > 0),
      parent_seq INTEGER NOT NULL CHECK (parent_seq >= 0 AND parent_seq < seq),
      depth INTEGER NOT NULL CHECK (depth > 0),
      entered_tick INTEGER NOT NULL,         -- when the cursor last entered this node: redo follows the latest child
      kind TEXT NOT NULL,
      params_json TEXT NOT NULL,             -- the operation as requested, for audit
      changed_voxels INTEGER NOT NULL,
      delta_encoding TEXT NOT NULL CHECK (delta_encoding IN ('rle1-deflate')),
      delta_blob BLOB NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (segmentation_id, seq)
    ) STRICT;
    CREATE INDEX edit_strokes_parent ON edit_strokes (segmentation_id, parent_seq);

    -- Full label map at a stroke, written every N strokes of depth; derived data, safe to delete.
    CREATE TABLE edit_snapshots (
      segmentation_id INTEGER NOT NULL REFERENCES edit_journals(segmentation_id) ON DELETE CASCADE,
      seq INTEGER NOT NULL,
      label_encoding TEXT NOT NULL CHECK (label_encoding IN ('deflate-u8', 'deflate-u16')),
      labels_blob BLOB NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (segmentation_id, seq)
    ) STRICT;

    CREATE TABLE edit_versions (
      id INTEGER PRIMARY KEY,
      segmentation_id INTEGER NOT NULL REFERENCES edit_journals(segmentation_id) ON DELETE CASCADE,
      seq INTEGER NOT NULL,
      name TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX edit_versions_segmentation ON edit_versions (segmentation_id);
  `);
}
