// Version 2: measurement runs on a stored segmentation and their rows (per label, and per lesion instance),
// each run stamped with the computation version and the geometry it was measured on.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE measurement_runs (
      id INTEGER PRIMARY KEY,
      segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
      computation_version TEXT NOT NULL,     -- shared/domain/measure MEASURE_COMPUTATION_VERSION
      connectivity INTEGER NOT NULL CHECK (connectivity IN (6, 26)),
      geometry_status TEXT NOT NULL CHECK (geometry_status IN ('ok', 'warning')), -- unsafe is never measured
      geometry_json TEXT NOT NULL,           -- findings, dims, spacingMm, voxelVolumeMl, axial plane
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX measurement_runs_segmentation ON measurement_runs (segmentation_id);

    CREATE TABLE measurements (
      run_id INTEGER NOT NULL REFERENCES measurement_runs(id) ON DELETE CASCADE,
      label_value INTEGER NOT NULL,
      instance_id INTEGER NOT NULL CHECK (instance_id >= 0), -- 0 = the whole label, else the lesion instance
      label_name TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('organ', 'lesion', 'other')),
      voxels INTEGER NOT NULL,
      volume_ml REAL NOT NULL,
      volume_ml_lower REAL NOT NULL,
      volume_ml_upper REAL NOT NULL,
      centroid_x_lps REAL,
      centroid_y_lps REAL,
      centroid_z_lps REAL,
      max_diameter_mm REAL,
      recist_long_mm REAL,
      recist_short_mm REAL,
      mean REAL,
      sd REAL,
      min REAL,
      max REAL,
      median REAL,
      p5 REAL,
      p95 REAL,
      PRIMARY KEY (run_id, label_value, instance_id)
    ) STRICT;
  `);
}
