// Migration 0004 on a version-3 database: runs of never-edited segmentations get label-map version 0 (their map is
// still the stored one), runs of edited ones stay unknown (NULL, so an export calls them out of date).
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from '../../../main/db/database.js';
import { MIGRATIONS } from '../../../main/db/migrations/index.js';
import { listMeasurementRuns, loadMeasurements } from '../../../main/db/measurements.js';

describe('migration 0004-measurement-versions', () => {
  it('fills version 0 only where no stroke was ever journaled; old lesion rows have no anchor', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-m0004-')), 'cat.db');
    const raw = new BetterSqlite3(file);
    for (const m of MIGRATIONS.slice(0, 3)) m.up(raw);
    raw.pragma('user_version = 3');
    raw.exec(`
      INSERT INTO patients (id, patient_key, patient_id, name) VALUES (1, 'p', 'p', 'P');
      INSERT INTO studies (id, patient_id, study_uid) VALUES (1, 1, '1.2');
      INSERT INTO series (id, study_id, series_uid, stack_key, modality, dims_json, spacing_mm_json, origin_lps_json, direction_lps_json,
        geometry_status, geometry_json, transfer_syntaxes_json, frame_count, imported_at)
        VALUES (1, 1, '1.2.3', 's', 'CT', '[2,2,2]', '[1,1,1]', '[0,0,0]', '[[1,0,0],[0,1,0],[0,0,1]]', 'ok', '{}', '[]', 2, 'now');
      INSERT INTO segmentations (id, series_id, source, name, created_at, geometry_json, label_encoding, labels_blob)
        VALUES (1, 1, 'import', 'never edited', 'now', '{}', 'deflate-u8', x'00'), (2, 1, 'import', 'edited', 'now', '{}', 'deflate-u8', x'00');
      INSERT INTO edit_journals (segmentation_id, cursor_seq, tick, created_at) VALUES (1, 0, 0, 'now'), (2, 1, 1, 'now');
      INSERT INTO edit_strokes (segmentation_id, seq, parent_seq, depth, entered_tick, kind, params_json, changed_voxels, delta_encoding, delta_blob, created_at)
        VALUES (2, 1, 0, 1, 1, 'brush', '{}', 1, 'rle1-deflate', x'00', 'now');
      INSERT INTO measurement_runs (id, segmentation_id, computation_version, connectivity, geometry_status, geometry_json, created_at)
        VALUES (1, 1, 'measure-1', 6, 'ok', '{"status":"ok","findings":[]}', 'now'), (2, 2, 'measure-1', 6, 'ok', '{"status":"ok","findings":[]}', 'now');
      INSERT INTO measurements (run_id, label_value, instance_id, label_name, kind, voxels, volume_ml, volume_ml_lower, volume_ml_upper)
        VALUES (1, 3, 0, 'tumour', 'lesion', 1, 0.001, 0, 0.002), (1, 3, 1, 'tumour', 'lesion', 1, 0.001, 0, 0.002);
    `);
    raw.close();

    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(listMeasurementRuns(db, 1)[0].labelMapVersion).toBe(0);
    expect(listMeasurementRuns(db, 2)[0].labelMapVersion).toBeNull();
    expect(loadMeasurements(db, 1).rows.map((r) => r.anchorIjk)).toEqual([null, null]);
    // STRICT and checked: a negative version is refused by the table itself.
    expect(() => db.prepare('UPDATE measurement_runs SET label_map_version = -1 WHERE id = 1').run()).toThrow(/CHECK/);
    db.close();
  });
});
