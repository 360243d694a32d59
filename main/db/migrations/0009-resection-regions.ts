// Version 9: a resection plan is either a plane cut (plane and kept side, as before) or a painted region (its mask
// as run lengths, deflated, on the label map's grid at the plan's label-map version). SQLite cannot relax NOT NULL or
// CHECK in place, so the table is rebuilt; existing plans become plane plans with their ids kept.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE planning_plans_v9 (
      id INTEGER PRIMARY KEY,
      segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      label_map_version INTEGER NOT NULL CHECK (label_map_version >= 0),
      computation_version TEXT NOT NULL,
      organ_label INTEGER NOT NULL,
      mode TEXT NOT NULL CHECK (mode IN ('plane', 'region')),
      -- plane: {"pointLps":[x,y,z],"normalLps":[x,y,z]} in LPS mm, and the kept side
      plane_json TEXT,
      keep TEXT CHECK (keep IN ('positive', 'negative')),
      -- region: run lengths of the 0/1 mask in voxel order (zeros first, alternating) as little-endian uint32, deflated
      region_runs BLOB,
      region_voxels INTEGER CHECK (region_voxels >= 0),
      result_json TEXT NOT NULL,
      created_at TEXT NOT NULL,
      CHECK ((mode = 'plane' AND plane_json IS NOT NULL AND keep IS NOT NULL AND region_runs IS NULL AND region_voxels IS NULL)
          OR (mode = 'region' AND plane_json IS NULL AND keep IS NULL AND region_runs IS NOT NULL AND region_voxels IS NOT NULL))
    ) STRICT;
    INSERT INTO planning_plans_v9 (id, segmentation_id, name, label_map_version, computation_version, organ_label, mode, plane_json, keep, result_json, created_at)
      SELECT id, segmentation_id, name, label_map_version, computation_version, organ_label, 'plane', plane_json, keep, result_json, created_at FROM planning_plans;
    DROP TABLE planning_plans;
    ALTER TABLE planning_plans_v9 RENAME TO planning_plans;
    CREATE INDEX planning_plans_segmentation ON planning_plans (segmentation_id);
  `);
}
