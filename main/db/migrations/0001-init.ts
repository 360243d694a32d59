// Version 1: the study catalog (patients → studies → series stacks → instances) and stored segmentations.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE patients (
      id INTEGER PRIMARY KEY,
      patient_key TEXT NOT NULL UNIQUE,      -- PatientID + name: two patients may share an ID across sites
      patient_id TEXT NOT NULL,
      name TEXT NOT NULL,
      birth_date TEXT,
      sex TEXT
    ) STRICT;

    CREATE TABLE studies (
      id INTEGER PRIMARY KEY,
      patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
      study_uid TEXT NOT NULL UNIQUE,
      study_date TEXT,
      study_time TEXT,
      description TEXT,
      accession_number TEXT
    ) STRICT;

    -- One row per assembled stack (one 3D volume); a DICOM series may split into several stacks.
    CREATE TABLE series (
      id INTEGER PRIMARY KEY,
      study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
      series_uid TEXT NOT NULL,
      stack_key TEXT NOT NULL,
      modality TEXT NOT NULL,
      description TEXT,
      series_number INTEGER,
      frame_of_reference_uid TEXT,
      dims_json TEXT NOT NULL,
      spacing_mm_json TEXT NOT NULL,
      origin_lps_json TEXT NOT NULL,
      direction_lps_json TEXT NOT NULL,
      geometry_status TEXT NOT NULL CHECK (geometry_status IN ('ok', 'warning', 'unsafe')),
      geometry_json TEXT NOT NULL,
      transfer_syntaxes_json TEXT NOT NULL,
      frame_count INTEGER NOT NULL,
      imported_at TEXT NOT NULL,
      UNIQUE (series_uid, stack_key)
    ) STRICT;

    CREATE TABLE instances (
      id INTEGER PRIMARY KEY,
      series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
      sop_instance_uid TEXT NOT NULL,
      file_path TEXT NOT NULL,
      archive_member TEXT,                   -- member name when the file is inside a .zip
      transfer_syntax_uid TEXT NOT NULL,
      instance_number INTEGER,
      frame_count INTEGER NOT NULL,
      position_lps_json TEXT,                -- first frame's ImagePositionPatient
      UNIQUE (series_id, sop_instance_uid)
    ) STRICT;
    CREATE INDEX instances_sop ON instances (sop_instance_uid);

    CREATE TABLE imports (
      id INTEGER PRIMARY KEY,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      inputs_json TEXT NOT NULL,
      summary_json TEXT
    ) STRICT;

    -- A label map on a series' grid, from any source; the label values are stored deflated.
    CREATE TABLE segmentations (
      id INTEGER PRIMARY KEY,
      series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
      source TEXT NOT NULL CHECK (source IN ('import', 'model', 'classical', 'edit')),
      name TEXT NOT NULL,
      model_id TEXT,
      model_version TEXT,
      model_sha256 TEXT,
      provider TEXT,
      params_json TEXT,
      seconds REAL,
      created_at TEXT NOT NULL,
      geometry_json TEXT NOT NULL,           -- dims, spacingMm, originLps, directionLps of the label grid
      label_encoding TEXT NOT NULL CHECK (label_encoding IN ('deflate-u8', 'deflate-u16')),
      labels_blob BLOB NOT NULL
    ) STRICT;
    CREATE INDEX segmentations_series ON segmentations (series_id);

    CREATE TABLE segmentation_labels (
      segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
      value INTEGER NOT NULL,
      name TEXT NOT NULL,
      color_json TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('organ', 'lesion', 'other')),
      voxels INTEGER NOT NULL,
      PRIMARY KEY (segmentation_id, value)
    ) STRICT;
  `);
}
