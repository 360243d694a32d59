// Catalog look-ups for importing label maps (DICOM SEG, .seg.nrrd) onto the series they belong to.
import type { Database } from 'better-sqlite3';
import type { Mat3, Vec3, VolumeGeometry } from '../../shared/domain/volume.js';

export interface SeriesGridRow extends VolumeGeometry {
  seriesId: number;
  seriesInstanceUid: string;
  frameOfReferenceUid: string | null;
  geometryStatus: 'ok' | 'warning' | 'unsafe';
}

interface Row {
  id: number;
  series_uid: string;
  frame_of_reference_uid: string | null;
  dims_json: string;
  spacing_mm_json: string;
  origin_lps_json: string;
  direction_lps_json: string;
  geometry_status: 'ok' | 'warning' | 'unsafe';
}

function toGrid(r: Row): SeriesGridRow {
  return {
    seriesId: r.id,
    seriesInstanceUid: r.series_uid,
    frameOfReferenceUid: r.frame_of_reference_uid,
    dims: JSON.parse(r.dims_json) as Vec3,
    spacingMm: JSON.parse(r.spacing_mm_json) as Vec3,
    originLps: JSON.parse(r.origin_lps_json) as Vec3,
    directionLps: JSON.parse(r.direction_lps_json) as Mat3,
    geometryStatus: r.geometry_status,
  };
}

const COLUMNS = 'id, series_uid, frame_of_reference_uid, dims_json, spacing_mm_json, origin_lps_json, direction_lps_json, geometry_status';

/** The stacks of a series (usually one) with their grids. */
export function seriesGridsByUid(db: Database, seriesUid: string): SeriesGridRow[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM series WHERE series_uid = ? ORDER BY id`).all(seriesUid) as Row[]).map(toGrid);
}

/** Every series' grid (candidates for a label map that names no series, e.g. a foreign .seg.nrrd). */
export function allSeriesGrids(db: Database): SeriesGridRow[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM series ORDER BY id`).all() as Row[]).map(toGrid);
}

/** The series holding an instance, by SOP Instance UID (a SEG may reference instances only). */
export function seriesUidOfInstance(db: Database, sopInstanceUid: string): string | undefined {
  const row = db
    .prepare('SELECT s.series_uid AS uid FROM instances i JOIN series s ON s.id = i.series_id WHERE i.sop_instance_uid = ? LIMIT 1')
    .get(sopInstanceUid) as { uid: string } | undefined;
  return row?.uid;
}
