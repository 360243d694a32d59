// Grids for inference: the LPS-aligned model grid at the model's spacing, trilinear resampling of intensities onto
// it, and nearest-neighbour resampling of labels back onto the series grid. Pure maths on typed arrays.
import { applyAffine, ijkToLps, ijkToLpsMatrix, lpsToIjkMatrix, type Vec3, type VolumeGeometry, type VoxelArray } from '../../../shared/domain/volume.js';

/**
 * The grid a model sees: axes along L, P, S (so a 2D slice is axial with rows going posterior and columns going
 * left, whatever the series orientation), covering the series' bounding box. For a 2D model the slice step is the
 * series' own step along its most-S axis, so axial series are not interpolated between slices.
 */
export function modelGrid(src: VolumeGeometry, spacingMm: number[]): VolumeGeometry {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const i of [0, src.dims[0] - 1]) {
    for (const j of [0, src.dims[1] - 1]) {
      for (const k of [0, src.dims[2] - 1]) {
        const p = ijkToLps(src, [i, j, k]);
        for (let a = 0; a < 3; a++) {
          min[a] = Math.min(min[a], p[a]);
          max[a] = Math.max(max[a], p[a]);
        }
      }
    }
  }
  let spacingZ = spacingMm[2];
  if (spacingZ === undefined) {
    let best = 0;
    for (let a = 0; a < 3; a++) if (Math.abs(src.directionLps[a][2]) > Math.abs(src.directionLps[best][2])) best = a;
    // a single slice has no step: keep 1 mm so the grid is well formed
    spacingZ = src.dims[best] > 1 ? src.spacingMm[best] * Math.abs(src.directionLps[best][2]) : 1;
  }
  const spacing: Vec3 = [spacingMm[0], spacingMm[1], spacingZ];
  // 1e-6 guards against 19.999999 slices becoming 19 from float noise in the corners
  const dims = [0, 1, 2].map((a) => Math.floor((max[a] - min[a]) / spacing[a] + 1e-6) + 1) as Vec3;
  return { dims, spacingMm: spacing, originLps: min, directionLps: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] };
}

/** Maps voxel (i,j,k) of `from` to continuous voxel coordinates of `to`, as a 3x4 affine. */
function voxelToVoxel(from: VolumeGeometry, to: VolumeGeometry): number[][] {
  const a = lpsToIjkMatrix(to);
  const b = ijkToLpsMatrix(from);
  const m: number[][] = [];
  for (let r = 0; r < 3; r++) {
    m.push([0, 1, 2, 3].map((c) => a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c] + (c === 3 ? a[r][3] : 0)));
  }
  return m;
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

/** Label at every voxel centre of `dst` taken from the nearest voxel of `src`; 0 outside. */
export function resampleLabelsNearest(labels: Uint8Array, src: VolumeGeometry, dst: VolumeGeometry): Uint8Array {
  const m = voxelToVoxel(dst, src);
  const [nx, ny, nz] = src.dims;
  const out = new Uint8Array(dst.dims[0] * dst.dims[1] * dst.dims[2]);
  let n = 0;
  for (let k = 0; k < dst.dims[2]; k++) {
    for (let j = 0; j < dst.dims[1]; j++) {
      const row = applyAffine(m, [0, j, k]);
      for (let i = 0; i < dst.dims[0]; i++, n++) {
        // round half up consistently; a tiny bias keeps exact half-way points from flickering with float noise
        const x = Math.floor(row[0] + m[0][0] * i + 0.5 + 1e-9);
        const y = Math.floor(row[1] + m[1][0] * i + 0.5 + 1e-9);
        const z = Math.floor(row[2] + m[2][0] * i + 0.5 + 1e-9);
        if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) continue;
        out[n] = labels[x + nx * (y + ny * z)];
      }
    }
  }
  return out;
}
