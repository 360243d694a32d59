// The rows of a cohort run (`medseg batch`): one per label and one per lesion of each case, with the case's provenance,
// their deterministic order and their CSV / JSON-lines form. Pure: the services write and merge the files.
import type { MeasurementRow } from '../measure/export.js';

/** What made the label maps of a run: a model, a threshold (classical tool) or label maps given with the input. */
export type BatchMethod =
  { kind: 'model'; modelId: string; modelVersion: string; modelSha256: string } | { kind: 'threshold'; loValue: number; hiValue: number } | { kind: 'labels' };

/** Everything a case's rows share. */
export interface BatchCaseInfo {
  caseKey: string;
  patientId: string;
  pseudonym: string;
  /** The manifest's subject column, else the patient id. */
  subject: string;
  timepoint: string;
  studyDate: string;
  seriesInstanceUid: string;
  /** Where the input was found (folder or file, as given), for the user to locate a failed case. */
  source: string;
}

export interface BatchRow extends BatchCaseInfo {
  label: number | null;
  name: string;
  /** 'label' (the whole label), 'lesion' (one connected instance of a lesion-kind label) or 'case' (a failed case). */
  kind: 'label' | 'lesion' | 'case';
  labelKind: string;
  lesionId: number | null;
  voxels: number | null;
  volumeMl: number | null;
  volumeMlLower: number | null;
  volumeMlUpper: number | null;
  centroidXLps: number | null;
  centroidYLps: number | null;
  centroidZLps: number | null;
  recistLongMm: number | null;
  recistShortMm: number | null;
  geometryStatus: string;
  /** The AppError code of a failed case ('' when it was measured). */
  error: string;
  errorMessage: string;
  method: string;
  modelId: string;
  modelVersion: string;
  modelSha256: string;
  provider: string;
  softwareVersion: string;
  computationVersion: string;
  seconds: number;
}

export const BATCH_COLUMNS: (keyof BatchRow)[] = [
  'seriesInstanceUid',
  'patientId',
  'studyDate',
  'label',
  'name',
  'kind',
  'volumeMl',
  'volumeMlLower',
  'volumeMlUpper',
  'geometryStatus',
  'error',
  'errorMessage',
  'labelKind',
  'lesionId',
  'voxels',
  'centroidXLps',
  'centroidYLps',
  'centroidZLps',
  'recistLongMm',
  'recistShortMm',
  'pseudonym',
  'subject',
  'timepoint',
  'source',
  'method',
  'modelId',
  'modelVersion',
  'modelSha256',
  'provider',
  'softwareVersion',
  'computationVersion',
  'seconds',
  'caseKey',
];

/** A method as one readable string: the same string for the same method, so tables can say what made them. */
export function methodLabel(m: BatchMethod): string {
  if (m.kind === 'model') return `model ${m.modelId} ${m.modelVersion}`;
  if (m.kind === 'threshold') return `threshold ${m.loValue}:${m.hiValue}`;
  return 'labels';
}

export interface RowProvenance {
  method: BatchMethod;
  geometryStatus: string;
  provider: string;
  softwareVersion: string;
  computationVersion: string;
  seconds: number;
}

function provenanceColumns(
  p: RowProvenance,
): Pick<BatchRow, 'method' | 'modelId' | 'modelVersion' | 'modelSha256' | 'provider' | 'softwareVersion' | 'computationVersion' | 'seconds'> {
  const m = p.method;
  return {
    method: methodLabel(m),
    modelId: m.kind === 'model' ? m.modelId : '',
    modelVersion: m.kind === 'model' ? m.modelVersion : '',
    modelSha256: m.kind === 'model' ? m.modelSha256 : '',
    provider: p.provider,
    softwareVersion: p.softwareVersion,
    computationVersion: p.computationVersion,
    seconds: p.seconds,
  };
}

/** The columns of a batch row that come from one measurement row (the whole label, or one lesion of it). */
export type MeasurementColumns = Pick<
  BatchRow,
  | 'label'
  | 'name'
  | 'kind'
  | 'labelKind'
  | 'lesionId'
  | 'voxels'
  | 'volumeMl'
  | 'volumeMlLower'
  | 'volumeMlUpper'
  | 'centroidXLps'
  | 'centroidYLps'
  | 'centroidZLps'
  | 'recistLongMm'
  | 'recistShortMm'
>;

/** The one mapping from a measure service row to the batch table's measurement columns (mm and mL copied, never recomputed). */
export function measurementColumns(r: MeasurementRow): MeasurementColumns {
  return {
    label: r.labelValue,
    name: r.labelName,
    kind: r.instanceId === 0 ? 'label' : 'lesion',
    labelKind: r.kind,
    lesionId: r.instanceId === 0 ? null : r.instanceId,
    voxels: r.voxels,
    volumeMl: r.volumeMl,
    volumeMlLower: r.volumeMlLower,
    volumeMlUpper: r.volumeMlUpper,
    centroidXLps: r.centroidXLps,
    centroidYLps: r.centroidYLps,
    centroidZLps: r.centroidZLps,
    recistLongMm: r.recistLongMm,
    recistShortMm: r.recistShortMm,
  };
}

/**
 * The rows of a measured case, straight from the measure service's flat rows (the numbers `medseg measure` prints).
 * mL are only ever copied from a measurement, which the geometry gate allowed; `physicalUnits` false blanks them.
 */
export function measuredCaseRows(info: BatchCaseInfo, measured: MeasurementRow[], p: RowProvenance): BatchRow[] {
  const prov = provenanceColumns(p);
  // every label of the table, empty ones too (0 mL is a result); lesion rows exist only for found lesions
  return measured.map((r): BatchRow => ({
    ...info,
    ...measurementColumns(r),
    geometryStatus: p.geometryStatus,
    error: '',
    errorMessage: '',
    ...prov,
  }));
}

/** The measurement columns of a case row (a failed case, or a study with no current measurement): no mm, no mL. */
export const NO_MEASUREMENT: MeasurementColumns = {
  label: null,
  name: '',
  kind: 'case',
  labelKind: '',
  lesionId: null,
  voxels: null,
  volumeMl: null,
  volumeMlLower: null,
  volumeMlUpper: null,
  centroidXLps: null,
  centroidYLps: null,
  centroidZLps: null,
  recistLongMm: null,
  recistShortMm: null,
};

/** The one row of a case that could not be measured: its coded error, no mm or mL. */
export function failedCaseRow(info: BatchCaseInfo, error: { code: string; message: string }, p: RowProvenance): BatchRow {
  return {
    ...info,
    ...NO_MEASUREMENT,
    geometryStatus: p.geometryStatus,
    error: error.code,
    errorMessage: error.message,
    ...provenanceColumns(p),
  };
}

/** Case order of every table: patient, study date, series, then the key (two stacks of one series). */
export function compareCases(a: BatchCaseInfo, b: BatchCaseInfo): number {
  const keys: (keyof BatchCaseInfo)[] = ['patientId', 'studyDate', 'seriesInstanceUid', 'caseKey'];
  for (const k of keys) {
    if (a[k] < b[k]) return -1;
    if (a[k] > b[k]) return 1;
  }
  return 0;
}

/** Rows of many cases in table order; rows within a case keep their order (label value, then lesion number). */
export function orderRows(cases: BatchRow[][]): BatchRow[] {
  const withRows = cases.filter((rows) => rows.length > 0);
  withRows.sort((a, b) => compareCases(a[0], b[0]));
  return withRows.flat();
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV, header first; numbers at full precision, empty cells for null. */
export function batchCsv(rows: BatchRow[]): string {
  const lines = [BATCH_COLUMNS.join(',')];
  for (const r of rows) lines.push(BATCH_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** One JSON object per line, keys in column order. */
export function batchJsonLines(rows: BatchRow[]): string {
  return rows.map((r) => JSON.stringify(Object.fromEntries(BATCH_COLUMNS.map((c) => [c, r[c]]))) + '\n').join('');
}

/** Splits RFC 4180 CSV text into records of cells (quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let n = 0; n < text.length; n++) {
    const c = text[n];
    if (quoted) {
      if (c === '"' && text[n + 1] === '"') {
        cell += '"';
        n++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[n + 1] === '\n') n++;
      row.push(cell);
      cell = '';
      if (row.some((x) => x !== '') || row.length > 1) out.push(row);
      row = [];
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    out.push(row);
  }
  return out;
}
