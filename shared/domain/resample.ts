// Resampling between grids THROUGH PATIENT SPACE (target ijk → LPS → source ijk): nearest neighbour for label maps
// (imported NIfTI onto a series, model output back onto it) and trilinear for intensities (series onto a model grid).
import { AppError } from '../errors.js';
import { applyAffine, ijkToLpsMatrix, lpsToIjkMatrix, sameGrid, type VolumeGeometry, type VoxelArray } from './volume.js';

export type LabelVoxels = Uint8Array | Uint16Array;

/**
 * The rounding rule of nearest-neighbour label resampling, the one used everywhere: a target voxel centre at continuous
 * source coordinate x takes source voxel floor(x + 0.5 + 1e-9).
 * - floor(x + 0.5), not Math.round or rint: cells are half-open [n - 0.5, n + 0.5), so a centre exactly halfway
 *   between two source voxels goes to the higher index on every axis, and no centre is claimed by two cells.
 * - + 1e-9 voxel: halfway cases are common (a grid shifted by half a voxel, a 2:1 spacing ratio), and the composed
 *   matrix puts such a centre at 2.4999999999999996 or 2.5000000000000004 depending on spacing and origin digits.
 *   Without the bias those would split between the two voxels in an irregular pattern. 1e-9 voxel is far above float64
 *   noise on these coordinates (~1e-12 for grids of thousands of voxels) and far below any real offset (nanometres).
 */
export const NEAREST_HALFWAY_BIAS = 1e-9;

export function nearestSourceIndex(x: number): number {
  return Math.floor(x + 0.5 + NEAREST_HALFWAY_BIAS);
}

/** Maps voxel (i,j,k) of `from` to continuous voxel coordinates of `to`, as a 3x4 affine. */
export function voxelToVoxel(from: VolumeGeometry, to: VolumeGeometry): number[][] {
  const a = lpsToIjkMatrix(to);
  const b = ijkToLpsMatrix(from);
  const m: number[][] = [];
  for (let r = 0; r < 3; r++) {
    m.push([0, 1, 2, 3].map((c) => a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c] + (c === 3 ? a[r][3] : 0)));
  }
  return m;
}

/** Label values on the target grid, same array type as the source; voxels whose centre falls outside the source get 0. */
export function resampleLabelsNearest<L extends LabelVoxels>(src: VolumeGeometry & { labels: L }, target: VolumeGeometry): L {
  const [tx, ty, tz] = target.dims;
  const [sx, sy, sz] = src.dims;
  if (src.labels.length !== sx * sy * sz) throw new AppError('INVALID_INPUT', `label map has ${src.labels.length} values for ${sx}x${sy}x${sz} voxels`);
  const out = (src.labels instanceof Uint16Array ? new Uint16Array(tx * ty * tz) : new Uint8Array(tx * ty * tz)) as L;
  // Identical grids (within 1 µm at every corner): a copy. The rule above gives the same, as no centre is near halfway.
  if (sameGrid(src, target, 1e-3)) {
    out.set(src.labels);
    return out;
  }
  const m = voxelToVoxel(target, src);
  const sxy = sx * sy;
  let o = 0;
  for (let k = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      const row = applyAffine(m, [0, j, k]);
      for (let i = 0; i < tx; i++, o++) {
        // each coordinate from the row start (not accumulated step by step), so noise does not grow along the row
        const si = nearestSourceIndex(row[0] + m[0][0] * i);
        const sj = nearestSourceIndex(row[1] + m[1][0] * i);
        const sk = nearestSourceIndex(row[2] + m[2][0] * i);
        if (si >= 0 && si < sx && sj >= 0 && sj < sy && sk >= 0 && sk < sz) out[o] = src.labels[si + sx * sj + sxy * sk];
      }
    }
  }
  return out;
}

/** The label map moved onto the target grid (other fields, e.g. the label table, are kept). */
export function resampleLabelMapNearest<T extends VolumeGeometry & { labels: LabelVoxels }>(
  src: T,
  target: VolumeGeometry,
): Omit<T, 'labels' | keyof VolumeGeometry> & VolumeGeometry & { labels: T['labels'] } {
  const labels = resampleLabelsNearest(src, target);
  return {
    ...src,
    dims: [...target.dims],
    spacingMm: [...target.spacingMm],
    originLps: [...target.originLps],
    directionLps: [[...target.directionLps[0]], [...target.directionLps[1]], [...target.directionLps[2]]],
    labels,
  };
}

/**
 * Trilinear samples of `values` (on `src`) at every voxel centre of `dst`, as float32. Points outside the source
 * (beyond half a voxel past the edge voxels' centres is NOT allowed: edge voxels are clamped only within 0.5
 * voxel) get `outsideValue`.
 */
export function resampleLinear(values: VoxelArray, src: VolumeGeometry, dst: VolumeGeometry, outsideValue: number): Float32Array {
  const m = voxelToVoxel(dst, src);
  const [nx, ny, nz] = src.dims;
  const out = new Float32Array(dst.dims[0] * dst.dims[1] * dst.dims[2]);
  const eps = 1e-4;
  let n = 0;
  for (let k = 0; k < dst.dims[2]; k++) {
    for (let j = 0; j < dst.dims[1]; j++) {
      const row = applyAffine(m, [0, j, k]);
      for (let i = 0; i < dst.dims[0]; i++, n++) {
        const x = row[0] + m[0][0] * i;
        const y = row[1] + m[1][0] * i;
        const z = row[2] + m[2][0] * i;
        if (x < -0.5 - eps || y < -0.5 - eps || z < -0.5 - eps || x > nx - 0.5 + eps || y > ny - 0.5 + eps || z > nz - 0.5 + eps) {
          out[n] = outsideValue;
          continue;
        }
        const xc = Math.min(Math.max(x, 0), nx - 1);
        const yc = Math.min(Math.max(y, 0), ny - 1);
        const zc = Math.min(Math.max(z, 0), nz - 1);
        const x0 = Math.min(Math.floor(xc), nx - 1);
        const y0 = Math.min(Math.floor(yc), ny - 1);
        const z0 = Math.min(Math.floor(zc), nz - 1);
        const x1 = Math.min(x0 + 1, nx - 1);
        const y1 = Math.min(y0 + 1, ny - 1);
        const z1 = Math.min(z0 + 1, nz - 1);
        const fx = xc - x0;
        const fy = yc - y0;
        const fz = zc - z0;
        const p00 = nx * (y0 + ny * z0);
        const p10 = nx * (y1 + ny * z0);
        const p01 = nx * (y0 + ny * z1);
        const p11 = nx * (y1 + ny * z1);
        const c00 = values[p00 + x0] * (1 - fx) + values[p00 + x1] * fx;
        const c10 = values[p10 + x0] * (1 - fx) + values[p10 + x1] * fx;
        const c01 = values[p01 + x0] * (1 - fx) + values[p01 + x1] * fx;
        const c11 = values[p11 + x0] * (1 - fx) + values[p11 + x1] * fx;
        out[n] = (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
      }
    }
  }
  return out;
}
