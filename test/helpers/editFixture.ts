// Test fixture for the editing tests: a catalog database holding one series and one segmentation on a
// synthetic grid, plus helpers to build label maps and compare them bit for bit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../main/db/database.js';
import { saveSegmentation } from '../../main/db/segmentations.js';
import type { LabelInfo, LabelMap } from '../../shared/domain/labelMap.js';
import { identityDirection, type Vec3, type VolumeGeometry } from '../../shared/domain/volume.js';

export function tempDbFile(prefix = 'medseg-edit-'): string {
  return join(mkdtempSync(join(tmpdir(), prefix)), 'catalog.db');
}

export function geometryOf(dims: Vec3, spacingMm: Vec3 = [1, 1, 1]): VolumeGeometry {
  return {
    dims,
    spacingMm,
    originLps: [0, 0, 0],
    directionLps: identityDirection(),
  };
}

export const TABLE: LabelInfo[] = [
  { value: 1, name: 'liver', colorRgb: [200, 80, 60], kind: 'organ' },
  { value: 2, name: 'spleen', colorRgb: [60, 80, 200], kind: 'organ' },
  { value: 3, name: 'lesion', colorRgb: [250, 250, 0], kind: 'lesion' },
];

/** Inserts a patient/study/series and a segmentation with the given labels; returns the segmentation id. */
export function insertSegmentation(db: Database, geometry: VolumeGeometry, labels: Uint8Array | Uint16Array, table: LabelInfo[] = TABLE): number {
  const uid = `1.2.826.0.1.${Math.floor(Math.random() * 1e9)}`;
  db.prepare("INSERT INTO patients (patient_key, patient_id, name) VALUES (?, 'P1', 'Test^Edit')").run(uid);
  const patientId = (db.prepare('SELECT id FROM patients WHERE patient_key = ?').get(uid) as { id: number }).id;
  db.prepare('INSERT INTO studies (patient_id, study_uid) VALUES (?, ?)').run(patientId, uid);
  const studyId = (db.prepare('SELECT id FROM studies WHERE study_uid = ?').get(uid) as { id: number }).id;
  const seriesId = Number(
    db
      .prepare(
        `INSERT INTO series (study_id, series_uid, stack_key, modality, dims_json, spacing_mm_json, origin_lps_json, direction_lps_json,
           geometry_status, geometry_json, transfer_syntaxes_json, frame_count, imported_at)
         VALUES (?, ?, 'a', 'CT', ?, ?, ?, ?, 'ok', '{}', '[]', ?, ?)`,
      )
      .run(
        studyId,
        uid,
        JSON.stringify(geometry.dims),
        JSON.stringify(geometry.spacingMm),
        JSON.stringify(geometry.originLps),
        JSON.stringify(geometry.directionLps),
        geometry.dims[2],
        new Date().toISOString(),
      ).lastInsertRowid,
  );
  const labelMap: LabelMap = { ...geometry, labels, table };
  return saveSegmentation(db, { seriesId, source: 'model', name: 'test mask', labelMap });
}

export function createEditDb(file: string, geometry: VolumeGeometry, labels: Uint8Array | Uint16Array): { db: Database; segmentationId: number } {
  const db = openDatabase(file);
  return { db, segmentationId: insertSegmentation(db, geometry, labels) };
}

/** Index of the first differing voxel, or -1 when equal (a readable failure instead of a 1M-element diff). */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let n = 0; n < a.length; n++) if (a[n] !== b[n]) return n;
  return -1;
}

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
