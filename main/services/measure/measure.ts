// Measurement service for the app, HTTP and CLI: puts label maps on the volume grid, measures and compares.
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { compareLabelMaps, type Comparison } from '../../../shared/domain/measure/compare.js';
import { assertMeasurable, measureLabelMap, type MeasureOptions, type MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { resampleLabelMapNearest } from '../../../shared/domain/resample.js';
import { dot, sameGrid, type Volume, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';

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
