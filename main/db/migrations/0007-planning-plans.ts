// Version 7: virtual-resection plans of a segmentation, each with the label-map version it was computed from (so a
// plan of an edited map shows as stale), the cut as given and the figures as computed.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE planning_plans (
      id INTEGER PRIMARY KEY,
      segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      label_map_version INTEGER NOT NULL CHECK (label_map_version >= 0),
      computation_version TEXT NOT NULL,
      organ_label INTEGER NOT NULL,
      -- {"pointLps":[x,y,z],"normalLps":[x,y,z]} in LPS mm
      plane_json TEXT NOT NULL,
      keep TEXT NOT NULL CHECK (keep IN ('positive', 'negative')),
      result_json TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX planning_plans_segmentation ON planning_plans (segmentation_id);
  `);
}
