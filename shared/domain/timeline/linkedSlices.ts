// Linked scrolling of two studies by position: each axial slice is placed by the LPS z of its centre, and the other
// study shows the slice nearest that z (slice indices differ between scans of the same anatomy). Pure.
import { ijkToLps, type VolumeGeometry } from '../volume.js';

/** LPS z (mm) of the centre of axial slice k. */
export function sliceCentreZLps(g: VolumeGeometry, k: number): number {
  return ijkToLps(g, [(g.dims[0] - 1) / 2, (g.dims[1] - 1) / 2, k])[2];
}

/**
 * The slice whose centre is nearest `zLps`, and how far it is (mm). outside: the position lies more than half a slice
 * beyond the scanned range, so the nearest slice does not show it.
 */
export function sliceNearestZLps(g: VolumeGeometry, zLps: number): { k: number; offsetMm: number; outside: boolean } {
  let best = 0;
  let bestD = Infinity;
  for (let k = 0; k < g.dims[2]; k++) {
    const d = Math.abs(sliceCentreZLps(g, k) - zLps);
    if (d < bestD - 1e-9) {
      bestD = d;
      best = k;
    }
  }
  const stepMm = g.dims[2] > 1 ? Math.abs(sliceCentreZLps(g, 1) - sliceCentreZLps(g, 0)) : g.spacingMm[2];
  return { k: best, offsetMm: bestD, outside: bestD > stepMm / 2 + 1e-6 };
}
