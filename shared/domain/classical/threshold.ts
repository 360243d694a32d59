// Threshold segmentation: voxels whose value lies in [lo, hi] (HU for CT), optionally inside an ROI box.
import type { Volume } from '../volume.js';
import { clipRoi, type RoiBoxIjk } from './roi.js';

/** Mask (1 inside, 0 outside) of lo <= value <= hi inside the ROI (whole volume without one). */
export function thresholdMask(volume: Volume, lo: number, hi: number, roi?: RoiBoxIjk): Uint8Array {
  if (!(lo <= hi)) throw new Error(`threshold range is empty: ${lo}..${hi}`);
  const [nx, ny] = volume.dims;
  const box = clipRoi(volume.dims, roi);
  const out = new Uint8Array(volume.voxels.length);
  const v = volume.voxels;
  for (let k = box.minIjk[2]; k <= box.maxIjk[2]; k++)
    for (let j = box.minIjk[1]; j <= box.maxIjk[1]; j++) {
      const row = nx * (j + ny * k);
      for (let i = box.minIjk[0]; i <= box.maxIjk[0]; i++) {
        const x = v[row + i];
        if (x >= lo && x <= hi) out[row + i] = 1;
      }
    }
  return out;
}
