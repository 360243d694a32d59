// The catalog in SQLite: reads the tree (patients → studies → series stacks) without touching the image files, and
// writes what an import found (patients, studies, series, instances, the import log).
import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.js';
import type { GeometryReport } from '../../shared/domain/geometry.js';
import type { Mat3, Vec3, VolumeGeometry } from '../../shared/domain/volume.js';
import { appendAudit } from './audit.js';

export interface SeriesNode extends VolumeGeometry {
  seriesId: number;
  seriesInstanceUid: string;
  stackKey: string;
  modality: string;
  description: string;
  seriesNumber?: number;
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

/** One assembled series as the catalog stores it (the importer maps its stack onto this). */
export interface CatalogSeriesWrite {
  patient: { patientId: string; patientName: string; birthDate: string | null; sex: string | null };
  study: { studyInstanceUid: string; studyDate: string | null; studyTime: string | null; description: string | null; accessionNumber: string | null };
  series: VolumeGeometry & {
    seriesInstanceUid: string;
    stackKey: string;
    modality: string;
    description: string | null;
    seriesNumber: number | null;
    frameOfReferenceUid: string | null;
    geometry: GeometryReport;
    transferSyntaxes: string[];
    frameCount: number;
  };
  /** One row per instance (a multi-frame instance once). */
  instances: {
    sopInstanceUid: string;
    filePath: string;
    archiveMember: string | null;
    transferSyntaxUid: string;
    instanceNumber: number | null;
    frameCount: number;
    positionLps: Vec3 | null;
  }[];
}

/** Starts an import's log row; returns its id. */
export function startImportLog(db: Database, startedAt: string, inputs: string[]): number {
  return Number(db.prepare('INSERT INTO imports (started_at, inputs_json) VALUES (?, ?)').run(startedAt, JSON.stringify(inputs)).lastInsertRowid);
}

export function finishImportLog(db: Database, importId: number, summary: unknown): void {
  db.transaction(() => {
    db.prepare('UPDATE imports SET finished_at = ?, summary_json = ? WHERE id = ?').run(new Date().toISOString(), JSON.stringify(summary), importId);
    appendAudit(db, { action: 'import', subject: `import ${importId}`, details: summary });
  })();
}

/** A lookup: is this SOP Instance UID in the catalog already? (prepared once per import) */
export function knownInstanceLookup(db: Database): (sopInstanceUid: string) => boolean {
  const known = db.prepare('SELECT 1 FROM instances WHERE sop_instance_uid = ? LIMIT 1');
  return (uid) => known.get(uid) !== undefined;
}

/** The files (and zip members) of the instances already catalogued for a series UID. */
export function catalogedSeriesFiles(db: Database, seriesUid: string): { path: string; member: string | null }[] {
  return db
    .prepare(`SELECT DISTINCT i.file_path AS path, i.archive_member AS member FROM instances i JOIN series s ON s.id = i.series_id WHERE s.series_uid = ?`)
    .all(seriesUid) as { path: string; member: string | null }[];
}

/**
 * Writes one series with its patient, study and instances (patients and studies are shared, a series is updated in
 * place when its UID and stack are known, an instance already there is kept). Call inside a transaction.
 */
export function writeCatalogSeries(db: Database, w: CatalogSeriesWrite): { seriesId: number; isNew: boolean; instancesAdded: number } {
  const { patient, study, series } = w;
  const patientKey = `${patient.patientId}\u0000${patient.patientName}`;
  db.prepare(
    `INSERT INTO patients (patient_key, patient_id, name, birth_date, sex) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (patient_key) DO NOTHING`,
  ).run(patientKey, patient.patientId, patient.patientName, patient.birthDate, patient.sex);
  const patientRowId = (db.prepare('SELECT id FROM patients WHERE patient_key = ?').get(patientKey) as { id: number }).id;
  db.prepare(
    `INSERT INTO studies (patient_id, study_uid, study_date, study_time, description, accession_number) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (study_uid) DO NOTHING`,
  ).run(patientRowId, study.studyInstanceUid, study.studyDate, study.studyTime, study.description, study.accessionNumber);
  const studyRowId = (db.prepare('SELECT id FROM studies WHERE study_uid = ?').get(study.studyInstanceUid) as { id: number }).id;

  const prior = db.prepare('SELECT id FROM series WHERE series_uid = ? AND stack_key = ?').get(series.seriesInstanceUid, series.stackKey) as
    { id: number } | undefined;
  const values = [
    series.modality,
    series.description,
    series.seriesNumber,
    series.frameOfReferenceUid,
    JSON.stringify(series.dims),
    JSON.stringify(series.spacingMm),
    JSON.stringify(series.originLps),
    JSON.stringify(series.directionLps),
    series.geometry.status,
    JSON.stringify(series.geometry),
    JSON.stringify(series.transferSyntaxes),
    series.frameCount,
  ];
  let seriesId: number;
  if (prior) {
    seriesId = prior.id;
    db.prepare(
      `UPDATE series SET modality = ?, description = ?, series_number = ?, frame_of_reference_uid = ?, dims_json = ?, spacing_mm_json = ?,
         origin_lps_json = ?, direction_lps_json = ?, geometry_status = ?, geometry_json = ?, transfer_syntaxes_json = ?, frame_count = ?
       WHERE id = ?`,
    ).run(...values, seriesId);
  } else {
    seriesId = Number(
      db
        .prepare(
          `INSERT INTO series (study_id, series_uid, stack_key, modality, description, series_number, frame_of_reference_uid, dims_json,
             spacing_mm_json, origin_lps_json, direction_lps_json, geometry_status, geometry_json, transfer_syntaxes_json, frame_count, imported_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(studyRowId, series.seriesInstanceUid, series.stackKey, ...values, new Date().toISOString()).lastInsertRowid,
    );
  }
  const insert = db.prepare(
    `INSERT INTO instances (series_id, sop_instance_uid, file_path, archive_member, transfer_syntax_uid, instance_number, frame_count, position_lps_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, sop_instance_uid) DO NOTHING`,
  );
  let instancesAdded = 0;
  for (const i of w.instances) {
    const r = insert.run(
      seriesId,
      i.sopInstanceUid,
      i.filePath,
      i.archiveMember,
      i.transferSyntaxUid,
      i.instanceNumber,
      i.frameCount,
      i.positionLps ? JSON.stringify(i.positionLps) : null,
    );
    instancesAdded += r.changes;
  }
  return { seriesId, isNew: !prior, instancesAdded };
}
