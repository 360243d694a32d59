// The one gate every output in mm, mL or mm-derived units passes (measure, compare/HD95, classical tools, exports,
// CLI and method table alike), and the coded warnings that travel with such numbers. Pure.
import { AppError } from '../errors.js';
import type { GeometryReport } from './geometry.js';
import { ijkToLpsMatrix, lpsToIjkMatrix, sameGrid, voxelVolumeMl, type Vec3, type VolumeGeometry } from './volume.js';

/** Warnings attached to a result whose numbers are still given (unlike UNSAFE_GEOMETRY, which refuses them). */
export type OutputWarningCode =
  | 'LABELMAP_RESAMPLED' // the label map was on another grid: moved by nearest neighbour through LPS
  | 'LABELMAP_PARTIAL_COVERAGE' // part of the series lies outside the label map: nothing is known there (not 0 mL)
  | 'LABELMAP_NO_OVERLAP' // the label map and the series do not overlap at all: every volume would be a silent 0
  | 'LABELS_OUTSIDE_SERIES' // labelled voxels of the map fall outside the series and were cropped away
  | 'TOUCHES_SCAN_EDGE' // a label reaches the first or last slice: possibly cut off by the scan, volume a lower bound
  | 'HD95_IN_VOXELS' // distances refused in mm (unsafe geometry): HD95 given in voxel units instead
  | 'LABELS_PAIRED_BY_VALUE'; // compare: names missing or not shared, labels paired by value

export interface OutputWarning {
  code: OutputWarningCode;
  message: string;
  details?: Record<string, number>;
}

/** True when mm and mL may be given for this grid. */
export function physicalUnitsAllowed(report: GeometryReport): boolean {
  return report.status !== 'unsafe';
}

/** The unsafe findings, as one readable clause. */
export function unsafeReasons(report: GeometryReport): string {
  const why = report.findings.filter((f) => f.severity === 'unsafe').map((f) => `${f.code}: ${f.message}`);
  return why.join('; ') || `recorded status ${report.status}, no detail`;
}

/**
 * THE gate: throws UNSAFE_GEOMETRY when the geometry is unsafe. `what` names the refused output
 * ("Measurements in mm and mL", "HD95 in mm", "A NIfTI export") so the message says what was refused and why.
 */
export function requirePhysicalUnits(report: GeometryReport, what = 'Measurements in mm and mL'): void {
  if (physicalUnitsAllowed(report)) return;
  throw new AppError('UNSAFE_GEOMETRY', `${what} refused: the volume geometry is unsafe (${unsafeReasons(report)}).`);
}

/**
 * A label map that must be moved onto another grid through patient space needs a trustworthy place in it: refused
 * (UNSAFE_GEOMETRY) when its own geometry is unsafe or records no orientation (left/right would be a guess).
 * On the very same grid the series' geometry vouches for it, so nothing is asked then.
 */
export function requirePlaceableLabelMap(mapGeometry: GeometryReport | undefined, needsResampling: boolean): void {
  if (!needsResampling || !mapGeometry) return;
  requirePhysicalUnits(mapGeometry, 'Placing the label map on the series through patient space');
  const noOrientation = mapGeometry.findings.find((f) => f.code === 'NIFTI_NO_ORIENTATION');
  if (noOrientation) {
    throw new AppError(
      'UNSAFE_GEOMETRY',
      `Placing the label map on the series refused: ${noOrientation.message} Give a file with a qform or sform, or one on the series grid.`,
    );
  }
}

type Labels = Uint8Array | Uint16Array;

/** How a label map was put on a series grid, and how much of each covers the other. */
export interface LabelMapPlacement {
  resampled: boolean;
  method: 'same grid' | 'nearest neighbour through LPS';
  /** The label map's own grid. */
  sourceDims: Vec3;
  sourceSpacingMm: Vec3;
  /** Fraction of the series' voxel centres that fall inside the label map's grid (1 on the same grid). */
  seriesCoveredFraction: number;
  /** Labelled (non-zero) voxels of the map, and how many of them have their centre outside the series grid. */
  labelledVoxels: number;
  labelledVoxelsOutside: number;
  warnings: OutputWarning[];
}

/**
 * Where a label map lands on a series grid (same convention as resampleLabelsNearest: a voxel centre is inside
 * when its rounded index lies in the grid). Nothing is resampled here; the coded warnings say what the
 * resampling will do: a partial cover, no overlap, labels cropped away.
 */
export function labelMapPlacement(src: VolumeGeometry & { labels: Labels }, target: VolumeGeometry): LabelMapPlacement {
  let labelled = 0;
  for (let p = 0; p < src.labels.length; p++) if (src.labels[p] !== 0) labelled++;
  const base = { sourceDims: [...src.dims] as Vec3, sourceSpacingMm: [...src.spacingMm] as Vec3, labelledVoxels: labelled };
  if (sameGrid(src, target, 1e-3)) {
    return { ...base, resampled: false, method: 'same grid', seriesCoveredFraction: 1, labelledVoxelsOutside: 0, warnings: [] };
  }
  const covered = countInside(ijkToGrid(target, src), target.dims, src.dims);
  const total = target.dims[0] * target.dims[1] * target.dims[2];
  const fraction = total === 0 ? 0 : covered / total;
  // Labelled source voxels whose centre falls outside the target grid.
  const toTarget = ijkToGrid(src, target);
  const [sx, sy] = src.dims;
  let outside = 0;
  for (let p = 0; p < src.labels.length; p++) {
    if (src.labels[p] === 0) continue;
    const k = Math.floor(p / (sx * sy));
    const j = Math.floor((p - k * sx * sy) / sx);
    const i = p - k * sx * sy - j * sx;
    if (!insideAt(toTarget, i, j, k, target.dims)) outside++;
  }
  const warnings: OutputWarning[] = [
    {
      code: 'LABELMAP_RESAMPLED',
      message:
        `The label map (${src.dims.join('x')} voxels of ${src.spacingMm.map((s) => +s.toFixed(3)).join('x')} mm) was resampled onto the series grid ` +
        `(${target.dims.join('x')} of ${target.spacingMm.map((s) => +s.toFixed(3)).join('x')} mm) by nearest neighbour through patient space (LPS).`,
    },
  ];
  if (covered === 0 || (labelled > 0 && outside === labelled)) {
    warnings.push({
      code: 'LABELMAP_NO_OVERLAP',
      message:
        'The label map does not overlap the series' +
        (labelled > 0 && outside === labelled ? ' where it has labels' : '') +
        ': a volume of 0 mL here means "not covered", not "absent".',
      details: { seriesCoveredFraction: fraction, labelledVoxelsOutside: outside },
    });
  } else if (covered < total) {
    warnings.push({
      code: 'LABELMAP_PARTIAL_COVERAGE',
      message: `The label map covers ${(100 * fraction).toFixed(1)}% of the series; outside it nothing is labelled, so organs there are not measured.`,
      details: { seriesCoveredFraction: fraction },
    });
  }
  if (outside > 0 && outside < labelled) {
    warnings.push({
      code: 'LABELS_OUTSIDE_SERIES',
      message: `${outside} of ${labelled} labelled voxels (${(outside * voxelVolumeMl(src)).toFixed(2)} mL) lie outside the series and were cropped away: volumes are of the part inside the series.`,
      details: { labelledVoxelsOutside: outside, labelledVoxels: labelled, volumeMlOutside: outside * voxelVolumeMl(src) },
    });
  }
  return { ...base, resampled: true, method: 'nearest neighbour through LPS', seriesCoveredFraction: fraction, labelledVoxelsOutside: outside, warnings };
}

/** Affine from `from`'s voxel indices to `to`'s (continuous) voxel indices, through LPS. */
function ijkToGrid(from: VolumeGeometry, to: VolumeGeometry): number[][] {
  const a = lpsToIjkMatrix(to);
  const b = ijkToLpsMatrix(from);
  const r: number[][] = [];
  for (let i = 0; i < 4; i++) {
    r.push([0, 0, 0, 0]);
    for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) r[i][j] += a[i][k] * b[k][j];
  }
  return r;
}

function insideAt(m: number[][], i: number, j: number, k: number, dims: Vec3): boolean {
  for (let r = 0; r < 3; r++) {
    const t = Math.floor(m[r][0] * i + m[r][1] * j + m[r][2] * k + m[r][3] + 0.5);
    if (t < 0 || t >= dims[r]) return false;
  }
  return true;
}

/** How many voxels of a `fromDims` grid map (by `m`) inside a `toDims` grid. */
function countInside(m: number[][], fromDims: Vec3, toDims: Vec3): number {
  let n = 0;
  for (let k = 0; k < fromDims[2]; k++) for (let j = 0; j < fromDims[1]; j++) for (let i = 0; i < fromDims[0]; i++) if (insideAt(m, i, j, k, toDims)) n++;
  return n;
}

/**
 * Labels reaching the first or last slice (k = 0 or k = nz - 1) may continue beyond the scan: their volume is a
 * lower bound. One warning naming them; empty when none does (or the grid has a single slice, where it says nothing).
 */
export function scanEdgeWarning(labels: { value: number; name: string; touchesScanEdge: boolean }[]): OutputWarning[] {
  const cut = labels.filter((l) => l.touchesScanEdge);
  if (cut.length === 0) return [];
  return [
    {
      code: 'TOUCHES_SCAN_EDGE',
      message: `Reaching the first or last slice, possibly cut off by the scan (volume is a lower bound): ${cut.map((l) => l.name).join(', ')}.`,
      details: { labels: cut.length },
    },
  ];
}
