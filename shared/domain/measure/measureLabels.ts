// Per-label measurements of a label map on its volume (volumes with partial-volume band, intensity stats,
// centroid, bbox, diameters) and lesion instances with RECIST axes; the JSON the CLI prints and the UI shows.
import { AppError } from '../../errors.js';
import type { GeometryFinding, GeometryReport, GeometryStatus } from '../geometry.js';
import { requirePhysicalUnits, scanEdgeWarning, type LabelMapPlacement, type OutputWarning } from '../geometryGate.js';
import type { LabelInfo, LabelKind, LabelMap } from '../labelMap.js';
import { defaultLabelName, labelKindOf } from '../labelTable.js';
import { ijkToLps, sameGrid, voxelVolumeMl, type Vec3, type Volume, type VolumeGeometry } from '../volume.js';
import { partialVolumeBand } from './band.js';
import { connectedComponents, type Connectivity } from './components.js';
import { axialPlane, maxDiameterMm, recistAxes, type Axis } from './diameters.js';
import { labelHistogram } from './histogram.js';
import { statsOfSorted, type IntensityStats } from './percentile.js';
import { anchorVoxel, assignInstanceIds, type PreviousInstance } from './instanceIdentity.js';

/** Bumped whenever a change alters any number below; stored with every persisted measurement. */
export const MEASURE_COMPUTATION_VERSION = 'measure-1';

export interface MeasureOptions {
  /** Connectivity of lesion instances (default 6). */
  connectivity?: Connectivity;
  /** Label kinds split into instances ("things"); default ['lesion']. */
  instanceKinds?: LabelKind[];
  /** Only these label values (default: every label in the table or present in the map). */
  labelValues?: number[];
  /** The instances of the segmentation's previous measurement: their numbers carry over (instanceIdentity.ts). */
  previousInstances?: readonly PreviousInstance[];
  /** One above every instance number the segmentation ever used (default 1). */
  firstNewInstanceId?: number;
}

export interface InstanceMeasurement {
  /** Stable number of the lesion within its segmentation (instanceIdentity.ts), not a scan-order position. */
  id: number;
  /** The voxel the lesion's identity follows (its voxel nearest its centroid). */
  anchorIjk: Vec3;
  voxels: number;
  volumeMl: number;
  volumeMlLower: number;
  volumeMlUpper: number;
  centroidLps: Vec3;
  recistLongMm: number;
  recistShortMm: number;
  /** Index along geometry.axialSliceAxis of the slice with the long axis. */
  recistSlice: number;
  /** End points (voxel centres, LPS mm) of the RECIST long and short axes, on slice recistSlice. */
  recistLongEndpointsLps: [Vec3, Vec3];
  recistShortEndpointsLps: [Vec3, Vec3];
  maxDiameterMm: number;
}

export interface LabelMeasurement {
  value: number;
  name: string;
  kind: LabelKind;
  voxels: number;
  volumeMl: number;
  volumeMlLower: number;
  volumeMlUpper: number;
  /** null when the label has no voxels. */
  centroidLps: Vec3 | null;
  bboxMinIjk: Vec3 | null;
  bboxMaxIjk: Vec3 | null;
  maxDiameterMm: number | null;
  /** Intensity statistics of the volume inside the label (HU for CT); null without voxels or without a volume. */
  stats: IntensityStats | null;
  /** Connected components ("things"), only for labels of an instance kind; [] otherwise. */
  instances: InstanceMeasurement[];
  /**
   * The label reaches the first or last slice (k = 0 or k = nz - 1): it may continue beyond the scan, so its
   * volume is a lower bound. False for an empty label and on a single-slice grid.
   */
  touchesScanEdge: boolean;
}

export interface PanopticEntry {
  category: 'stuff' | 'thing';
  labelValue: number;
  name: string;
  instanceId: number | null;
  voxels: number;
  volumeMl: number;
}

export interface MeasurementResult {
  computationVersion: string;
  geometry: {
    status: GeometryStatus;
    findings: GeometryFinding[];
    dims: Vec3;
    spacingMm: Vec3;
    voxelVolumeMl: number;
    /** Grid axis held constant in the "axial" slices used for RECIST (see diameters.axialPlane). */
    axialSliceAxis: Axis;
    axialTiltDeg: number;
    /** Coded warnings that go with the numbers (label map resampled or partly covering, labels at the scan edge). */
    warnings: OutputWarning[];
    /** How the label map was put on the volume grid (absent when it was measured on its own grid). */
    labelMapPlacement?: LabelMapPlacement;
  };
  connectivity: Connectivity;
  labels: LabelMeasurement[];
  panoptic: PanopticEntry[];
}

/** The geometry gate (geometryGate.ts), plus: the label map must lie on the volume's grid (resample first). */
export function assertMeasurable(geometry: GeometryReport, volumeGrid: VolumeGeometry, labelGrid?: VolumeGeometry): void {
  requirePhysicalUnits(geometry, 'Measurements in mm and mL');
  if (labelGrid && !sameGrid(volumeGrid, labelGrid)) {
    throw new AppError('INVALID_INPUT', 'The label map is not on the volume grid: resample it onto the volume first.');
  }
}

/**
 * Measure every label. `volume` may be null (label map only: no intensity stats). Throws AppError
 * UNSAFE_GEOMETRY on unsafe geometry and INVALID_INPUT when the grids differ.
 */
export function measureLabelMap(
  volume: Volume | null,
  labelMap: LabelMap,
  geometry: GeometryReport,
  opts: MeasureOptions = {},
  placement?: LabelMapPlacement,
): MeasurementResult {
  assertMeasurable(geometry, labelMap, volume ?? undefined);
  const connectivity = opts.connectivity ?? 6;
  const instanceKinds = new Set<LabelKind>(opts.instanceKinds ?? ['lesion']);
  const g: VolumeGeometry = labelMap;
  const labels = labelMap.labels;
  const voxelMl = voxelVolumeMl(g);
  const counts = labelHistogram(labels);
  let maxLabel = 0;
  for (let v = counts.length - 1; v > 0; v--)
    if (counts[v] > 0) {
      maxLabel = v;
      break;
    }
  const tableByValue = new Map<number, LabelInfo>(labelMap.table.map((t) => [t.value, t]));
  let values = opts.labelValues ?? [...new Set([...labelMap.table.map((t) => t.value), ...presentValues(counts)])];
  values = values.filter((v) => v > 0).sort((a, b) => a - b);
  const band = partialVolumeBand(labels, g.dims, maxLabel + 1);
  const grouped = groupByLabel(labels, counts, volume);
  const plane = axialPlane(g);

  const instanceLabels = new Set(values.filter((v) => instanceKinds.has(tableByValue.get(v)?.kind ?? labelKindOf(v, undefined))));
  const comps = connectedComponents(labels, g.dims, instanceLabels, connectivity);
  const compBand = partialVolumeBand(comps.ids, g.dims, comps.components.length + 1);
  const stableIds = assignInstanceIds(comps.components, (p) => comps.ids[p] - 1, g.dims, opts.previousInstances, opts.firstNewInstanceId);

  const out: LabelMeasurement[] = [];
  for (const value of values) {
    const info = tableByValue.get(value);
    const n = value < counts.length ? counts[value] : 0;
    const idx = n > 0 ? grouped.indices.subarray(grouped.offsets[value], grouped.offsets[value] + n) : new Int32Array(0);
    const box = n > 0 ? centroidAndBox(idx, g) : null;
    let stats: IntensityStats | null = null;
    if (n > 0 && grouped.values) {
      const vals = grouped.values.slice(grouped.offsets[value], grouped.offsets[value] + n).sort();
      stats = statsOfSorted(vals);
    }
    const instances: InstanceMeasurement[] = [];
    for (const c of comps.components) {
      if (c.label !== value) continue;
      const cIdx = comps.order.subarray(c.start, c.start + c.voxels);
      const rec = recistAxes(cIdx, g, plane);
      instances.push({
        id: stableIds[c.id - 1],
        anchorIjk: anchorVoxel(cIdx, g),
        voxels: c.voxels,
        volumeMl: c.voxels * voxelMl,
        volumeMlLower: compBand.lower[c.id] * voxelMl,
        volumeMlUpper: compBand.upper[c.id] * voxelMl,
        centroidLps: centroidAndBox(cIdx, g).centroidLps,
        recistLongMm: rec.longMm,
        recistShortMm: rec.shortMm,
        recistSlice: rec.slice,
        recistLongEndpointsLps: rec.longEndpointsLps,
        recistShortEndpointsLps: rec.shortEndpointsLps,
        maxDiameterMm: maxDiameterMm(cIdx, g),
      });
    }
    instances.sort((x, y) => x.id - y.id);
    out.push({
      value,
      name: info?.name ?? defaultLabelName(value),
      kind: info?.kind ?? labelKindOf(value, undefined),
      voxels: n,
      volumeMl: n * voxelMl,
      volumeMlLower: (value < band.lower.length ? band.lower[value] : 0) * voxelMl,
      volumeMlUpper: (value < band.upper.length ? band.upper[value] : 0) * voxelMl,
      centroidLps: box?.centroidLps ?? null,
      bboxMinIjk: box?.minIjk ?? null,
      bboxMaxIjk: box?.maxIjk ?? null,
      maxDiameterMm: n > 0 ? maxDiameterMm(idx, g) : null,
      stats,
      instances,
      touchesScanEdge: box !== null && g.dims[2] > 1 && (box.minIjk[2] === 0 || box.maxIjk[2] === g.dims[2] - 1),
    });
  }
  const panoptic: PanopticEntry[] = [];
  for (const l of out) {
    if (l.voxels === 0) continue;
    if (instanceLabels.has(l.value)) {
      for (const inst of l.instances)
        panoptic.push({ category: 'thing', labelValue: l.value, name: l.name, instanceId: inst.id, voxels: inst.voxels, volumeMl: inst.volumeMl });
    } else panoptic.push({ category: 'stuff', labelValue: l.value, name: l.name, instanceId: null, voxels: l.voxels, volumeMl: l.volumeMl });
  }
  return {
    computationVersion: MEASURE_COMPUTATION_VERSION,
    geometry: {
      status: geometry.status,
      findings: geometry.findings,
      dims: [...g.dims],
      spacingMm: [...g.spacingMm],
      voxelVolumeMl: voxelMl,
      axialSliceAxis: plane.sliceAxis,
      axialTiltDeg: plane.tiltDeg,
      warnings: [...(placement?.warnings ?? []), ...scanEdgeWarning(out)],
      ...(placement ? { labelMapPlacement: placement } : {}),
    },
    connectivity,
    labels: out,
    panoptic,
  };
}

function presentValues(counts: Float64Array): number[] {
  const out: number[] = [];
  for (let v = 1; v < counts.length; v++) if (counts[v] > 0) out.push(v);
  return out;
}

interface Grouped {
  /** Voxel indices grouped by label (ascending inside a label); label v starts at offsets[v]. */
  indices: Int32Array;
  offsets: Float64Array;
  /** Volume values in the same order, or null without a volume. */
  values: Float32Array | Float64Array | null;
}

/** One pass that scatters every labelled voxel's index (and value) into its label's segment. */
function groupByLabel(labels: Uint8Array | Uint16Array, counts: Float64Array, volume: Volume | null): Grouped {
  const offsets = new Float64Array(counts.length + 1);
  for (let v = 1; v < counts.length; v++) offsets[v + 1] = offsets[v] + counts[v];
  const total = offsets[counts.length];
  const cursor = offsets.slice();
  const indices = new Int32Array(total);
  const src = volume?.voxels ?? null;
  // Float32 holds every value of 8/16-bit and float32 volumes exactly and halves the memory.
  const exactIn32 =
    src instanceof Int16Array || src instanceof Uint16Array || src instanceof Uint8Array || src instanceof Int8Array || src instanceof Float32Array;
  const values = src ? (exactIn32 ? new Float32Array(total) : new Float64Array(total)) : null;
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p];
    if (l === 0) continue;
    const at = cursor[l]++;
    indices[at] = p;
    if (values && src) values[at] = src[p];
  }
  return { indices, offsets, values };
}

function centroidAndBox(indices: Int32Array, g: VolumeGeometry): { centroidLps: Vec3; minIjk: Vec3; maxIjk: Vec3 } {
  const [nx, ny] = g.dims;
  let si = 0;
  let sj = 0;
  let sk = 0;
  const minIjk: Vec3 = [Infinity, Infinity, Infinity];
  const maxIjk: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let t = 0; t < indices.length; t++) {
    const p = indices[t];
    const k = Math.floor(p / (nx * ny));
    const r = p - k * nx * ny;
    const j = Math.floor(r / nx);
    const i = r - j * nx;
    si += i;
    sj += j;
    sk += k;
    if (i < minIjk[0]) minIjk[0] = i;
    if (i > maxIjk[0]) maxIjk[0] = i;
    if (j < minIjk[1]) minIjk[1] = j;
    if (j > maxIjk[1]) maxIjk[1] = j;
    if (k < minIjk[2]) minIjk[2] = k;
    if (k > maxIjk[2]) maxIjk[2] = k;
  }
  const n = indices.length;
  // The ijk->LPS map is affine, so the LPS centroid is the image of the mean index.
  return { centroidLps: ijkToLps(g, [si / n, sj / n, sk / n]), minIjk, maxIjk };
}
