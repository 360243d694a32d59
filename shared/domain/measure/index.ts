// The measurement API in one import for the UI and services (pure functions on typed arrays).
export { labelHistogram, labelIntensityHistogram, maxLabelValue, type IntensityHistogram } from './histogram.js';
export { partialVolumeBand, type BandCounts } from './band.js';
export { connectedComponents, neighbourOffsets, type Connectivity, type Component, type Components } from './components.js';
export { axialPlane, maxDiameterMm, recistAxes, type AxialPlane, type RecistAxes } from './diameters.js';
export { compareLabelMaps, hd95Mm, type Comparison, type LabelAgreement } from './compare.js';
export { squaredDistanceTransformMm } from './edt.js';
export { percentileSorted, statsOfSorted, type IntensityStats } from './percentile.js';
export { labelReductions, emptyReductions, type LabelReductions } from './reductions.js';
export { anchorVoxel, assignInstanceIds, type PreviousInstance } from './instanceIdentity.js';
export { measurementCsv, measurementRows, MEASUREMENT_COLUMNS, type MeasurementRow } from './export.js';
export {
  assertMeasurable,
  measureLabelMap,
  MEASURE_COMPUTATION_VERSION,
  type InstanceMeasurement,
  type LabelMeasurement,
  type MeasureOptions,
  type MeasurementResult,
  type PanopticEntry,
} from './measureLabels.js';
