// The painted resection region: a 0/1 mask on the label map's grid kept apart from the label map (so the map's
// measurements never include it), painted with the brush confined to the organ, and its run-length form for the
// wire and the plans table. Pure.
import { AppError } from '../../errors.js';
import { brushFootprint } from '../editing/operations.js';
import type { BrushStroke } from '../editing/strokes.js';
import type { VolumeGeometry } from '../volume.js';

/**
 * A brush stroke on the region: paint adds the voxels of the swept disc/sphere that hold the organ label now
 * ("paint only over the organ"), erase removes every region voxel under it. Returns a new mask (the old one is
 * kept, so a view's cache keyed by the array sees the change) and how many voxels changed.
 */
export function strokeRegion(
  grid: VolumeGeometry,
  labels: ArrayLike<number>,
  organLabel: number,
  region: Uint8Array,
  stroke: Pick<BrushStroke, 'pathIjk' | 'radiusMm' | 'shape' | 'plane'> & { mode: 'paint' | 'erase' },
): { region: Uint8Array; changed: number } {
  const [nx, ny] = grid.dims;
  if (region.length !== nx * ny * grid.dims[2] || labels.length !== region.length)
    throw new AppError('INVALID_INPUT', 'The resection region is not on the label map grid.');
  const out = region.slice();
  const fp = brushFootprint(grid, stroke);
  let changed = 0;
  if (!fp) return { region: out, changed };
  const { minIjk, sizeIjk, mask } = fp;
  let m = 0;
  for (let k = 0; k < sizeIjk[2]; k++)
    for (let j = 0; j < sizeIjk[1]; j++) {
      const row = minIjk[0] + nx * (minIjk[1] + j + ny * (minIjk[2] + k));
      for (let i = 0; i < sizeIjk[0]; i++, m++) {
        if (!mask[m]) continue;
        const p = row + i;
        if (stroke.mode === 'paint') {
          if (out[p] || labels[p] !== organLabel) continue;
          out[p] = 1;
        } else {
          if (!out[p]) continue;
          out[p] = 0;
        }
        changed++;
      }
    }
  return { region: out, changed };
}

/**
 * Run lengths of a 0/1 mask in voxel order (i fastest), starting with a run of zeros (possibly empty) and
 * alternating; the runs add up to the mask's length.
 */
export function encodeRegionRuns(mask: ArrayLike<number>): number[] {
  const runs: number[] = [];
  let current = 0;
  let length = 0;
  for (let p = 0; p < mask.length; p++) {
    const bit = mask[p] ? 1 : 0;
    if (bit !== current) {
      runs.push(length);
      current = bit;
      length = 0;
    }
    length++;
  }
  runs.push(length);
  return runs;
}

/** The mask of `voxels` voxels from its runs; refused (INVALID_INPUT) unless they are whole numbers adding up to it. */
export function decodeRegionRuns(runs: ArrayLike<number>, voxels: number): Uint8Array {
  const mask = new Uint8Array(voxels);
  let p = 0;
  for (let r = 0; r < runs.length; r++) {
    const n = runs[r];
    if (!Number.isInteger(n) || n < 0 || p + n > voxels) throw new AppError('INVALID_INPUT', `The resection region's runs do not describe ${voxels} voxels.`);
    if (r % 2 === 1) mask.fill(1, p, p + n);
    p += n;
  }
  if (p !== voxels) throw new AppError('INVALID_INPUT', `The resection region's runs cover ${p} voxels, the label map has ${voxels}.`);
  return mask;
}

/** Number of set voxels of a mask. */
export function regionVoxelCount(mask: ArrayLike<number>): number {
  let n = 0;
  for (let p = 0; p < mask.length; p++) if (mask[p]) n++;
  return n;
}
