// Version 4: a measurement run remembers the label-map version it was computed from (the edit journal's cursor),
// so an export can tell current figures from stale ones; each lesion row keeps the anchor voxel its identity follows.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    -- NULL: measured before versions were recorded; the version is then unknown and the run counts as stale,
    -- except where the segmentation was never edited (its map is still version 0, filled in below).
    ALTER TABLE measurement_runs ADD COLUMN label_map_version INTEGER CHECK (label_map_version IS NULL OR label_map_version >= 0);
    UPDATE measurement_runs SET label_map_version = 0
      WHERE segmentation_id NOT IN (SELECT segmentation_id FROM edit_strokes);

    -- A lesion instance's anchor voxel (shared/domain/measure/instanceIdentity.ts); NULL on whole-label rows.
    ALTER TABLE measurements ADD COLUMN anchor_i INTEGER;
    ALTER TABLE measurements ADD COLUMN anchor_j INTEGER;
    ALTER TABLE measurements ADD COLUMN anchor_k INTEGER;
  `);
}
