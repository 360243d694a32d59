// Exact diameters of voxel sets: the farthest pair of voxel centres and RECIST 1.1 long/short axes.
// Any voxel that is not a vertex of its slice's 2D convex hull is a convex combination of other voxels,
// so only per-slice hull vertices can be diameter endpoints; hulls are computed on integer indices (convexity
// survives the affine ijk->LPS map) and the distances in LPS mm.
import { cross, dot, ijkToLpsMatrix, norm, normalize, type Vec3, type VolumeGeometry } from '../volume.js';

export type Axis = 0 | 1 | 2;

/** Per-slice convex hull vertices (as ijk) of the voxels `indices`, slicing along `sliceAxis`. */
export function sliceHullVertices(indices: ArrayLike<number>, dims: Vec3, sliceAxis: Axis): Map<number, Vec3[]> {
  const [nx, ny] = dims;
  const u: Axis = sliceAxis === 0 ? 1 : 0; // in-row axis
  const w: Axis = sliceAxis === 2 ? 1 : 2; // row axis
  // Row extremes on the bounding box of the set; a row is one line along u at fixed (slice, w).
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  const c: Vec3 = [0, 0, 0];
  const decode = (p: number): void => {
    c[2] = Math.floor(p / (nx * ny));
    const r = p - c[2] * nx * ny;
    c[1] = Math.floor(r / nx);
    c[0] = r - c[1] * nx;
  };
  for (let t = 0; t < indices.length; t++) {
    decode(indices[t]);
    for (let a = 0; a < 3; a++) {
      if (c[a] < lo[a]) lo[a] = c[a];
      if (c[a] > hi[a]) hi[a] = c[a];
    }
  }
  const out = new Map<number, Vec3[]>();
  if (indices.length === 0) return out;
  const nS = hi[sliceAxis] - lo[sliceAxis] + 1;
  const nW = hi[w] - lo[w] + 1;
  const rowMin = new Int32Array(nS * nW).fill(0x7fffffff);
  const rowMax = new Int32Array(nS * nW).fill(-1);
  for (let t = 0; t < indices.length; t++) {
    decode(indices[t]);
    const row = (c[sliceAxis] - lo[sliceAxis]) * nW + (c[w] - lo[w]);
    if (c[u] < rowMin[row]) rowMin[row] = c[u];
    if (c[u] > rowMax[row]) rowMax[row] = c[u];
  }
  for (let s = 0; s < nS; s++) {
    const pts: [number, number][] = [];
    for (let r = 0; r < nW; r++) {
      const row = s * nW + r;
      if (rowMax[row] < 0) continue;
      pts.push([rowMin[row], r + lo[w]]);
      if (rowMax[row] !== rowMin[row]) pts.push([rowMax[row], r + lo[w]]);
    }
    if (pts.length === 0) continue;
    const hull = convexHull2d(pts);
    out.set(
      s + lo[sliceAxis],
      hull.map(([pu, pw]) => {
        const v: Vec3 = [0, 0, 0];
        v[sliceAxis] = s + lo[sliceAxis];
        v[u] = pu;
        v[w] = pw;
        return v;
      }),
    );
  }
  return out;
}

/** Andrew's monotone chain on integer points; collinear points dropped. Exact (integer cross products). */
export function convexHull2d(points: [number, number][]): [number, number][] {
  const pts = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length <= 2) return pts;
  const crossZ = (o: [number, number], a: [number, number], b: [number, number]): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const p of pts) {
    while (lower.length >= 2 && crossZ(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let t = pts.length - 1; t >= 0; t--) {
    const p = pts[t];
    while (upper.length >= 2 && crossZ(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  const hull = lower.concat(upper);
  return hull.length > 0 ? hull : [pts[0]];
}

function toLps(m: number[][], v: Vec3): Vec3 {
  return [
    m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2] + m[0][3],
    m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2] + m[1][3],
    m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2] + m[2][3],
  ];
}

/** Largest distance (mm) between two voxel centres of the set; 0 for a single voxel. */
export function maxDiameterMm(indices: ArrayLike<number>, g: VolumeGeometry): number {
  const m = ijkToLpsMatrix(g);
  const pts: Vec3[] = [];
  for (const hull of sliceHullVertices(indices, g.dims, 2).values()) for (const v of hull) pts.push(toLps(m, v));
  return farthestPair(pts).distanceMm;
}

/** Farthest pair by brute force with a triangle-inequality cut: |ab| <= |ac| + |cb| for the centroid c. */
export function farthestPair(pts: Vec3[]): { distanceMm: number; a: Vec3; b: Vec3 } {
  if (pts.length === 0) return { distanceMm: 0, a: [0, 0, 0], b: [0, 0, 0] };
  const cen: Vec3 = [0, 0, 0];
  for (const p of pts) for (let a = 0; a < 3; a++) cen[a] += p[a] / pts.length;
  const withR = pts.map((p) => ({ p, r: Math.hypot(p[0] - cen[0], p[1] - cen[1], p[2] - cen[2]) })).sort((x, y) => y.r - x.r);
  let best2 = 0;
  let best = 0;
  let a = withR[0].p;
  let b = withR[0].p;
  for (let s = 0; s < withR.length; s++) {
    if (withR[s].r + withR[0].r <= best) break;
    const ps = withR[s].p;
    for (let t = s + 1; t < withR.length; t++) {
      if (withR[s].r + withR[t].r <= best) break;
      const pt = withR[t].p;
      const dx = ps[0] - pt[0];
      const dy = ps[1] - pt[1];
      const dz = ps[2] - pt[2];
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 > best2) {
        best2 = d2;
        best = Math.sqrt(d2);
        a = ps;
        b = pt;
      }
    }
  }
  return { distanceMm: best, a, b };
}

export interface AxialPlane {
  /** Grid axis held constant in an "axial" slice: the one whose slice plane normal is closest to the S axis. */
  sliceAxis: Axis;
  /** Angle (degrees) between that slice plane's normal and the patient S axis; 0 for a true axial grid. */
  tiltDeg: number;
}

/**
 * "Axial" on an oblique grid means the grid's own slice plane that is closest to the patient's axial plane
 * (the plane a viewer shows as axial without resampling). Diameters in it are exact in mm; when tiltDeg > 0
 * they are measured in that tilted plane, not in a resampled true-axial plane.
 */
export function axialPlane(g: VolumeGeometry): AxialPlane {
  let best: AxialPlane = { sliceAxis: 2, tiltDeg: 90 };
  for (const a of [2, 1, 0] as Axis[]) {
    const others = ([0, 1, 2] as Axis[]).filter((x) => x !== a);
    const normal = normalize(cross(g.directionLps[others[0]], g.directionLps[others[1]]));
    const tiltDeg = (Math.acos(Math.min(1, Math.abs(normal[2]))) * 180) / Math.PI;
    if (tiltDeg < best.tiltDeg - 1e-9) best = { sliceAxis: a, tiltDeg };
  }
  return best;
}

export interface RecistAxes {
  /** Largest in-plane distance between voxel centres over all axial slices (mm). */
  longMm: number;
  /**
   * RECIST 1.1 short axis: the longest diameter perpendicular to the long axis in the same slice (mm) — a segment
   * between two voxel centres of the lesion that lies inside the lesion, not the caliper width across it.
   */
  shortMm: number;
  /** Index along plane.sliceAxis of the slice holding the long axis. */
  slice: number;
  longEndpointsLps: [Vec3, Vec3];
  /** The short axis' end points (voxel centres), for drawing; equal points when shortMm is 0. */
  shortEndpointsLps: [Vec3, Vec3];
}

/** RECIST 1.1 long axis and perpendicular short axis of a voxel set, in the axial plane of `axialPlane(g)`. */
export function recistAxes(indices: ArrayLike<number>, g: VolumeGeometry, plane: AxialPlane = axialPlane(g)): RecistAxes {
  const m = ijkToLpsMatrix(g);
  let best: RecistAxes = {
    longMm: 0,
    shortMm: 0,
    slice: -1,
    longEndpointsLps: [
      [0, 0, 0],
      [0, 0, 0],
    ],
    shortEndpointsLps: [
      [0, 0, 0],
      [0, 0, 0],
    ],
  };
  for (const [slice, hull] of sliceHullVertices(indices, g.dims, plane.sliceAxis)) {
    const pts = hull.map((v) => toLps(m, v));
    const fp = farthestPair(pts);
    if (best.slice < 0 || fp.distanceMm > best.longMm) {
      best = { longMm: fp.distanceMm, shortMm: 0, slice, longEndpointsLps: [fp.a, fp.b], shortEndpointsLps: [fp.a, fp.a] };
    }
  }
  if (best.longMm > 0) {
    const short = perpendicularDiameter(indices, g, plane.sliceAxis, best.slice, best.longEndpointsLps);
    best.shortMm = short.lengthMm;
    best.shortEndpointsLps = short.endpointsLps;
  }
  return best;
}

/**
 * The longest segment perpendicular to the long axis a→b, in slice `slice`, whose end points are voxel centres of
 * the set and which lies inside the set. "Perpendicular" on a voxel grid: a line exactly perpendicular to the long
 * axis passes through both end pixels (their positions along the long axis differ by at most one pixel's extent
 * along it); the length is the extent across the long axis (the projection on the exact perpendicular). "Inside": every point of the segment, sampled at a
 * quarter of the smallest in-plane step, has its nearest voxel in the set (the lesion as its pixels, gaps excluded).
 */
export function perpendicularDiameter(
  indices: ArrayLike<number>,
  g: VolumeGeometry,
  sliceAxis: Axis,
  slice: number,
  [a, b]: [Vec3, Vec3],
): { lengthMm: number; endpointsLps: [Vec3, Vec3] } {
  const [nx, ny] = g.dims;
  const u: Axis = sliceAxis === 0 ? 1 : 0;
  const w: Axis = sliceAxis === 2 ? 1 : 2;
  const m = ijkToLpsMatrix(g);
  // In-slice voxels as (u, w) index pairs and a mask over their bounding box.
  const us: number[] = [];
  const ws: number[] = [];
  const c: Vec3 = [0, 0, 0];
  for (let t = 0; t < indices.length; t++) {
    const p = indices[t];
    c[2] = Math.floor(p / (nx * ny));
    const r = p - c[2] * nx * ny;
    c[1] = Math.floor(r / nx);
    c[0] = r - c[1] * nx;
    if (c[sliceAxis] !== slice) continue;
    us.push(c[u]);
    ws.push(c[w]);
  }
  const n = us.length;
  if (n === 0) return { lengthMm: 0, endpointsLps: [a, a] };
  let u0 = Infinity;
  let w0 = Infinity;
  let u1 = -Infinity;
  let w1 = -Infinity;
  for (let t = 0; t < n; t++) {
    u0 = Math.min(u0, us[t]);
    u1 = Math.max(u1, us[t]);
    w0 = Math.min(w0, ws[t]);
    w1 = Math.max(w1, ws[t]);
  }
  const bw = u1 - u0 + 1;
  const mask = new Uint8Array(bw * (w1 - w0 + 1));
  for (let t = 0; t < n; t++) mask[us[t] - u0 + bw * (ws[t] - w0)] = 1;

  // Unit long-axis direction d and in-plane perpendicular e; (s, t) coordinates of each centre along them.
  const normal = normalize(cross(g.directionLps[u], g.directionLps[w]));
  const d = normalize([b[0] - a[0], b[1] - a[1], b[2] - a[2]]);
  const e = normalize(cross(normal, d));
  const stepU: Vec3 = [g.directionLps[u][0] * g.spacingMm[u], g.directionLps[u][1] * g.spacingMm[u], g.directionLps[u][2] * g.spacingMm[u]];
  const stepW: Vec3 = [g.directionLps[w][0] * g.spacingMm[w], g.directionLps[w][1] * g.spacingMm[w], g.directionLps[w][2] * g.spacingMm[w]];
  const halfExtentAlongD = 0.5 * (Math.abs(dot(d, stepU)) + Math.abs(dot(d, stepW)));
  const ijk: Vec3 = [0, 0, 0];
  ijk[sliceAxis] = slice;
  const s = new Float64Array(n);
  const tt = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    ijk[u] = us[q];
    ijk[w] = ws[q];
    const p = toLps(m, ijk);
    const rel: Vec3 = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
    s[q] = dot(d, rel);
    tt[q] = dot(e, rel);
  }
  const order = Array.from({ length: n }, (_, q) => q).sort((x, y) => s[x] - s[y]);

  // Segment from voxel p to voxel q stays inside: sample in index space (the affine is linear along the segment).
  const minStepMm = Math.min(g.spacingMm[u], g.spacingMm[w]);
  const inside = (p: number, q: number): boolean => {
    const du = us[q] - us[p];
    const dw = ws[q] - ws[p];
    const lengthMm = Math.hypot(tt[q] - tt[p], s[q] - s[p]);
    const samples = Math.max(1, Math.ceil(lengthMm / (0.25 * minStepMm)));
    for (let k = 1; k < samples; k++) {
      const f = k / samples;
      const iu = Math.floor(us[p] + f * du + 0.5);
      const iw = Math.floor(ws[p] + f * dw + 0.5);
      if (iu < u0 || iu > u1 || iw < w0 || iw > w1 || !mask[iu - u0 + bw * (iw - w0)]) return false;
    }
    return true;
  };

  let bestLength = 0;
  let bestP = order[0];
  let bestQ = order[0];
  for (let x = 0; x < n; x++) {
    const p = order[x];
    for (let y = x + 1; y < n && s[order[y]] - s[p] <= 2 * halfExtentAlongD + 1e-9; y++) {
      const q = order[y];
      const length = Math.abs(tt[q] - tt[p]);
      if (length > bestLength && inside(p, q)) {
        bestLength = length;
        bestP = p;
        bestQ = q;
      }
    }
  }
  const centre = (q: number): Vec3 => {
    ijk[u] = us[q];
    ijk[w] = ws[q];
    return toLps(m, ijk);
  };
  return { lengthMm: bestLength, endpointsLps: [centre(bestP), centre(bestQ)] };
}
