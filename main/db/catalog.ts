// Reads the catalog tree (patients → studies → series stacks) from SQLite without touching the image files.
import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.js';
import type { GeometryReport } from '../../shared/domain/geometry.js';
import type { Mat3, Vec3 } from '../../shared/domain/volume.js';

export interface SeriesNode {
  seriesId: number;
  seriesInstanceUid: string;
  stackKey: string;
  modality: string;
  description: string;
  seriesNumber?: number;
  dims: Vec3;
  spacingMm: Vec3;
  originLps: Vec3;
  directionLps: Mat3;
  geometry: GeometryReport;
  transferSyntaxes: string[];
  instanceCount: number;
  frameCount: number;
  importedAt: string;
  segmentationCount: number;
}

export interface StudyNode {
  studyId: number;
  studyInstanceUid: string;
  studyDate?: string;
  description: string;
  accessionNumber?: string;
  series: SeriesNode[];
}

export interface PatientNode {
  patientDbId: number;
  patientId: string;
  name: string;
  birthDate?: string;
  sex?: string;
  studies: StudyNode[];
}

interface SeriesRow {
  id: number;
  study_id: number;
  series_uid: string;
  stack_key: string;
  modality: string;
  description: string | null;
  series_number: number | null;
  dims_json: string;
  spacing_mm_json: string;
  origin_lps_json: string;
  direction_lps_json: string;
  geometry_json: string;
  transfer_syntaxes_json: string;
  frame_count: number;
  imported_at: string;
  instance_count: number;
  segmentation_count: number;
}

const SERIES_SELECT = `SELECT s.*, (SELECT COUNT(*) FROM instances i WHERE i.series_id = s.id) AS instance_count,
  (SELECT COUNT(*) FROM segmentations g WHERE g.series_id = s.id) AS segmentation_count FROM series s`;

function seriesNode(r: SeriesRow): SeriesNode {
  return {
    seriesId: r.id,
    seriesInstanceUid: r.series_uid,
    stackKey: r.stack_key,
    modality: r.modality,
    description: r.description ?? '',
    seriesNumber: r.series_number ?? undefined,
    dims: JSON.parse(r.dims_json) as Vec3,
    spacingMm: JSON.parse(r.spacing_mm_json) as Vec3,
    originLps: JSON.parse(r.origin_lps_json) as Vec3,
    directionLps: JSON.parse(r.direction_lps_json) as Mat3,
    geometry: JSON.parse(r.geometry_json) as GeometryReport,
    transferSyntaxes: JSON.parse(r.transfer_syntaxes_json) as string[],
    instanceCount: r.instance_count,
    frameCount: r.frame_count,
    importedAt: r.imported_at,
    segmentationCount: r.segmentation_count,
  };
}

export function listCatalog(db: Database): PatientNode[] {
  const patients = db.prepare('SELECT * FROM patients ORDER BY name, patient_id').all() as {
    id: number;
    patient_id: string;
    name: string;
    birth_date: string | null;
    sex: string | null;
  }[];
  const studies = db.prepare('SELECT * FROM studies ORDER BY study_date, id').all() as {
    id: number;
    patient_id: number;
    study_uid: string;
    study_date: string | null;
    description: string | null;
    accession_number: string | null;
  }[];
  const series = db.prepare(`${SERIES_SELECT} ORDER BY s.series_number, s.id`).all() as SeriesRow[];
  const seriesByStudy = new Map<number, SeriesNode[]>();
  for (const r of series) {
    const list = seriesByStudy.get(r.study_id) ?? [];
    list.push(seriesNode(r));
    seriesByStudy.set(r.study_id, list);
  }
  const studiesByPatient = new Map<number, StudyNode[]>();
  for (const s of studies) {
    const list = studiesByPatient.get(s.patient_id) ?? [];
    list.push({
      studyId: s.id,
      studyInstanceUid: s.study_uid,
      studyDate: s.study_date ?? undefined,
      description: s.description ?? '',
      accessionNumber: s.accession_number ?? undefined,
      series: seriesByStudy.get(s.id) ?? [],
    });
    studiesByPatient.set(s.patient_id, list);
  }
  return patients.map((p) => ({
    patientDbId: p.id,
    patientId: p.patient_id,
    name: p.name,
    birthDate: p.birth_date ?? undefined,
    sex: p.sex ?? undefined,
    studies: studiesByPatient.get(p.id) ?? [],
  }));
}

export function getSeriesRecord(db: Database, seriesId: number): SeriesNode {
  const r = db.prepare(`${SERIES_SELECT} WHERE s.id = ?`).get(seriesId) as SeriesRow | undefined;
  if (!r) throw new AppError('NOT_FOUND', `No series with id ${seriesId} in the catalog.`);
  return seriesNode(r);
}

export interface InstanceSource {
  path: string;
  archiveMember?: string;
  sopInstanceUid: string;
}

export function seriesInstanceSources(db: Database, seriesId: number): InstanceSource[] {
  const rows = db.prepare('SELECT file_path, archive_member, sop_instance_uid FROM instances WHERE series_id = ? ORDER BY id').all(seriesId) as {
    file_path: string;
    archive_member: string | null;
    sop_instance_uid: string;
  }[];
  return rows.map((r) => ({ path: r.file_path, archiveMember: r.archive_member ?? undefined, sopInstanceUid: r.sop_instance_uid }));
}
