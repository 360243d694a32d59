// Stored reading annotations of a series (migration 0006): points as picked, their LPS positions, the figures.
import type { Database } from 'better-sqlite3';
import type { Vec3 } from '../../shared/domain/volume.js';
import type { AnnotationKind, AnnotationResult } from '../../shared/ipc/contract-annotations.js';

export interface StoredAnnotation {
  annotationId: number;
  seriesId: number;
  kind: AnnotationKind;
  pointsIjk: Vec3[];
  pointsLps: Vec3[];
  text: string | null;
  computationVersion: string;
  result: AnnotationResult;
  createdAt: string;
}

interface AnnotationRow {
  id: number;
  series_id: number;
  kind: AnnotationKind;
  points_ijk_json: string;
  points_lps_json: string;
  text: string | null;
  computation_version: string;
  result_json: string;
  created_at: string;
}

export function saveAnnotation(db: Database, a: Omit<StoredAnnotation, 'annotationId' | 'createdAt'>): StoredAnnotation {
  const createdAt = new Date().toISOString();
  const info = db
    .prepare(
      `INSERT INTO annotations (series_id, kind, points_ijk_json, points_lps_json, text, computation_version, result_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(a.seriesId, a.kind, JSON.stringify(a.pointsIjk), JSON.stringify(a.pointsLps), a.text, a.computationVersion, JSON.stringify(a.result), createdAt);
  return { ...a, annotationId: Number(info.lastInsertRowid), createdAt };
}

/** Oldest first (the order they were drawn). */
export function listAnnotations(db: Database, seriesId: number): StoredAnnotation[] {
  const rows = db.prepare('SELECT * FROM annotations WHERE series_id = ? ORDER BY id').all(seriesId) as AnnotationRow[];
  return rows.map((r) => ({
    annotationId: r.id,
    seriesId: r.series_id,
    kind: r.kind,
    pointsIjk: JSON.parse(r.points_ijk_json) as Vec3[],
    pointsLps: JSON.parse(r.points_lps_json) as Vec3[],
    text: r.text,
    computationVersion: r.computation_version,
    result: JSON.parse(r.result_json) as AnnotationResult,
    createdAt: r.created_at,
  }));
}

export function deleteAnnotation(db: Database, annotationId: number): boolean {
  return db.prepare('DELETE FROM annotations WHERE id = ?').run(annotationId).changes > 0;
}
