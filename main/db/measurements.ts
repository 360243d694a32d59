// Stores measurement runs of a segmentation (rows per label and per lesion instance) and reads them back
// for CSV/JSON export.
import type { Database } from 'better-sqlite3';
import { measurementRows, type MeasurementRow } from '../../shared/domain/measure/export.js';
import type { MeasurementResult } from '../../shared/domain/measure/measureLabels.js';
import { AppError } from '../../shared/errors.js';

export interface MeasurementRun {
  id: number;
  segmentationId: number;
  computationVersion: string;
  connectivity: 6 | 26;
  geometryStatus: 'ok' | 'warning';
  geometry: MeasurementResult['geometry'];
  createdAt: string;
}

const COLUMNS: [keyof MeasurementRow, string][] = [
  ['labelValue', 'label_value'],
  ['instanceId', 'instance_id'],
  ['labelName', 'label_name'],
  ['kind', 'kind'],
  ['voxels', 'voxels'],
  ['volumeMl', 'volume_ml'],
  ['volumeMlLower', 'volume_ml_lower'],
  ['volumeMlUpper', 'volume_ml_upper'],
  ['centroidXLps', 'centroid_x_lps'],
  ['centroidYLps', 'centroid_y_lps'],
  ['centroidZLps', 'centroid_z_lps'],
  ['maxDiameterMm', 'max_diameter_mm'],
  ['recistLongMm', 'recist_long_mm'],
  ['recistShortMm', 'recist_short_mm'],
  ['mean', 'mean'],
  ['sd', 'sd'],
  ['min', 'min'],
  ['max', 'max'],
  ['median', 'median'],
  ['p5', 'p5'],
  ['p95', 'p95'],
];

/** Saves one run with all its rows in one transaction; returns the run id. */
export function saveMeasurements(db: Database, segmentationId: number, result: MeasurementResult, createdAt = new Date().toISOString()): number {
  if (result.geometry.status === 'unsafe') throw new AppError('UNSAFE_GEOMETRY', 'Measurements on unsafe geometry are not stored.');
  const exists = db.prepare('SELECT 1 FROM segmentations WHERE id = ?').get(segmentationId);
  if (!exists) throw new AppError('NOT_FOUND', `Segmentation ${segmentationId} does not exist.`);
  const insertRun = db.prepare(
    `INSERT INTO measurement_runs (segmentation_id, computation_version, connectivity, geometry_status, geometry_json, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const insertRow = db.prepare(
    `INSERT INTO measurements (run_id, ${COLUMNS.map(([, c]) => c).join(', ')}) VALUES (?, ${COLUMNS.map(() => '?').join(', ')})`,
  );
  return db.transaction(() => {
    const runId = Number(
      insertRun.run(segmentationId, result.computationVersion, result.connectivity, result.geometry.status, JSON.stringify(result.geometry), createdAt)
        .lastInsertRowid,
    );
    // NaN cannot be stored as REAL in a STRICT table meaningfully: store it as NULL.
    const finite = (v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
    for (const row of measurementRows(result)) insertRow.run(runId, ...COLUMNS.map(([k]) => finite(row[k])));
    return runId;
  })();
}

interface RunRecord {
  id: number;
  segmentation_id: number;
  computation_version: string;
  connectivity: number;
  geometry_status: string;
  geometry_json: string;
  created_at: string;
}

function toRun(r: RunRecord): MeasurementRun {
  return {
    id: r.id,
    segmentationId: r.segmentation_id,
    computationVersion: r.computation_version,
    connectivity: r.connectivity as 6 | 26,
    geometryStatus: r.geometry_status as 'ok' | 'warning',
    geometry: JSON.parse(r.geometry_json) as MeasurementResult['geometry'],
    createdAt: r.created_at,
  };
}

/** Runs of a segmentation, newest first. */
export function listMeasurementRuns(db: Database, segmentationId: number): MeasurementRun[] {
  const rows = db.prepare('SELECT * FROM measurement_runs WHERE segmentation_id = ? ORDER BY id DESC').all(segmentationId) as RunRecord[];
  return rows.map(toRun);
}

/** A run and its rows (labels then instances, by label value). */
export function loadMeasurements(db: Database, runId: number): { run: MeasurementRun; rows: MeasurementRow[] } {
  const run = db.prepare('SELECT * FROM measurement_runs WHERE id = ?').get(runId) as RunRecord | undefined;
  if (!run) throw new AppError('NOT_FOUND', `Measurement run ${runId} does not exist.`);
  const records = db.prepare('SELECT * FROM measurements WHERE run_id = ? ORDER BY label_value, instance_id').all(runId) as Record<string, unknown>[];
  const rows = records.map((rec) => Object.fromEntries(COLUMNS.map(([k, c]) => [k, rec[c]])) as unknown as MeasurementRow);
  return { run: toRun(run), rows };
}
