// Stores measurement runs of a segmentation (rows per label and per lesion instance), each with the label-map
// version it was computed from, and reads them back for CSV/JSON export and for carrying lesion numbers over.
import type { Database } from 'better-sqlite3';
import { measurementRows, type MeasurementRow } from '../../shared/domain/measure/export.js';
import type { MeasurementResult } from '../../shared/domain/measure/measureLabels.js';
import type { PreviousInstance } from '../../shared/domain/measure/instanceIdentity.js';
import { AppError } from '../../shared/errors.js';
import { appendAudit } from './audit.js';

export interface MeasurementRun {
  id: number;
  segmentationId: number;
  computationVersion: string;
  connectivity: 6 | 26;
  geometryStatus: 'ok' | 'warning';
  geometry: MeasurementResult['geometry'];
  /** The edit-journal position of the label map measured (0 = as stored); null = unknown (a run from before v4). */
  labelMapVersion: number | null;
  createdAt: string;
}

const COLUMNS: [Exclude<keyof MeasurementRow, 'anchorIjk'>, string][] = [
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

/**
 * Saves one run with all its rows in one transaction; returns the run id. labelMapVersion is the edit-journal
 * position of the label map that was measured (0 for a never-edited map).
 */
export function saveMeasurements(
  db: Database,
  segmentationId: number,
  result: MeasurementResult,
  labelMapVersion: number,
  createdAt = new Date().toISOString(),
): number {
  if (!Number.isInteger(labelMapVersion) || labelMapVersion < 0)
    throw new AppError('INVALID_INPUT', `Label map version ${labelMapVersion} is not a journal position.`);
  if (result.geometry.status === 'unsafe') throw new AppError('UNSAFE_GEOMETRY', 'Measurements on unsafe geometry are not stored.');
  const exists = db.prepare('SELECT 1 FROM segmentations WHERE id = ?').get(segmentationId);
  if (!exists) throw new AppError('NOT_FOUND', `Segmentation ${segmentationId} does not exist.`);
  const insertRun = db.prepare(
    `INSERT INTO measurement_runs (segmentation_id, computation_version, connectivity, geometry_status, geometry_json, label_map_version, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertRow = db.prepare(
    `INSERT INTO measurements (run_id, ${COLUMNS.map(([, c]) => c).join(', ')}, anchor_i, anchor_j, anchor_k)
     VALUES (?, ${COLUMNS.map(() => '?').join(', ')}, ?, ?, ?)`,
  );
  return db.transaction(() => {
    const runId = Number(
      insertRun.run(
        segmentationId,
        result.computationVersion,
        result.connectivity,
        result.geometry.status,
        JSON.stringify(result.geometry),
        labelMapVersion,
        createdAt,
      ).lastInsertRowid,
    );
    // NaN cannot be stored as REAL in a STRICT table meaningfully: store it as NULL.
    const finite = (v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
    const rows = measurementRows(result);
    for (const row of rows) insertRow.run(runId, ...COLUMNS.map(([k]) => finite(row[k])), ...(row.anchorIjk ?? [null, null, null]));
    appendAudit(db, {
      action: 'measurement',
      subject: `segmentation ${segmentationId}`,
      details: { runId, labelMapVersion, rows: rows.length, geometryStatus: result.geometry.status, computationVersion: result.computationVersion },
    });
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
  label_map_version: number | null;
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
    labelMapVersion: r.label_map_version,
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
  const rows = records.map(
    (rec) =>
      ({
        ...Object.fromEntries(COLUMNS.map(([k, c]) => [k, rec[c]])),
        anchorIjk: rec.anchor_i === null ? null : [rec.anchor_i, rec.anchor_j, rec.anchor_k],
      }) as unknown as MeasurementRow,
  );
  return { run: toRun(run), rows };
}

/** How many of a segmentation's latest runs lend their lesion anchors to the next measurement. */
export const IDENTITY_RUNS = 10;

/**
 * What re-measuring needs to keep lesion numbers (shared/domain/measure/instanceIdentity.ts): the instances of the
 * segmentation's latest runs with their anchors (runsAgo 0 = the latest), and one above every instance number any
 * of its runs used.
 */
export function instanceHistory(db: Database, segmentationId: number): { previous: PreviousInstance[]; firstNewId: number } {
  const runs = (
    db.prepare('SELECT id FROM measurement_runs WHERE segmentation_id = ? ORDER BY id DESC LIMIT ?').all(segmentationId, IDENTITY_RUNS) as { id: number }[]
  ).map((r) => r.id);
  const select = db.prepare(
    'SELECT label_value, instance_id, anchor_i, anchor_j, anchor_k FROM measurements WHERE run_id = ? AND instance_id > 0 AND anchor_i IS NOT NULL',
  );
  const previous = runs.flatMap((runId, runsAgo) =>
    (select.all(runId) as { label_value: number; instance_id: number; anchor_i: number; anchor_j: number; anchor_k: number }[]).map((r): PreviousInstance => ({
      labelValue: r.label_value,
      instanceId: r.instance_id,
      anchorIjk: [r.anchor_i, r.anchor_j, r.anchor_k],
      runsAgo,
    })),
  );
  const max = db
    .prepare('SELECT MAX(m.instance_id) AS n FROM measurements m JOIN measurement_runs r ON r.id = m.run_id WHERE r.segmentation_id = ?')
    .get(segmentationId) as { n: number | null };
  return { previous, firstNewId: (max.n ?? 0) + 1 };
}
