// The ruler's length: two points in continuous voxel coordinates (as picked on a view), their distance in patient
// space (mm) through the one geometry gate — null where the grid's geometry is unsafe, never a guess.
import { physicalUnitsAllowed } from '../geometryGate.js';
import type { GeometryReport } from '../geometry.js';
import { ijkToLps, type Vec3, type VolumeGeometry } from '../volume.js';

export function rulerLengthMm(g: VolumeGeometry, report: GeometryReport, aIjk: Vec3, bIjk: Vec3): number | null {
  if (!physicalUnitsAllowed(report)) return null;
  const a = ijkToLps(g, aIjk);
  const b = ijkToLps(g, bIjk);
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** How the ruler labels itself: one decimal in mm, or why there is no number. */
export function rulerText(lengthMm: number | null): string {
  return lengthMm === null ? 'length unavailable (unsafe geometry)' : `${lengthMm.toFixed(1)} mm`;
}
