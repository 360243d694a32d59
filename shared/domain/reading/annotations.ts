// Reading annotations' maths: angle at a vertex from three LPS points, and region-of-interest statistics (ellipse or
// freehand polygon) on one slice plane of a volume. Points come in continuous voxel coordinates (i, j, k) as picked
// on a view; every figure in mm, mm² or degrees passes the one geometry gate (null where the grid is unsafe).
import { physicalUnitsAllowed } from '../geometryGate.js';
import type { GeometryReport } from '../geometry.js';
import { cross, ijkToLps, ijkToLpsMatrix, norm, sub, voxelIndex, type Vec3, type VolumeGeometry, type VoxelArray } from '../volume.js';

/** Bumped whenever a change alters a stored annotation's figures (stored with each; exports flag older ones). */
export const ANNOTATION_COMPUTATION_VERSION = 'annotation-1';

/** Angle ABC in degrees (vertex B) between the LPS vectors B→A and B→C; null for a zero-length arm. */
export function angleDegreesLps(a: Vec3, b: Vec3, c: Vec3): number | null {
  const u = sub(a, b);
  const v = sub(c, b);
  const nu = norm(u);
  const nv = norm(v);
  if (nu === 0 || nv === 0) return null;
  // atan2 of |u×v| and u·v: accurate near 0° and 180° where acos loses digits.
  const d = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  return (Math.atan2(norm(cross(u, v)), d) * 180) / Math.PI;
}

/** The angle of three voxel-coordinate points in patient space (the grid's spacing and direction), through the gate. */
export function angleDegrees(g: VolumeGeometry, report: GeometryReport, aIjk: Vec3, bIjk: Vec3, cIjk: Vec3): number | null {
  if (!physicalUnitsAllowed(report)) return null;
  return angleDegreesLps(ijkToLps(g, aIjk), ijkToLps(g, bIjk), ijkToLps(g, cIjk));
}

/** Shoelace area of a simple polygon given as 2D points (any winding); 0 for fewer than 3 points. */
export function polygonArea2d(pts: [number, number][]): number {
  let s = 0;
  for (let n = 0; n < pts.length; n++) {
    const [x0, y0] = pts[n]!;
    const [x1, y1] = pts[(n + 1) % pts.length]!;
    s += x0 * y1 - x1 * y0;
  }
  return pts.length < 3 ? 0 : Math.abs(s) / 2;
}

/** Even-odd rule: is (x, y) inside the polygon? */
export function pointInPolygon(x: number, y: number, pts: [number, number][]): boolean {
  let inside = false;
  for (let n = 0, m = pts.length - 1; n < pts.length; m = n++) {
    const [xi, yi] = pts[n]!;
    const [xj, yj] = pts[m]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export type RoiShape = { kind: 'ellipse'; cornersIjk: [Vec3, Vec3] } | { kind: 'freehand'; pointsIjk: Vec3[] };

export interface RoiStats {
  /** The voxel axis normal to the ROI's slice (0 = i, 1 = j, 2 = k) and the slice index along it. */
  sliceAxis: 0 | 1 | 2;
  sliceIndex: number;
  /** Voxels whose centres lie inside the shape on that slice. */
  voxelCount: number;
  /** In the series' intensity unit (HU for CT); null when no voxel centre is inside. */
  mean: number | null;
  /** Population standard deviation (divides by N). */
  sd: number | null;
  min: number | null;
  max: number | null;
  /** Area of the drawn shape on the slice plane (mm²); null where the geometry is unsafe. */
  areaMm2: number | null;
}

/** The slice axis shared by all points: the axis along which every point has the same (rounded) coordinate. */
export function roiSliceAxis(points: Vec3[]): { axis: 0 | 1 | 2; index: number } | null {
  for (const axis of [2, 1, 0] as const) {
    const idx = Math.round(points[0]![axis]);
    if (points.every((p) => Math.round(p[axis]) === idx)) return { axis, index: idx };
  }
  return null;
}

/** The in-plane axes of a slice normal to `axis`, in increasing order. */
function inPlaneAxes(axis: 0 | 1 | 2): [number, number] {
  return axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
}

/** mm² of one unit of voxel-coordinate area on a slice normal to `axis`: |column u × column v| of the ijk→LPS matrix. */
export function pixelAreaMm2(g: VolumeGeometry, axis: 0 | 1 | 2): number {
  const m = ijkToLpsMatrix(g);
  const [u, v] = inPlaneAxes(axis);
  const col = (c: number): Vec3 => [m[0]![c]!, m[1]![c]!, m[2]![c]!];
  return norm(cross(col(u), col(v)));
}

/**
 * Statistics of the voxels whose centres lie inside the ROI on its slice. The ellipse is the one inscribed in the
 * box of its two opposite corners (in voxel coordinates of the slice); the freehand shape is a closed polygon.
 * Throws RangeError when the points do not share one slice or the slice lies outside the volume.
 */
export function roiStats(g: VolumeGeometry & { voxels: VoxelArray }, report: GeometryReport, shape: RoiShape): RoiStats {
  const pts = shape.kind === 'ellipse' ? shape.cornersIjk : shape.pointsIjk;
  const plane = roiSliceAxis(pts);
  if (!plane) throw new RangeError('The ROI points do not lie on one slice.');
  const { axis, index } = plane;
  if (index < 0 || index >= g.dims[axis]) throw new RangeError(`The ROI's slice ${index} is outside the volume.`);
  const [ua, va] = inPlaneAxes(axis);
  let inside: (x: number, y: number) => boolean;
  let areaVox: number;
  let lo: [number, number];
  let hi: [number, number];
  if (shape.kind === 'ellipse') {
    const [p, q] = shape.cornersIjk;
    const cx = (p[ua] + q[ua]) / 2;
    const cy = (p[va] + q[va]) / 2;
    const rx = Math.abs(p[ua] - q[ua]) / 2;
    const ry = Math.abs(p[va] - q[va]) / 2;
    areaVox = Math.PI * rx * ry;
    inside = (x, y) => rx > 0 && ry > 0 && ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
    lo = [cx - rx, cy - ry];
    hi = [cx + rx, cy + ry];
  } else {
    const poly = shape.pointsIjk.map((p) => [p[ua], p[va]] as [number, number]);
    areaVox = polygonArea2d(poly);
    inside = (x, y) => pointInPolygon(x, y, poly);
    lo = [Math.min(...poly.map((p) => p[0])), Math.min(...poly.map((p) => p[1]))];
    hi = [Math.max(...poly.map((p) => p[0])), Math.max(...poly.map((p) => p[1]))];
  }
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const values: number[] = [];
  const ijk = [0, 0, 0];
  ijk[axis] = index;
  for (let y = Math.max(0, Math.ceil(lo[1])); y <= Math.min(g.dims[va] - 1, Math.floor(hi[1])); y++) {
    for (let x = Math.max(0, Math.ceil(lo[0])); x <= Math.min(g.dims[ua] - 1, Math.floor(hi[0])); x++) {
      if (!inside(x, y)) continue;
      ijk[ua] = x;
      ijk[va] = y;
      const value = g.voxels[voxelIndex(g, ijk[0]!, ijk[1]!, ijk[2]!)]!;
      values.push(value);
      sum += value;
      n++;
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  const mean = n > 0 ? sum / n : null;
  let sd: number | null = null;
  if (mean !== null) {
    let ss = 0;
    for (const v of values) ss += (v - mean) ** 2;
    sd = Math.sqrt(ss / n);
  }
  return {
    sliceAxis: axis,
    sliceIndex: index,
    voxelCount: n,
    mean,
    sd,
    min: n > 0 ? min : null,
    max: n > 0 ? max : null,
    areaMm2: physicalUnitsAllowed(report) ? areaVox * pixelAreaMm2(g, axis) : null,
  };
}

/** The intensity unit of a series' voxels: HU only for CT (stored values are already rescaled to modality units). */
export function intensityUnitOf(modality: string): string {
  return modality.toUpperCase() === 'CT' ? 'HU' : 'stored value';
}
