// Partial-volume band per label: the smooth object a mask stands for lies between the mask's interior
// (voxels whose 6 neighbours are all in the mask) and the mask dilated by one voxel (6-connectivity).
import type { Vec3 } from '../volume.js';

export type IntegerLabels = Uint8Array | Uint16Array | Int32Array;

export interface BandCounts {
  /** lower[v]: voxels of label v whose 6 face neighbours all carry label v (voxels at the grid edge never do). */
  lower: Float64Array;
  /** upper[v]: voxels that carry label v or have a 6-neighbour with label v; the dilation is clipped to the grid. */
  upper: Float64Array;
}

/** One pass over the grid; `size` is the largest label value + 1. Label 0 is background and not counted. */
export function partialVolumeBand(labels: IntegerLabels, dims: Vec3, size: number): BandCounts {
  const [nx, ny, nz] = dims;
  const sx = 1;
  const sy = nx;
  const sz = nx * ny;
  const lower = new Float64Array(size);
  const upper = new Float64Array(size);
  const seen = new Int32Array(7);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const rowStart = j * sy + k * sz;
      const interiorRow = j > 0 && j < ny - 1 && k > 0 && k < nz - 1;
      for (let i = 0; i < nx; i++) {
        const p = rowStart + i;
        const c = labels[p];
        const xm = i > 0 ? labels[p - sx] : 0;
        const xp = i < nx - 1 ? labels[p + sx] : 0;
        // Fast path: most voxels are deep inside background or inside an organ.
        if (interiorRow && i > 0 && i < nx - 1) {
          if (xm === c && xp === c && labels[p - sy] === c && labels[p + sy] === c && labels[p - sz] === c && labels[p + sz] === c) {
            if (c !== 0) {
              lower[c]++;
              upper[c]++;
            }
            continue;
          }
        }
        const ym = j > 0 ? labels[p - sy] : 0;
        const yp = j < ny - 1 ? labels[p + sy] : 0;
        const zm = k > 0 ? labels[p - sz] : 0;
        const zp = k < nz - 1 ? labels[p + sz] : 0;
        // Each distinct non-zero label among the voxel and its neighbours gains this voxel in its dilation.
        seen[0] = c;
        seen[1] = xm;
        seen[2] = xp;
        seen[3] = ym;
        seen[4] = yp;
        seen[5] = zm;
        seen[6] = zp;
        let n = 0;
        for (let t = 0; t < 7; t++) {
          const v = seen[t];
          if (v === 0) continue;
          let dup = false;
          for (let u = 0; u < n; u++) if (seen[u] === v) dup = true;
          if (!dup) seen[n++] = v; // n <= t, so this never overwrites a value not yet read
        }
        for (let t = 0; t < n; t++) upper[seen[t]]++;
        const interiorVoxel = c !== 0 && xm === c && xp === c && ym === c && yp === c && zm === c && zp === c;
        if (interiorVoxel) lower[c]++;
      }
    }
  }
  return { lower, upper };
}
