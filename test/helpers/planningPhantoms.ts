// Analytic phantoms for the planning tests: ellipsoids and spheres painted by voxel centre on oblique, anisotropic
// (optionally mirrored) grids, with their exact volumes, distances and plane-cut fractions.
import { ijkToLps, type Mat3, type Vec3, type VolumeGeometry } from '../../shared/domain/volume.js';

/** Rows = the i, j, k axes in LPS: a rotation about L by ax, then about P by ay (radians); mirror flips the k axis. */
export function obliqueDirection(ax: number, ay: number, mirror = false): Mat3 {
  const ca = Math.cos(ax);
  const sa = Math.sin(ax);
  const cb = Math.cos(ay);
  const sb = Math.sin(ay);
  const rx = [
    [1, 0, 0],
    [0, ca, -sa],
    [0, sa, ca],
  ];
  const ry = [
    [cb, 0, sb],
    [0, 1, 0],
    [-sb, 0, cb],
  ];
  const r = rx.map((row) => [0, 1, 2].map((c) => row[0] * ry[0][c] + row[1] * ry[1][c] + row[2] * ry[2][c]));
  if (mirror) r[2] = r[2].map((x) => -x);
  return [r[0] as Vec3, r[1] as Vec3, r[2] as Vec3];
}

export interface Ellipsoid {
  value: number;
  centreLps: Vec3;
  /** Semi-axes along L, P, S (mm). */
  semiAxesMm: Vec3;
}

export function ellipsoidVolumeMm3(e: Ellipsoid): number {
  return (4 / 3) * Math.PI * e.semiAxesMm[0] * e.semiAxesMm[1] * e.semiAxesMm[2];
}

/**
 * A grid of the given spacing and direction whose box covers [lo, hi] in LPS (mm), centred on it, with every voxel
 * whose centre lies inside an ellipsoid painted with its value (later ones win).
 */
export function paintEllipsoids(
  spacingMm: Vec3,
  directionLps: Mat3,
  extentMm: number,
  centreLps: Vec3,
  shapes: Ellipsoid[],
): VolumeGeometry & { labels: Uint8Array } {
  const dims = spacingMm.map((s) => Math.ceil(extentMm / s)) as Vec3;
  // origin so that the grid's centre is at centreLps
  const half = dims.map((n, a) => ((n - 1) / 2) * spacingMm[a]);
  const originLps: Vec3 = [0, 1, 2].map(
    (r) => centreLps[r] - directionLps[0][r] * half[0] - directionLps[1][r] * half[1] - directionLps[2][r] * half[2],
  ) as Vec3;
  const g: VolumeGeometry = { dims, spacingMm, originLps, directionLps };
  const labels = new Uint8Array(dims[0] * dims[1] * dims[2]);
  let p = 0;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++, p++) {
        const x = ijkToLps(g, [i, j, k]);
        for (const e of shapes) {
          const r =
            ((x[0] - e.centreLps[0]) / e.semiAxesMm[0]) ** 2 +
            ((x[1] - e.centreLps[1]) / e.semiAxesMm[1]) ** 2 +
            ((x[2] - e.centreLps[2]) / e.semiAxesMm[2]) ** 2;
          if (r <= 1) labels[p] = e.value;
        }
      }
  return { ...g, labels };
}

/** Fraction of an LPS-aligned ellipsoid on the side of the plane its normal points to (exact: a spherical cap after scaling). */
export function ellipsoidFractionOnPositiveSide(e: Ellipsoid, pointLps: Vec3, normalLps: Vec3): number {
  const an = normalLps.map((x, a) => x * e.semiAxesMm[a]);
  const h = normalLps.reduce((s, x, a) => s + x * (pointLps[a] - e.centreLps[a]), 0) / Math.hypot(an[0], an[1], an[2]);
  if (h >= 1) return 0;
  if (h <= -1) return 1;
  return ((1 - h) ** 2 * (2 + h)) / 4;
}
