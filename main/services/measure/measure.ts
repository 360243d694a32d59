// Measurement service for the app, HTTP and CLI: puts label maps on the volume grid, measures and compares.
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { labelMapPlacement, physicalUnitsAllowed, requirePlaceableLabelMap, type OutputWarning } from '../../../shared/domain/geometryGate.js';
import type { LabelInfo, LabelMap } from '../../../shared/domain/labelMap.js';
import {
  compareLabelMaps,
  isRealLabelName,
  pairLabels,
  relabelForPairing,
  type LabelPairing,
  type NamedLabel,
} from '../../../shared/domain/measure/compare.js';
import { assertMeasurable, measureLabelMap, type MeasureOptions, type MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { resampleLabelMapNearest } from '../../../shared/domain/resample.js';
import { dot, sameGrid, type Volume, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';

export { labelHistogram, labelIntensityHistogram } from '../../../shared/domain/measure/histogram.js';

/**
 * Full measurement of a segmentation on its volume (the CLI's JSON shape). A label map on another grid is
 * resampled (nearest neighbour through LPS) onto the volume grid first; unsafe geometry is refused.
 */
export function measureSegmentation(
  volume: Volume,
  labelMap: LabelMap,
  geometry: GeometryReport,
  opts: MeasureOptions = {},
  /** The label map file's own geometry (a NIfTI's), checked when the map has to be moved onto the volume grid. */
  labelMapGeometry?: GeometryReport,
): MeasurementResult {
  assertMeasurable(geometry, volume);
  requirePlaceableLabelMap(labelMapGeometry, !sameGrid(volume, labelMap, 1e-3));
  const placement = labelMapPlacement(labelMap, volume);
  const onGrid = sameGrid(volume, labelMap) ? labelMap : (resampleLabelMapNearest(labelMap, volume) as LabelMap);
  return measureLabelMap(volume, onGrid, geometry, opts, placement);
}

/** True when the grid axes are perpendicular (the distance transform behind HD95 needs that). */
export function isOrthogonalGrid(g: VolumeGeometry, tolerance = 1e-4): boolean {
  const [a, b, c] = g.directionLps;
  return Math.abs(dot(a, b)) < tolerance && Math.abs(dot(a, c)) < tolerance && Math.abs(dot(b, c)) < tolerance;
}

type LabelGrid = VolumeGeometry & { labels: Uint8Array | Uint16Array };

export interface PairedAgreement {
  valueA: number | null;
  valueB: number | null;
  nameA: string | null;
  nameB: string | null;
  voxelsA: number;
  voxelsB: number;
  dice: number;
  iou: number;
  /** null on unsafe geometry (mm refused), on non-orthogonal grids, or when either mask is empty. */
  hd95Mm: number | null;
  /** HD95 in voxel units (unit spacing), given only when mm were refused. */
  hd95Voxels: number | null;
}

export interface PairedComparison {
  pixelAccuracy: number;
  pairedBy: 'name' | 'value';
  /** 'mm', 'voxels' (mm refused by the geometry gate) or null (not computed: non-orthogonal grid). */
  hd95Unit: 'mm' | 'voxels' | null;
  geometry: GeometryReport;
  warnings: OutputWarning[];
  labels: PairedAgreement[];
}

/**
 * Compares two label maps on one grid, labels paired by name (by value when names are missing). HD95 passes the
 * geometry gate: in mm on safe geometry, in voxel units (labelled so) on unsafe geometry; none on sheared grids.
 */
export function compareSegmentations(
  a: LabelGrid,
  b: LabelGrid,
  geometry: GeometryReport,
  names: { a?: ReadonlyMap<number, string>; b?: ReadonlyMap<number, string> } = {},
): PairedComparison {
  if (!sameGrid(a, b))
    throw new AppError('INVALID_INPUT', 'The two label maps are on different grids; compare needs one grid (resample one onto the other first).');
  const present = (m: LabelGrid, nm?: ReadonlyMap<number, string>): NamedLabel[] => {
    const seen = new Uint8Array(65536);
    for (let p = 0; p < m.labels.length; p++) seen[m.labels[p]] = 1;
    const out: NamedLabel[] = [];
    for (let v = 1; v < 65536; v++) if (seen[v]) out.push({ value: v, name: nm?.get(v) ?? null });
    return out;
  };
  const pairing: LabelPairing = pairLabels(present(a, names.a), present(b, names.b));
  const relabelled = relabelForPairing(b.labels, pairing);
  const mmAllowed = physicalUnitsAllowed(geometry);
  const orthogonal = isOrthogonalGrid(a);
  const spacing = mmAllowed ? a.spacingMm : ([1, 1, 1] as VolumeGeometry['spacingMm']);
  const cmp = compareLabelMaps(a.labels, relabelled.b, a.dims, spacing, { hd95: orthogonal });
  const byValue = new Map(cmp.labels.map((l) => [l.value, l]));
  const warnings: OutputWarning[] = [];
  if (pairing.by === 'value') {
    warnings.push({
      code: 'LABELS_PAIRED_BY_VALUE',
      message: `Labels paired by value, not by name (${pairing.fallbackReason}): check that equal values mean the same structure.`,
    });
  }
  if (!mmAllowed && orthogonal) {
    warnings.push({
      code: 'HD95_IN_VOXELS',
      message: `HD95 is given in voxel units, not mm: the geometry is unsafe (${
        geometry.findings
          .filter((f) => f.severity === 'unsafe')
          .map((f) => f.code)
          .join(', ') || 'recorded unsafe'
      }).`,
    });
  }
  const labels = pairing.pairs.map((p, n): PairedAgreement => {
    const l = byValue.get(relabelled.valueOfPair[n]);
    const hd = l?.hd95Mm ?? null;
    return {
      valueA: p.valueA,
      valueB: p.valueB,
      nameA: p.nameA,
      nameB: p.nameB,
      voxelsA: l?.voxelsA ?? 0,
      voxelsB: l?.voxelsB ?? 0,
      dice: l?.dice ?? 0,
      iou: l?.iou ?? 0,
      hd95Mm: mmAllowed ? hd : null,
      hd95Voxels: mmAllowed ? null : hd,
    };
  });
  return { pixelAccuracy: cmp.pixelAccuracy, pairedBy: pairing.by, hd95Unit: orthogonal ? (mmAllowed ? 'mm' : 'voxels') : null, geometry, warnings, labels };
}

/** Names worth pairing by (a label table's names that say more than "label N"). */
export function labelNamesOf(table: readonly LabelInfo[]): Map<number, string> {
  return new Map(table.filter((t) => isRealLabelName(t.name)).map((t) => [t.value, t.name]));
}
