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

/**
 * Where the grid's voxel axes i, j, k point, as three letters: each axis by its largest LPS component (L/R, P/A, S/I).
 * An axial DICOM series of a supine patient gives LPS; a NIfTI file stored in RAS order gives RAS.
 */
export function voxelAxesCode(directionLps: Mat3): string {
  return directionLps
    .map((v) => {
      const abs = v.map((c) => Math.abs(c));
      const axis = abs.indexOf(Math.max(...abs));
      return (v[axis] >= 0 ? 'LPS' : 'RAI')[axis];
    })
    .join('');
}

/** Why a model trained on arrays with other voxel-axis directions does not suit this grid, or null when it does (or is not stated). */
export function voxelAxesMismatch(model: { voxelAxes?: string }, directionLps: Mat3): string | null {
  if (!model.voxelAxes) return null;
  const code = voxelAxesCode(directionLps);
  if (code === model.voxelAxes) return null;
  return `the series' voxel axes run ${code} but the model sees the stored array as it is and was trained on ${model.voxelAxes} arrays, so it would see the body mirrored or turned`;
}
