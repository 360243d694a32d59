// What the planning commands (mesh, distance, resect) share: a NIfTI label map with its table (names from
// --label-names, lesion kinds from --lesion-labels or their names), passed through the geometry gate, and labels
// named on the command line by value or by name.
import { readFileSync } from 'node:fs';
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { labelTableFor, parseLabelTable } from '../../../shared/domain/labelTable.js';
import { AppError } from '../../../shared/errors.js';
import { readNiftiLabels } from '../../services/nifti/nifti.js';

export const LABEL_TABLE_OPTIONS = {
  'label-names': { type: 'string' },
  'lesion-labels': { type: 'string' },
} as const;

export const LABEL_TABLE_USAGE =
  '  NAMES.csv (--label-names) has lines "value,name[,r,g,b]"; --lesion-labels V,V... marks lesion labels (also lesion-like names).';

/** The label map of a NIfTI file, refused (UNSAFE_GEOMETRY) when its geometry does not allow mm: `what` names the output. */
export async function loadGatedLabelMap(
  path: string,
  opts: { 'label-names'?: string; 'lesion-labels'?: string },
  what: string,
): Promise<{ labelMap: LabelMap; geometry: GeometryReport }> {
  const seg = await readNiftiLabels(path);
  requirePhysicalUnits(seg.geometryReport, what);
  const rows = opts['label-names'] ? parseLabelTable(readFileSync(opts['label-names'], 'utf8')) : null;
  const lesionValues = new Set(
    (opts['lesion-labels'] ?? '')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map(Number),
  );
  const { geometryReport, ...grid } = seg;
  return { labelMap: { ...grid, table: labelTableFor(seg.labels, { rows, lesionValues }) }, geometry: geometryReport };
}

/** A label given as its value or its name (case-insensitive); INVALID_INPUT when the map has no such label. */
export function resolveLabel(labelMap: LabelMap, text: string): number {
  const t = text.trim();
  const asNumber = Number(t);
  if (t !== '' && Number.isInteger(asNumber)) {
    if (!labelMap.table.some((l) => l.value === asNumber)) throw new AppError('INVALID_INPUT', `The label map has no voxel with label ${asNumber}.`);
    return asNumber;
  }
  const byName = labelMap.table.find((l) => l.name.toLowerCase() === t.toLowerCase());
  if (!byName) {
    throw new AppError('INVALID_INPUT', `No label named '${t}' in the label map (give a value, or names with --label-names).`);
  }
  return byName.value;
}
