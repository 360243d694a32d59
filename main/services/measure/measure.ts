// Measurement service for the app, HTTP and CLI: loads inputs, puts label maps on the volume grid, measures,
// compares, and picks the reduction path (typed arrays, or ONNX Runtime on a GPU provider for big volumes).
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { compareLabelMaps, type Comparison } from '../../../shared/domain/measure/compare.js';
import { assertMeasurable, measureLabelMap, type MeasureOptions, type MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { labelReductions, type LabelReductions } from '../../../shared/domain/measure/reductions.js';
import { resampleLabelMapNearest } from '../../../shared/domain/resample.js';
import { dot, sameGrid, voxelVolumeMl, type Volume, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { chooseReductionPath, labelReductionsOnnx, type ReductionPath } from './measureOnnx.js';

export { labelHistogram, labelIntensityHistogram } from '../../../shared/domain/measure/histogram.js';

/**
 * Full measurement of a segmentation on its volume (the CLI's JSON shape). A label map on another grid is
 * resampled (nearest neighbour through LPS) onto the volume grid first; unsafe geometry is refused.
 */
export function measureSegmentation(volume: Volume, labelMap: LabelMap, geometry: GeometryReport, opts: MeasureOptions = {}): MeasurementResult {
  assertMeasurable(geometry, volume);
  const onGrid = sameGrid(volume, labelMap) ? labelMap : (resampleLabelMapNearest(labelMap, volume) as LabelMap);
  return measureLabelMap(volume, onGrid, geometry, opts);
}

export interface LabelVolumeSummary {
  value: number;
  voxels: number;
  volumeMl: number;
  mean: number;
  /** Population SD from the sums: sqrt(E[x^2] - E[x]^2), fine for HU-range data. */
  sd: number;
  min: number;
  max: number;
}

/**
 * Fast per-label volumes and HU moments without percentiles or shape measures: one streaming reduction,
 * on ONNX Runtime when a GPU provider is active and the volume is large (see chooseReductionPath).
 */
export async function labelVolumeSummary(
  volume: Volume,
  labelMap: LabelMap,
  geometry: GeometryReport,
  opts: { provider?: string; force?: ReductionPath } = {},
): Promise<{ path: ReductionPath; labels: LabelVolumeSummary[] }> {
  assertMeasurable(geometry, volume, labelMap);
  const size = maxLabel(labelMap.labels) + 1;
  const provider = opts.provider ?? 'cpu';
  const path = chooseReductionPath({ provider, voxels: labelMap.labels.length, force: opts.force });
  const r: LabelReductions =
    path === 'onnx' ? await labelReductionsOnnx(labelMap.labels, volume.voxels, size, { provider }) : labelReductions(labelMap.labels, volume.voxels, size);
  const ml = voxelVolumeMl(volume);
  const labels: LabelVolumeSummary[] = [];
  for (let v = 1; v < size; v++) {
    const n = r.count[v];
    if (n === 0) continue;
    const mean = r.sum[v] / n;
    labels.push({ value: v, voxels: n, volumeMl: n * ml, mean, sd: Math.sqrt(Math.max(0, r.sumSq[v] / n - mean * mean)), min: r.min[v], max: r.max[v] });
  }
  return { path, labels };
}

function maxLabel(labels: Uint8Array | Uint16Array): number {
  let m = 0;
  for (let p = 0; p < labels.length; p++) if (labels[p] > m) m = labels[p];
  return m;
}

/** True when the grid axes are perpendicular (the distance transform behind HD95 needs that). */
export function isOrthogonalGrid(g: VolumeGeometry, tolerance = 1e-4): boolean {
  const [a, b, c] = g.directionLps;
  return Math.abs(dot(a, b)) < tolerance && Math.abs(dot(a, c)) < tolerance && Math.abs(dot(b, c)) < tolerance;
}

/** Compares two label maps that must lie on the same grid; HD95 only on orthogonal grids (else null). */
export function compareSegmentations(a: VolumeGeometry & { labels: Uint8Array | Uint16Array }, b: VolumeGeometry & { labels: Uint8Array | Uint16Array }): Comparison {
  if (!sameGrid(a, b)) throw new AppError('INVALID_INPUT', 'The two label maps are on different grids; compare needs one grid (resample one onto the other first).');
  return compareLabelMaps(a.labels, b.labels, a.dims, a.spacingMm, { hd95: isOrthogonalGrid(a) });
}
