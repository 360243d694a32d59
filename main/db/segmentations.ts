// Stores label maps (AI, classical, imported, edited) with their label table and per-label voxel counts.
import { deflateSync, inflateSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.js';
import type { LabelInfo, LabelMap } from '../../shared/domain/labelMap.js';
import { defaultLabelColor, defaultLabelName, labelKindOf } from '../../shared/domain/labelTable.js';
import type { VolumeGeometry } from '../../shared/domain/volume.js';
import { voxelCount } from '../../shared/domain/volume.js';
import { appendAudit } from './audit.js';

export type SegmentationSource = 'import' | 'model' | 'classical' | 'edit';

export interface SegmentationLabelSummary extends LabelInfo {
  voxels: number;
}

export interface SegmentationSummary {
  id: number;
  seriesId: number;
  source: SegmentationSource;
  name: string;
  createdAt: string;
  model?: { id: string; version: string; sha256: string };
  provider?: string;
  params?: unknown;
  seconds?: number;
  geometry: VolumeGeometry;
  labels: SegmentationLabelSummary[];
}

export interface NewSegmentation {
  seriesId: number;
  source: SegmentationSource;
  name: string;
  labelMap: LabelMap;
  model?: { id: string; version: string; sha256: string };
  provider?: string;
  params?: unknown;
  seconds?: number;
}

/** Voxel count of every label value present (background 0 excluded). */
export function countLabels(labels: Uint8Array | Uint16Array): Map<number, number> {
  const counts = new Uint32Array(labels instanceof Uint8Array ? 256 : 65536);
  for (let n = 0; n < labels.length; n++) counts[labels[n]]++;
  const out = new Map<number, number>();
  for (let v = 1; v < counts.length; v++) if (counts[v] > 0) out.set(v, counts[v]);
  return out;
}

export function saveSegmentation(db: Database, seg: NewSegmentation): number {
  const { labelMap } = seg;
  if (labelMap.labels.length !== voxelCount(labelMap)) {
    throw new AppError('INVALID_INPUT', `Label map has ${labelMap.labels.length} voxels but its grid needs ${voxelCount(labelMap)}.`);
  }
  const counts = countLabels(labelMap.labels);
  const tableByValue = new Map(labelMap.table.map((l) => [l.value, l]));
  const encoding = labelMap.labels instanceof Uint8Array ? 'deflate-u8' : 'deflate-u16';
  const raw = Buffer.from(labelMap.labels.buffer, labelMap.labels.byteOffset, labelMap.labels.byteLength);
  const blob = deflateSync(raw, { level: 6 });
  const geometry: VolumeGeometry = {
    dims: labelMap.dims,
    spacingMm: labelMap.spacingMm,
    originLps: labelMap.originLps,
    directionLps: labelMap.directionLps,
  };
  const insert = db.transaction((): number => {
    const info = db
      .prepare(
        `INSERT INTO segmentations (series_id, source, name, model_id, model_version, model_sha256, provider, params_json,
           seconds, created_at, geometry_json, label_encoding, labels_blob)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        seg.seriesId,
        seg.source,
        seg.name,
        seg.model?.id ?? null,
        seg.model?.version ?? null,
        seg.model?.sha256 ?? null,
        seg.provider ?? null,
        seg.params === undefined ? null : JSON.stringify(seg.params),
        seg.seconds ?? null,
        new Date().toISOString(),
        JSON.stringify(geometry),
        encoding,
        blob,
      );
    const id = Number(info.lastInsertRowid);
    const insertLabel = db.prepare('INSERT INTO segmentation_labels (segmentation_id, value, name, color_json, kind, voxels) VALUES (?, ?, ?, ?, ?, ?)');
    // Every label of the table is kept (an empty label is still a label the user may paint later).
    const values = new Set<number>([...tableByValue.keys(), ...counts.keys()]);
    for (const value of [...values].sort((a, b) => a - b)) {
      if (value === 0) continue;
      const info = tableByValue.get(value);
      insertLabel.run(
        id,
        value,
        info?.name ?? defaultLabelName(value),
        JSON.stringify(info?.colorRgb ?? defaultLabelColor(value)),
        info?.kind ?? labelKindOf(value, undefined),
        counts.get(value) ?? 0,
      );
    }
    appendAudit(db, {
      action: 'segmentation',
      subject: `segmentation ${id}`,
      details: { seriesId: seg.seriesId, source: seg.source, name: seg.name, model: seg.model ?? null, labels: [...counts.keys()].length },
    });
    return id;
  });
  try {
    return insert();
  } catch (err) {
    if (String((err as Error).message).includes('FOREIGN KEY')) {
      throw new AppError('NOT_FOUND', `No series with id ${seg.seriesId} to attach the segmentation to.`);
    }
    throw err;
  }
}

interface SegRow {
  id: number;
  series_id: number;
  source: SegmentationSource;
  name: string;
  model_id: string | null;
  model_version: string | null;
  model_sha256: string | null;
  provider: string | null;
  params_json: string | null;
  seconds: number | null;
  created_at: string;
  geometry_json: string;
  label_encoding: 'deflate-u8' | 'deflate-u16';
  labels_blob?: Buffer;
}

function summaryOf(db: Database, row: SegRow): SegmentationSummary {
  const labels = (
    db.prepare('SELECT value, name, color_json, kind, voxels FROM segmentation_labels WHERE segmentation_id = ? ORDER BY value').all(row.id) as {
      value: number;
      name: string;
      color_json: string;
      kind: LabelInfo['kind'];
      voxels: number;
    }[]
  ).map((l) => ({ value: l.value, name: l.name, colorRgb: JSON.parse(l.color_json) as [number, number, number], kind: l.kind, voxels: l.voxels }));
  return {
    id: row.id,
    seriesId: row.series_id,
    source: row.source,
    name: row.name,
    createdAt: row.created_at,
    model: row.model_id ? { id: row.model_id, version: row.model_version ?? '', sha256: row.model_sha256 ?? '' } : undefined,
    provider: row.provider ?? undefined,
    params: row.params_json ? JSON.parse(row.params_json) : undefined,
    seconds: row.seconds ?? undefined,
    geometry: JSON.parse(row.geometry_json) as VolumeGeometry,
    labels,
  };
}

const SUMMARY_COLUMNS =
  'id, series_id, source, name, model_id, model_version, model_sha256, provider, params_json, seconds, created_at, geometry_json, label_encoding';

/** The series a segmentation belongs to; undefined when there is no such segmentation. */
export function seriesIdOfSegmentation(db: Database, segmentationId: number): number | undefined {
  const row = db.prepare('SELECT series_id FROM segmentations WHERE id = ?').get(segmentationId) as { series_id: number } | undefined;
  return row?.series_id;
}

export function listSegmentations(db: Database, seriesId: number): SegmentationSummary[] {
  const rows = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM segmentations WHERE series_id = ? ORDER BY id`).all(seriesId) as SegRow[];
  return rows.map((r) => summaryOf(db, r));
}

export function loadSegmentation(db: Database, id: number): { summary: SegmentationSummary; labelMap: LabelMap } {
  const row = db.prepare(`SELECT ${SUMMARY_COLUMNS}, labels_blob FROM segmentations WHERE id = ?`).get(id) as SegRow | undefined;
  if (!row || !row.labels_blob) throw new AppError('NOT_FOUND', `No segmentation with id ${id}.`);
  const summary = summaryOf(db, row);
  const raw = inflateSync(row.labels_blob);
  const n = voxelCount(summary.geometry);
  const labels =
    row.label_encoding === 'deflate-u8'
      ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength).slice()
      : new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (labels.length !== n) {
    throw new AppError('IO_ERROR', `Segmentation ${id} is damaged: ${labels.length} stored voxels for a grid of ${n}.`);
  }
  return {
    summary,
    labelMap: { ...summary.geometry, labels, table: summary.labels.map(({ voxels: _v, ...info }) => info) },
  };
}

export function deleteSegmentation(db: Database, id: number): void {
  db.prepare('DELETE FROM segmentations WHERE id = ?').run(id);
}
