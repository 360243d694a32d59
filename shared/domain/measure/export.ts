// Flat measurement rows (one per label and one per lesion instance) and their CSV form, for export and the DB.
import type { LabelKind } from '../labelMap.js';
import type { MeasurementResult } from './measureLabels.js';

export interface MeasurementRow {
  labelValue: number;
  /** 0 for the whole label, else the lesion instance's stable number (instanceIdentity.ts). */
  instanceId: number;
  /** The instance's anchor voxel (its identity; instanceIdentity.ts); null on whole-label rows. Not a CSV column. */
  anchorIjk: [number, number, number] | null;
  labelName: string;
  kind: LabelKind;
  voxels: number;
  volumeMl: number;
  volumeMlLower: number;
  volumeMlUpper: number;
  centroidXLps: number | null;
  centroidYLps: number | null;
  centroidZLps: number | null;
  maxDiameterMm: number | null;
  recistLongMm: number | null;
  recistShortMm: number | null;
  mean: number | null;
  sd: number | null;
  min: number | null;
  max: number | null;
  median: number | null;
  p5: number | null;
  p95: number | null;
}

export const MEASUREMENT_COLUMNS: Exclude<keyof MeasurementRow, 'anchorIjk'>[] = [
  'labelValue',
  'instanceId',
  'labelName',
  'kind',
  'voxels',
  'volumeMl',
  'volumeMlLower',
  'volumeMlUpper',
  'centroidXLps',
  'centroidYLps',
  'centroidZLps',
  'maxDiameterMm',
  'recistLongMm',
  'recistShortMm',
  'mean',
  'sd',
  'min',
  'max',
  'median',
  'p5',
  'p95',
];

export function measurementRows(result: MeasurementResult): MeasurementRow[] {
  const rows: MeasurementRow[] = [];
  for (const l of result.labels) {
    const s = l.stats;
    rows.push({
      labelValue: l.value,
      instanceId: 0,
      anchorIjk: null,
      labelName: l.name,
      kind: l.kind,
      voxels: l.voxels,
      volumeMl: l.volumeMl,
      volumeMlLower: l.volumeMlLower,
      volumeMlUpper: l.volumeMlUpper,
      centroidXLps: l.centroidLps?.[0] ?? null,
      centroidYLps: l.centroidLps?.[1] ?? null,
      centroidZLps: l.centroidLps?.[2] ?? null,
      maxDiameterMm: l.maxDiameterMm,
      recistLongMm: null,
      recistShortMm: null,
      mean: s?.mean ?? null,
      sd: s?.sd ?? null,
      min: s?.min ?? null,
      max: s?.max ?? null,
      median: s?.median ?? null,
      p5: s?.p5 ?? null,
      p95: s?.p95 ?? null,
    });
    for (const inst of l.instances) {
      rows.push({
        labelValue: l.value,
        instanceId: inst.id,
        anchorIjk: [...inst.anchorIjk],
        labelName: l.name,
        kind: l.kind,
        voxels: inst.voxels,
        volumeMl: inst.volumeMl,
        volumeMlLower: inst.volumeMlLower,
        volumeMlUpper: inst.volumeMlUpper,
        centroidXLps: inst.centroidLps[0],
        centroidYLps: inst.centroidLps[1],
        centroidZLps: inst.centroidLps[2],
        maxDiameterMm: inst.maxDiameterMm,
        recistLongMm: inst.recistLongMm,
        recistShortMm: inst.recistShortMm,
        mean: null,
        sd: null,
        min: null,
        max: null,
        median: null,
        p5: null,
        p95: null,
      });
    }
  }
  return rows;
}

/**
 * RFC 4180 CSV with a header line; numbers at full precision, empty cells for null. With `intensityUnit` a last
 * column names the unit of mean..p95 on every row ('HU' only for CT), so a spreadsheet never guesses it.
 */
export function measurementCsv(rows: MeasurementRow[], intensityUnit?: string): string {
  const cell = (v: string | number | null): string => {
    if (v === null) return '';
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const unitCells = intensityUnit === undefined ? [] : [cell(intensityUnit)];
  const lines = [[...MEASUREMENT_COLUMNS, ...(intensityUnit === undefined ? [] : ['intensityUnit'])].join(',')];
  for (const r of rows) lines.push([...MEASUREMENT_COLUMNS.map((c) => cell(r[c])), ...unitCells].join(','));
  return lines.join('\r\n') + '\r\n';
}
