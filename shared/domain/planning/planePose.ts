// Placing a resection cut plane in 3D: a base plane moved along its normal and tilted about its two in-plane axes,
// the plane's outline inside the organ's box (the quad the 3D view shows) and its trace on one 2D slice. Pure; LPS mm.
import { AppError } from '../../errors.js';
import { cross, dot, ijkToLps, normalize, norm, type Vec3, type VolumeGeometry } from '../volume.js';
import type { CutPlane } from './resection.js';

/** How the user moved the base plane: along its (tilted) normal, then tilted about its in-plane axes u and v. */
export interface PlaneAdjustment {
  offsetMm: number;
  /** Rotation of the normal about the base plane's first in-plane axis u (right hand), degrees. */
  tiltUDeg: number;
  /** Then about its second in-plane axis v, degrees. */
  tiltVDeg: number;
}

export const NO_ADJUSTMENT: PlaneAdjustment = { offsetMm: 0, tiltUDeg: 0, tiltVDeg: 0 };

const AXIS_NAMES = ['L', 'P', 'S'] as const;

/**
 * Two in-plane unit axes (u, v) with u × v = n: u is the LPS axis least aligned with n (ties: the first of L, P, S)
 * made perpendicular to n, v = n × u. For a sagittal cut (n = L) u is P and v is S, so the two tilts read as
 * "about P" and "about S". A function of the base normal only, so the sliders stay put while the plane tilts.
 */
export function inPlaneAxes(normalLps: Vec3): { u: Vec3; v: Vec3 } {
  const n = unitNormal(normalLps);
  let q = 0;
  for (let a = 1; a < 3; a++) if (Math.abs(n[a]) < Math.abs(n[q]) - 1e-12) q = a;
  const e: Vec3 = [0, 0, 0];
  e[q] = 1;
  const d = dot(e, n);
  const u = normalize([e[0] - d * n[0], e[1] - d * n[1], e[2] - d * n[2]]);
  return { u, v: cross(n, u) };
}

/** The LPS letter (with sign) nearest a direction, e.g. '+P' or '−S': names a tilt axis in the UI. */
export function nearestAxisName(d: Vec3): string {
  let q = 0;
  for (let a = 1; a < 3; a++) if (Math.abs(d[a]) > Math.abs(d[q])) q = a;
  return `${d[q] < 0 ? '−' : '+'}${AXIS_NAMES[q]}`;
}

/** v rotated by angleRad about the unit axis (right hand; Rodrigues' formula). */
export function rotateAbout(v: Vec3, axis: Vec3, angleRad: number): Vec3 {
  const c = Math.cos(angleRad);
  const s = Math.sin(angleRad);
  const k = normalize(axis);
  const kxv = cross(k, v);
  const kv = dot(k, v);
  return [0, 1, 2].map((a) => v[a] * c + kxv[a] * s + k[a] * kv * (1 - c)) as Vec3;
}

/**
 * The adjusted plane: the base normal turned by tiltU about u and then by tiltV about v (u, v of the base plane), the
 * point moved offsetMm along the new normal from the base point (the plane turns about the base point).
 */
export function adjustPlane(base: CutPlane, adj: PlaneAdjustment): CutPlane {
  if (![adj.offsetMm, adj.tiltUDeg, adj.tiltVDeg].every(Number.isFinite)) throw new AppError('INVALID_INPUT', 'Plane offset and tilts must be finite numbers.');
  const n0 = unitNormal(base.normalLps);
  const { u, v } = inPlaneAxes(n0);
  const rad = Math.PI / 180;
  const n = normalize(rotateAbout(rotateAbout(n0, u, adj.tiltUDeg * rad), v, adj.tiltVDeg * rad));
  return { pointLps: [0, 1, 2].map((a) => base.pointLps[a] + adj.offsetMm * n[a]) as Vec3, normalLps: n };
}

/**
 * The polygon where the plane cuts an axis-aligned LPS box (the organ's bounds): 3 to 6 vertices in order around the
 * plane's normal (counter-clockwise seen from the side it points to), or [] when the plane misses the box.
 */
export function planeBoxPolygon(plane: CutPlane, minLps: Vec3, maxLps: Vec3): Vec3[] {
  const n = unitNormal(plane.normalLps);
  const off = dot(n, plane.pointLps);
  const corner = (c: number): Vec3 => [c & 1 ? maxLps[0] : minLps[0], c & 2 ? maxLps[1] : minLps[1], c & 4 ? maxLps[2] : minLps[2]];
  const pts: Vec3[] = [];
  for (let c = 0; c < 8; c++)
    for (let a = 0; a < 3; a++) {
      if (c & (1 << a)) continue; // each edge once: from the corner with bit a clear to the one with it set
      const p = corner(c);
      const q = corner(c | (1 << a));
      const dp = dot(n, p) - off;
      const dq = dot(n, q) - off;
      if ((dp > 0 && dq > 0) || (dp < 0 && dq < 0) || dp === dq) {
        if (dp === 0 && dq === 0) pts.push(p, q); // the edge lies in the plane
        continue;
      }
      const t = dp / (dp - dq);
      pts.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]), p[2] + t * (q[2] - p[2])]);
    }
  // Distinct points only (a plane through a corner meets three edges there).
  const scale = Math.max(1e-9, norm([maxLps[0] - minLps[0], maxLps[1] - minLps[1], maxLps[2] - minLps[2]]));
  const unique: Vec3[] = [];
  for (const p of pts) if (!unique.some((x) => norm([x[0] - p[0], x[1] - p[1], x[2] - p[2]]) < 1e-9 * scale)) unique.push(p);
  if (unique.length < 3) return [];
  const centre = unique.reduce<Vec3>((s, p) => [s[0] + p[0] / unique.length, s[1] + p[1] / unique.length, s[2] + p[2] / unique.length], [0, 0, 0]);
  const { u, v } = inPlaneAxes(n);
  const angle = (p: Vec3): number => {
    const d: Vec3 = [p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]];
    return Math.atan2(dot(d, v), dot(d, u));
  };
  return unique.sort((a, b) => angle(a) - angle(b));
}

/**
 * The plane's trace on one slice of the grid (the slice index axis held at `slice`): the two ends, in continuous
 * voxel coordinates, of the line inside the slice's rectangle (voxel edges at −0.5 and n − 0.5), or null when the
 * plane misses the slice or lies (nearly) in it.
 */
export function planeSliceSegment(grid: VolumeGeometry, plane: CutPlane, sliceAxis: 0 | 1 | 2, slice: number): [Vec3, Vec3] | null {
  const n = unitNormal(plane.normalLps);
  // Signed distance (mm) as an affine function of the voxel coordinates: f = f0 + Σ c[a]·ijk[a].
  const c = [0, 1, 2].map((a) => dot(n, grid.directionLps[a]) * grid.spacingMm[a]);
  const f0 = dot(n, ijkToLps(grid, [0, 0, 0])) - dot(n, plane.pointLps) + c[sliceAxis] * slice;
  const [x, y] = ([0, 1, 2] as const).filter((a) => a !== sliceAxis);
  const lo = -0.5;
  const hiX = grid.dims[x] - 0.5;
  const hiY = grid.dims[y] - 0.5;
  // A plane (nearly) parallel to the slice has no line on it.
  if (Math.hypot(c[x], c[y]) < 1e-9 * Math.hypot(c[0], c[1], c[2])) return null;
  const hits: [number, number][] = [];
  for (const xv of [lo, hiX]) {
    if (Math.abs(c[y]) < 1e-15) continue;
    const yv = -(f0 + c[x] * xv) / c[y];
    if (yv >= lo - 1e-9 && yv <= hiY + 1e-9) hits.push([xv, yv]);
  }
  for (const yv of [lo, hiY]) {
    if (Math.abs(c[x]) < 1e-15) continue;
    const xv = -(f0 + c[y] * yv) / c[x];
    if (xv >= lo - 1e-9 && xv <= hiX + 1e-9) hits.push([xv, yv]);
  }
  // The two hits furthest apart (a line through a corner hits two edges there).
  let best: [number, number] | null = null;
  let bestD = -1;
  for (let a = 0; a < hits.length; a++)
    for (let b = a + 1; b < hits.length; b++) {
      const d = Math.hypot(hits[a][0] - hits[b][0], hits[a][1] - hits[b][1]);
      if (d > bestD) {
        bestD = d;
        best = [a, b];
      }
    }
  if (!best || bestD <= 1e-9) return null;
  const toIjk = (h: [number, number]): Vec3 => {
    const p: Vec3 = [0, 0, 0];
    p[x] = h[0];
    p[y] = h[1];
    p[sliceAxis] = slice;
    return p;
  };
  return [toIjk(hits[best[0]]), toIjk(hits[best[1]])];
}

/** The LPS box of a label's voxels (each voxel's full extent, on any grid), or null when the label is absent. */
export function labelBoundsLps(grid: VolumeGeometry, labels: ArrayLike<number>, value: number): { minLps: Vec3; maxLps: Vec3 } | null {
  const [nx, ny, nz] = grid.dims;
  const o = ijkToLps(grid, [0, 0, 0]);
  const step = [0, 1, 2].map((a) => grid.directionLps[a].map((x) => x * grid.spacingMm[a])) as Vec3[];
  // A voxel reaches half of each step either way: its LPS half-extent along axis q.
  const half = [0, 1, 2].map((q) => 0.5 * (Math.abs(step[0][q]) + Math.abs(step[1][q]) + Math.abs(step[2][q])));
  const minLps: Vec3 = [Infinity, Infinity, Infinity];
  const maxLps: Vec3 = [-Infinity, -Infinity, -Infinity];
  let p = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        if (labels[p] !== value) continue;
        for (let q = 0; q < 3; q++) {
          const c = o[q] + i * step[0][q] + j * step[1][q] + k * step[2][q];
          if (c - half[q] < minLps[q]) minLps[q] = c - half[q];
          if (c + half[q] > maxLps[q]) maxLps[q] = c + half[q];
        }
      }
  return minLps[0] === Infinity ? null : { minLps, maxLps };
}

/**
 * A starting plane for an organ when the user has not clicked one: through the centre of its voxels, normal along
 * the patient's left (a sagittal cut, the usual first guess for a hemi-hepatectomy). Null when the label is absent.
 */
export function defaultOrganPlane(grid: VolumeGeometry, labels: ArrayLike<number>, value: number): CutPlane | null {
  const [nx, ny, nz] = grid.dims;
  let si = 0;
  let sj = 0;
  let sk = 0;
  let count = 0;
  let p = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        if (labels[p] !== value) continue;
        si += i;
        sj += j;
        sk += k;
        count++;
      }
  if (count === 0) return null;
  return { pointLps: ijkToLps(grid, [si / count, sj / count, sk / count]), normalLps: [1, 0, 0] };
}

function unitNormal(n: Vec3): Vec3 {
  if (!n.every(Number.isFinite) || !(norm(n) > 0)) throw new AppError('INVALID_INPUT', 'The cut plane needs a finite, non-zero normal.');
  return normalize(n);
}

/**
 * The organ voxels whose centre lies on the resected side of the plane (the side opposite `keep`): the 2D views'
 * preview of what a plane cut removes. A preview only: the figures count each voxel by its fraction on each side.
 */
export function resectedSideMask(
  grid: VolumeGeometry,
  labels: ArrayLike<number>,
  organLabel: number,
  plane: CutPlane,
  keep: 'positive' | 'negative',
): Uint8Array {
  const n = unitNormal(plane.normalLps);
  const sign = keep === 'positive' ? 1 : -1;
  const c = [0, 1, 2].map((a) => sign * dot(n, grid.directionLps[a]) * grid.spacingMm[a]);
  const f0 = sign * (dot(n, ijkToLps(grid, [0, 0, 0])) - dot(n, plane.pointLps));
  const [nx, ny, nz] = grid.dims;
  const out = new Uint8Array(nx * ny * nz);
  let p = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      const row = f0 + c[1] * j + c[2] * k;
      for (let i = 0; i < nx; i++, p++) if (labels[p] === organLabel && row + c[0] * i < 0) out[p] = 1;
    }
  return out;
}
