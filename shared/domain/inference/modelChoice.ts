// Which models suit a series by the way it was acquired: the slice orientation of its grid, and whether a model can
// take that orientation. 2D models are fed axial slices of an LPS-aligned grid made from any series; nnU-Net 3D models
// see the stored voxel array as it is (no reorientation), so they need the orientation they were trained on.
import type { Mat3 } from '../volume.js';

export type SliceOrientation = 'axial' | 'coronal' | 'sagittal' | 'oblique';

/** A slice normal within this angle of an LPS axis names that plane; beyond it the series is oblique. */
export const PLANE_TOLERANCE_DEG = 30;

/** The plane of the slices: the LPS axis the slice normal (directionLps[2], the k axis) lies closest to. */
export function sliceOrientation(directionLps: Mat3): SliceOrientation {
  const n = directionLps[2];
  const len = Math.hypot(n[0], n[1], n[2]);
  if (!(len > 0)) return 'oblique';
  const abs = n.map((c) => Math.abs(c) / len);
  const axis = abs.indexOf(Math.max(...abs));
  if (abs[axis] < Math.cos((PLANE_TOLERANCE_DEG * Math.PI) / 180)) return 'oblique';
  return (['sagittal', 'coronal', 'axial'] as const)[axis];
}

/** The orientation a model needs, or null when any will do (the engine resamples onto its own axial grid). */
export function requiredOrientation(model: { dimensions: 2 | 3; nnunet?: unknown; orientation?: SliceOrientation }): SliceOrientation | null {
  if (model.dimensions === 2 || model.nnunet === undefined) return null;
  // nnU-Net datasets are nearly always axial; a manifest may say otherwise
  return model.orientation ?? 'axial';
}

/** Why a model does not suit a series of this orientation, or null when it does. */
export function orientationMismatch(model: Parameters<typeof requiredOrientation>[0], seriesOrientation: SliceOrientation): string | null {
  const needed = requiredOrientation(model);
  if (needed === null || needed === seriesOrientation) return null;
  return `the series has ${seriesOrientation} slices but the model sees the stored array as it is and was trained on ${needed} slices`;
}
