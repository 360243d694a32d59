// Label tables once: the organ/lesion/other kinds, "value,name[,r,g,b]" table files, default names and colours,
// and the one rule for which labels are lesions; the CLI, the method table and the UI all classify through it.
import { AppError } from '../errors.js';
import { anatomyColor } from './reading/anatomyColors.js';

export const LABEL_KINDS = ['organ', 'lesion', 'other'] as const;
/** 'lesion' labels are split into instances (connected components) with RECIST diameters when measured. */
export type LabelKind = (typeof LABEL_KINDS)[number];

export interface LabelInfo {
  value: number;
  name: string;
  /** sRGB 0..255 */
  colorRgb: [number, number, number];
  kind: LabelKind;
}

/** One line of a label table file; colorRgb only when the line gave three whole numbers 0..255. */
export interface LabelTableRow {
  name: string;
  colorRgb?: [number, number, number];
}

/** The kind a label made by hand starts with: it claims neither anatomy nor lesion instances until the user says. */
export const CREATED_LABEL_KIND: LabelKind = 'other';

/** Largest label value a label map can hold (uint16). */
export const MAX_LABEL_VALUE = 65535;

export function isLabelKind(x: unknown): x is LabelKind {
  return typeof x === 'string' && (LABEL_KINDS as readonly string[]).includes(x);
}

/** Names that mean a lesion (TotalSegmentator's "lung_nodules", MSD's "tumour", "liver metastasis" …). */
const LESION_NAME = /tumou?r|lesion|metasta|nodule/i;

export function isLesionName(name: string): boolean {
  return LESION_NAME.test(name);
}

/**
 * The one kind rule. A value the caller lists as a lesion (the CLI's --lesion-labels) or a lesion-like name is a
 * lesion; any other label a table names is an organ (a named structure); an unnamed value is 'other'.
 */
export function labelKindOf(value: number, row: LabelTableRow | undefined, lesionValues?: ReadonlySet<number>): LabelKind {
  if (lesionValues?.has(value)) return 'lesion';
  if (!row) return 'other';
  return isLesionName(row.name) ? 'lesion' : 'organ';
}

export function defaultLabelName(value: number): string {
  return `label ${value}`;
}

/** A stable, distinguishable colour for a label value when the source has none. */
export function defaultLabelColor(value: number): [number, number, number] {
  // golden-angle hue walk, fixed saturation/lightness
  const h = ((value * 137.508) % 360) / 360;
  const s = 0.75;
  const l = 0.5;
  const hue2rgb = (p: number, q: number, t: number): number => {
    if (t < 0) t += 1;
    if (t > 1) t -= 1;
    if (t < 1 / 6) return p + (q - p) * 6 * t;
    if (t < 1 / 2) return q;
    if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
    return p;
  };
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  return [hue2rgb(p, q, h + 1 / 3), hue2rgb(p, q, h), hue2rgb(p, q, h - 1 / 3)].map((x) => Math.round(x * 255)) as [number, number, number];
}

/** Cells of one CSV line; a cell in double quotes may hold commas ("liver, segment 4") and "" for a quote. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let n = 0; n < line.length; n++) {
    const c = line[n];
    if (quoted) {
      if (c === '"' && line[n + 1] === '"') {
        cell += '"';
        n++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (c === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(quoted ? cell : cell.trim());
  return cells;
}

/**
 * `value,name[,r,g,b]` lines (TotalSegmentator's labels_total.csv has value,name). Lines whose first cell is not a
 * label value 1..65535 (a header, blank lines) are skipped; a table with no label line at all is refused.
 */
export function parseLabelTable(text: string): Map<number, LabelTableRow> {
  const out = new Map<number, LabelTableRow>();
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells = csvCells(line);
    const value = Number(cells[0]);
    if (cells[0] === '' || !Number.isInteger(value) || value <= 0 || value > MAX_LABEL_VALUE || !cells[1]) continue;
    const rgb = cells.slice(2, 5).map((c) => (c === '' ? NaN : Number(c)));
    const colorRgb = rgb.length === 3 && rgb.every((c) => Number.isInteger(c) && c >= 0 && c <= 255) ? (rgb as [number, number, number]) : undefined;
    out.set(value, colorRgb ? { name: cells[1], colorRgb } : { name: cells[1] });
  }
  if (out.size === 0) throw new AppError('INVALID_INPUT', 'The label table has no "value,name" lines.');
  return out;
}

/** The non-zero values present in a label map, ascending. */
export function labelValuesPresent(labels: Uint8Array | Uint16Array): number[] {
  const seen = new Uint8Array(MAX_LABEL_VALUE + 1);
  for (let p = 0; p < labels.length; p++) seen[labels[p]] = 1;
  const out: number[] = [];
  for (let v = 1; v <= MAX_LABEL_VALUE; v++) if (seen[v]) out.push(v);
  return out;
}

/**
 * The table of a label map that came without one (NIfTI): every value present, named and coloured from `rows`
 * when given (else "label N" and a default colour), kinds by labelKindOf.
 */
export function labelTableFor(
  labels: Uint8Array | Uint16Array,
  opts: { rows?: ReadonlyMap<number, LabelTableRow> | null; lesionValues?: ReadonlySet<number> } = {},
): LabelInfo[] {
  return labelValuesPresent(labels).map((value) => {
    const row = opts.rows?.get(value);
    return {
      value,
      name: row?.name ?? defaultLabelName(value),
      // Explicit colour first, then the standard anatomy colour of a known name, then the per-value default.
      colorRgb: row?.colorRgb ?? (row?.name ? anatomyColor(row.name) : null) ?? defaultLabelColor(value),
      kind: labelKindOf(value, row, opts.lesionValues),
    };
  });
}
