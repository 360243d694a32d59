// Version 6: reading annotations of a series (ruler, angle, ellipse and freehand ROI, text). The points are kept as
// picked (continuous voxel coordinates of the series grid) with their LPS positions; the figures as computed, with
// the computation version that made them.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE annotations (
      id INTEGER PRIMARY KEY,
      series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
      kind TEXT NOT NULL CHECK (kind IN ('ruler', 'angle', 'ellipse', 'freehand', 'text')),
      -- [[i,j,k], ...] continuous voxel coordinates, and the same points in LPS mm
      points_ijk_json TEXT NOT NULL,
      points_lps_json TEXT NOT NULL,
      text TEXT,
      computation_version TEXT NOT NULL,
      -- the figures: lengthMm, angleDeg, ROI stats (null where the geometry gate refused mm)
      result_json TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX annotations_series ON annotations (series_id);
  `);
}
