// Nearest-neighbour resampling of a label map onto another grid THROUGH PATIENT SPACE (target ijk → LPS →
// source ijk), so overlays and measurements sit on the volume they belong to. Pure.
import { ijkToLpsMatrix, lpsToIjkMatrix, sameGrid, type VolumeGeometry } from './volume.js';

type Labels = Uint8Array | Uint16Array;

/** Label values on the target grid; voxels whose centre falls outside the source grid get 0. */
export function resampleLabelsNearest(src: VolumeGeometry & { labels: Labels }, target: VolumeGeometry): Labels {
  const [tx, ty, tz] = target.dims;
  const [sx, sy, sz] = src.dims;
  if (src.labels.length !== sx * sy * sz) throw new Error(`label map has ${src.labels.length} values for ${sx}x${sy}x${sz} voxels`);
  const out = src.labels instanceof Uint16Array ? new Uint16Array(tx * ty * tz) : new Uint8Array(tx * ty * tz);
  // Identical grids (within 1 µm at every corner): a copy, no rounding questions at all.
  if (sameGrid(src, target, 1e-3)) {
    out.set(src.labels);
    return out;
  }
  const m = compose(lpsToIjkMatrix(src), ijkToLpsMatrix(target));
  const sxy = sx * sy;
  let o = 0;
  for (let k = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      // Source coordinates of target voxel (0, j, k); each step in i adds the first column of m.
      let x = m[0][1] * j + m[0][2] * k + m[0][3];
      let y = m[1][1] * j + m[1][2] * k + m[1][3];
      let z = m[2][1] * j + m[2][2] * k + m[2][3];
      for (let i = 0; i < tx; i++, o++) {
        // floor(v + 0.5): half-open voxel cells [-0.5, dim - 0.5) — no voxel is claimed twice.
        const si = Math.floor(x + 0.5);
        const sj = Math.floor(y + 0.5);
        const sk = Math.floor(z + 0.5);
        if (si >= 0 && si < sx && sj >= 0 && sj < sy && sk >= 0 && sk < sz) out[o] = src.labels[si + sx * sj + sxy * sk];
        x += m[0][0];
        y += m[1][0];
        z += m[2][0];
      }
    }
  }
  return out;
}

/** The label map moved onto the target grid (other fields, e.g. the label table, are kept). */
export function resampleLabelMapNearest<T extends VolumeGeometry & { labels: Labels }>(
  src: T,
  target: VolumeGeometry,
): Omit<T, 'labels' | keyof VolumeGeometry> & VolumeGeometry & { labels: Labels } {
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

function compose(a: number[][], b: number[][]): number[][] {
  const r: number[][] = [];
  for (let i = 0; i < 4; i++) {
    r.push([0, 0, 0, 0]);
    for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) r[i][j] += a[i][k] * b[k][j];
  }
  return r;
}
