// CSV and JSON measurement rows for research pipelines: every row says whose scan (patient id or a pseudonym), which
// study, series and segmentation (id, version, provenance, model) it measures, then the label or lesion's values.
// The series' stored annotations go beside them: OUT.annotations.csv, or the JSON document's `annotations` section.
import { measurementRows, MEASUREMENT_COLUMNS, type MeasurementRow } from '../../../shared/domain/measure/export.js';
import type { MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { instanceIntensityStats } from '../../../shared/domain/report/instanceStats.js';
import { ANNOTATION_COLUMNS, type AnnotationRow } from '../../../shared/domain/reading/annotationRows.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { writeFileAtomic } from './atomicWrite.js';
import type { ExportContext } from './context.js';
import { softwareVersion } from './dicomTags.js';
import type { ExportFormatHandler, ExportRequest } from './formats.js';

/** The columns every row starts with: identity and provenance (then MEASUREMENT_COLUMNS, then intensityUnit). */
export const IDENTITY_COLUMNS = [
  'patientId',
  'studyDate',
  'seriesInstanceUid',
  'segmentationId',
  'labelMapVersion',
  'segmentationSource',
  'segmentationName',
  'modelId',
  'modelVersion',
  'modelSha256',
  'geometryStatus',
] as const;

export type IdentityColumn = (typeof IDENTITY_COLUMNS)[number];
export type ReportRow = Record<IdentityColumn, string | number | null> & Omit<MeasurementRow, 'anchorIjk'> & { intensityUnit: string };

/** The pseudonym to show instead of the patient id, when the user asked for one (options.pseudonym). */
export function pseudonymOf(req: ExportRequest): string | undefined {
  const p = req.options?.pseudonym;
  if (p === undefined) return undefined;
  if (typeof p !== 'string' || p.trim() === '') throw new AppError('INVALID_INPUT', 'The pseudonym must be a non-empty text.');
  return p.trim();
}

export function reportRows(ctx: ExportContext, result: MeasurementResult, pseudonym?: string): ReportRow[] {
  const study = ctx.source.study;
  const p = ctx.provenance;
  const identity: Record<IdentityColumn, string | number | null> = {
    patientId: pseudonym ?? study?.patientId ?? '',
    studyDate: study?.studyDate ?? '',
    seriesInstanceUid: study?.seriesInstanceUid ?? '',
    segmentationId: p.segmentationId ?? null,
    labelMapVersion: p.labelMapVersion ?? null,
    segmentationSource: p.source,
    segmentationName: p.name,
    modelId: p.model?.id ?? '',
    modelVersion: p.model?.version ?? '',
    modelSha256: p.model?.sha256 ?? '',
    geometryStatus: result.geometry.status,
  };
  const instanceStats = instanceIntensityStats(ctx.source.volume.voxels, ctx.labelMap.labels, ctx.source.volume.dims, result);
  return measurementRows(result).map(({ anchorIjk: _a, ...row }) => {
    const s = row.instanceId === 0 ? undefined : instanceStats.get(`${row.labelValue}:${row.instanceId}`);
    const stats = s ? { mean: s.mean, sd: s.sd, min: s.min, max: s.max, median: s.median, p5: s.p5, p95: s.p95 } : {};
    return { ...identity, ...row, ...stats, intensityUnit: ctx.source.intensityUnit };
  });
}

const ALL_COLUMNS = [...IDENTITY_COLUMNS, ...MEASUREMENT_COLUMNS, 'intensityUnit'] as const;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  // A leading = + - @ makes spreadsheets run the cell as a formula: quote it as text (names come from files).
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function reportCsv(rows: ReportRow[]): string {
  return csvTable(ALL_COLUMNS, rows);
}

/** The identity columns an annotation row starts with, so that the file joins the measurements by series. */
const ANNOTATION_IDENTITY_COLUMNS = ['patientId', 'studyDate', 'seriesInstanceUid', 'seriesId'] as const;

/** Points in a CSV cell: "x y z" triples joined by ';' (full precision). */
function pointsCell(points: Vec3[] | null): string | null {
  return points === null ? null : points.map((p) => p.join(' ')).join(';');
}

/** The annotations table as CSV (one row per annotation; columns: identity, then ANNOTATION_COLUMNS). */
export function annotationsCsv(ctx: ExportContext, rows: AnnotationRow[], pseudonym?: string): string {
  const study = ctx.source.study;
  const identity = {
    patientId: pseudonym ?? study?.patientId ?? '',
    studyDate: study?.studyDate ?? '',
    seriesInstanceUid: study?.seriesInstanceUid ?? '',
    seriesId: ctx.annotations?.seriesId,
  };
  const flat = rows.map((r) => ({
    ...identity,
    ...r,
    pointsIjk: pointsCell(r.pointsIjk),
    pointsLps: pointsCell(r.pointsLps),
    current: r.current ? 'true' : 'false',
  }));
  return csvTable([...ANNOTATION_IDENTITY_COLUMNS, ...ANNOTATION_COLUMNS], flat);
}

/** The annotations file written next to a CSV export: OUT.csv → OUT.annotations.csv. */
export function annotationsCsvPath(csvPath: string): string {
  return `${csvPath.replace(/\.csv$/i, '')}.annotations.csv`;
}

export const csvFormat: ExportFormatHandler = {
  summary: 'Measurement rows as CSV: patient id (or --pseudonym), study date, series UID, segmentation id/version, provenance, values',
  extension: '.csv',
  async write(ctx, req) {
    const pseudonym = pseudonymOf(req);
    const rows = reportRows(ctx, await ctx.measurements(), pseudonym);
    let bytes = await writeFileAtomic(req.outPath, reportCsv(rows));
    const files = [req.outPath];
    const notes: string[] = [];
    const annotations = ctx.annotations?.rows ?? [];
    if (annotations.length > 0) {
      const path = annotationsCsvPath(req.outPath);
      bytes += await writeFileAtomic(path, annotationsCsv(ctx, annotations, pseudonym));
      files.push(path);
    } else if (ctx.annotations === null) notes.push('Annotations are exported with a stored segmentation only (its series); this label map file has none.');
    return { format: 'csv', files, bytes, notes, details: { rows: rows.length, annotations: annotations.length } };
  },
};

export const jsonFormat: ExportFormatHandler = {
  summary: 'Measurement rows as JSON, with the geometry report, provenance and software version',
  extension: '.json',
  async write(ctx, req) {
    const result = await ctx.measurements();
    const rows = reportRows(ctx, result, pseudonymOf(req));
    const doc = {
      software: { name: 'medseg', version: softwareVersion() },
      exportedAt: new Date().toISOString(),
      provenance: { ...ctx.provenance, labelsPath: undefined },
      geometry: {
        status: result.geometry.status,
        findings: result.geometry.findings,
        warnings: result.geometry.warnings,
        spacingMm: result.geometry.spacingMm,
      },
      computationVersion: result.computationVersion,
      rows,
      // null: not known (a label map file, no catalog series); else the series' annotations, possibly none
      annotations: ctx.annotations?.rows ?? null,
    };
    const bytes = await writeFileAtomic(req.outPath, JSON.stringify(doc, null, 2) + '\n');
    return { format: 'json', files: [req.outPath], bytes, notes: [], details: { rows: rows.length, annotations: ctx.annotations?.rows.length ?? null } };
  },
};
