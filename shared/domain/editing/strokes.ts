// The edit operations a user can apply to a label map (brush, eraser, fill, interpolation, instance delete,
// relabel), the voxel planes they act in, and their validation into clear INVALID_INPUT messages.
import { AppError } from '../../errors.js';
import type { Vec3, VolumeGeometry } from '../volume.js';

/**
 * A plane of voxel indices: axial/coronal/sagittal name the volume's k/j/i planes (the slice index is the fixed
 * axis) whatever the patient orientation — unlike mpr.ts's patient-space view planes, which follow directionLps.
 */
export type VoxelPlane = 'axial' | 'coronal' | 'sagittal';

/** Which voxel axes a VoxelPlane holds fixed and spans. */
export interface VoxelPlaneAxes {
  /** The axis held constant on a slice. */
  fixed: 0 | 1 | 2;
  /** In-plane axes, u the lower (faster in memory) one, so v-outer/u-inner loops visit voxels in index order. */
  u: 0 | 1 | 2;
  v: 0 | 1 | 2;
}

export function voxelPlaneAxes(plane: VoxelPlane): VoxelPlaneAxes {
  switch (plane) {
    case 'axial':
      return { fixed: 2, u: 0, v: 1 };
    case 'coronal':
      return { fixed: 1, u: 0, v: 2 };
    case 'sagittal':
      return { fixed: 0, u: 1, v: 2 };
  }
}

export interface IntensityRange {
  /** Inclusive bounds on the modality value (HU for CT). */
  lo: number;
  hi: number;
}

/** Brush or eraser along a pointer path: a 2D disc in a voxel plane or a 3D sphere, radius in mm. */
export interface BrushStroke {
  kind: 'brush';
  mode: 'paint' | 'erase';
  /** paint: the value written. erase: the value removed; 0 erases any label. */
  label: number;
  /** Pointer samples in continuous voxel coordinates (ijk); consecutive samples are joined (swept shape). */
  pathIjk: Vec3[];
  radiusMm: number;
  shape: 'disc' | 'sphere';
  /** Required for a disc: the plane it lies in; its slice is the rounded fixed coordinate of the first sample. */
  plane?: VoxelPlane;
  /** Threshold-limited brush: only voxels whose modality value lies in [lo, hi] change. */
  intensityRange?: IntensityRange;
  /** false: paint only background and the brush's own label, never over another label. Default true. */
  overwriteOtherLabels?: boolean;
  /** Confine painting to one organ: only voxels that hold this label now are painted (paint mode only). */
  onlyOverLabel?: number;
}

/**
 * Fill (paint) or erase the 4-connected region of the seed's label on one slice. paint: the region of voxels
 * sharing the seed's value becomes `label`. erase: the seed's label region becomes background.
 */
export interface FillStroke {
  kind: 'fill';
  mode: 'paint' | 'erase';
  label: number;
  plane: VoxelPlane;
  seedIjk: Vec3;
  intensityRange?: IntensityRange;
}

/** Shape-based interpolation of `label` on the slices strictly between two edited slices of one plane. */
export interface InterpolateStroke {
  kind: 'interpolate';
  label: number;
  plane: VoxelPlane;
  fromSlice: number;
  toSlice: number;
}

/** Erase the 3D 6-connected component (one instance, e.g. one lesion) containing the seed voxel. */
export interface DeleteInstanceStroke {
  kind: 'deleteInstance';
  seedIjk: Vec3;
}

/** Move every voxel of label `fromLabel` to `toLabel`. */
export interface RelabelStroke {
  kind: 'relabel';
  fromLabel: number;
  toLabel: number;
}

export type EditStroke = BrushStroke | FillStroke | InterpolateStroke | DeleteInstanceStroke | RelabelStroke;

export interface StrokeContext {
  geometry: Pick<VolumeGeometry, 'dims' | 'spacingMm'>;
  /** Label values that exist in the segmentation's table (0, background, is always allowed). */
  knownLabels: ReadonlySet<number>;
  /** Whether modality values are available for threshold-limited strokes. */
  hasModality: boolean;
}

const MAX_PATH_SAMPLES = 10_000;
/**
 * Voxels a brush stroke may visit (the boxes around each path segment, clamped to the grid): ~0.5 s of work. The
 * edit runs on the thread that answers requests, so one stroke must not stall the app (a 500-point stroke with a
 * 500 mm sphere took 22 s); a bigger change is a relabel, a fill or several strokes.
 */
export const MAX_BRUSH_VOXEL_VISITS = 64 * 1024 * 1024;

/** Upper bound of the voxels a brush stroke visits: per segment, the box of its swept disc or sphere, on the grid. */
export function brushVoxelVisits(
  stroke: Pick<BrushStroke, 'pathIjk' | 'radiusMm' | 'shape' | 'plane'>,
  geometry: Pick<VolumeGeometry, 'dims' | 'spacingMm'>,
): number {
  const { dims, spacingMm } = geometry;
  const fixed = stroke.shape === 'disc' && stroke.plane ? voxelPlaneAxes(stroke.plane).fixed : -1;
  const path = stroke.pathIjk;
  let total = 0;
  for (let n = 0; n < path.length; n++) {
    const a = path[Math.max(0, n - 1)];
    const b = path[n];
    if (n > 0 && a[0] === b[0] && a[1] === b[1] && a[2] === b[2]) continue;
    let box = 1;
    for (let axis = 0; axis < 3; axis++) {
      const reach = axis === fixed ? 0.5 : stroke.radiusMm / spacingMm[axis];
      const lo = Math.max(0, Math.floor(Math.min(a[axis], b[axis]) - reach));
      const hi = Math.min(dims[axis] - 1, Math.ceil(Math.max(a[axis], b[axis]) + reach));
      box *= Math.max(0, hi - lo + 1);
    }
    total += box;
  }
  return total;
}

function invalid(message: string): never {
  throw new AppError('INVALID_INPUT', message);
}

function checkFinite(name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) invalid(`${name} must be a finite number (got ${String(x)}).`);
  return x;
}

function checkLabel(name: string, value: unknown, ctx: StrokeContext, allowBackground: boolean): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) invalid(`${name} must be a label value ≥ 0 (got ${String(value)}).`);
  if (value === 0) {
    if (!allowBackground) invalid(`${name} cannot be 0 (background); choose a label.`);
    return;
  }
  if (!ctx.knownLabels.has(value))
    invalid(`Unknown label ${value}: create it first (known: ${[...ctx.knownLabels].sort((a, b) => a - b).join(', ') || 'none'}).`);
}

function checkVoxel(name: string, p: unknown, dims: Vec3): Vec3 {
  if (!Array.isArray(p) || p.length !== 3) invalid(`${name} must be [i, j, k].`);
  const v = p.map((x, a) => checkFinite(`${name}[${a}]`, x)) as Vec3;
  for (let a = 0; a < 3; a++) {
    if (!Number.isInteger(v[a])) invalid(`${name} must be integer voxel indices (got [${v.join(', ')}]).`);
    if (v[a] < 0 || v[a] >= dims[a]) invalid(`${name} [${v.join(', ')}] is outside the grid ${dims.join('×')}.`);
  }
  return v;
}

function checkRange(r: IntensityRange | undefined, ctx: StrokeContext): void {
  if (r === undefined) return;
  checkFinite('intensityRange.lo', r.lo);
  checkFinite('intensityRange.hi', r.hi);
  if (r.lo > r.hi) invalid(`intensityRange lo (${r.lo}) is above hi (${r.hi}).`);
  if (!ctx.hasModality) invalid('A threshold-limited edit needs the image values; open the edit session with the volume.');
}

function checkPlane(p: unknown): VoxelPlane {
  if (p !== 'axial' && p !== 'coronal' && p !== 'sagittal') invalid(`plane must be axial, coronal or sagittal (got ${String(p)}).`);
  return p;
}

/** Throws AppError('INVALID_INPUT') with a message a user can act on when the stroke cannot be applied. */
export function validateStroke(stroke: EditStroke, ctx: StrokeContext): void {
  const dims = ctx.geometry.dims;
  switch (stroke?.kind) {
    case 'brush': {
      if (stroke.mode !== 'paint' && stroke.mode !== 'erase') invalid(`brush mode must be paint or erase (got ${String(stroke.mode)}).`);
      checkLabel('label', stroke.label, ctx, stroke.mode === 'erase');
      if (stroke.onlyOverLabel !== undefined) checkLabel('onlyOverLabel', stroke.onlyOverLabel, ctx, true);
      const r = checkFinite('radiusMm', stroke.radiusMm);
      if (r <= 0) invalid(`radiusMm must be > 0 (got ${r}).`);
      if (!Array.isArray(stroke.pathIjk) || stroke.pathIjk.length === 0) invalid('A brush stroke needs at least one point in pathIjk.');
      if (stroke.pathIjk.length > MAX_PATH_SAMPLES) invalid(`A brush stroke has at most ${MAX_PATH_SAMPLES} points (got ${stroke.pathIjk.length}).`);
      for (const [n, p] of stroke.pathIjk.entries()) {
        if (!Array.isArray(p) || p.length !== 3) invalid(`pathIjk[${n}] must be [i, j, k].`);
        for (let a = 0; a < 3; a++) checkFinite(`pathIjk[${n}][${a}]`, p[a]);
      }
      if (stroke.shape !== 'disc' && stroke.shape !== 'sphere') invalid(`brush shape must be disc or sphere (got ${String(stroke.shape)}).`);
      if (stroke.shape === 'disc') {
        const { fixed } = voxelPlaneAxes(checkPlane(stroke.plane));
        const slice = Math.round(stroke.pathIjk[0][fixed]);
        if (slice < 0 || slice >= dims[fixed]) invalid(`The disc's slice ${slice} is outside the grid (0..${dims[fixed] - 1}).`);
      }
      checkRange(stroke.intensityRange, ctx);
      const visits = brushVoxelVisits(stroke, ctx.geometry);
      if (visits > MAX_BRUSH_VOXEL_VISITS) {
        invalid(
          `This brush stroke would visit ${(visits / 1e6).toFixed(0)} M voxels (limit ${MAX_BRUSH_VOXEL_VISITS / (1024 * 1024)} M): use a smaller radius or a shorter path, or relabel / fill for large changes.`,
        );
      }
      return;
    }
    case 'fill':
      if (stroke.mode !== 'paint' && stroke.mode !== 'erase') invalid(`fill mode must be paint or erase (got ${String(stroke.mode)}).`);
      checkLabel('label', stroke.label, ctx, stroke.mode === 'erase');
      checkPlane(stroke.plane);
      checkVoxel('seedIjk', stroke.seedIjk, dims);
      checkRange(stroke.intensityRange, ctx);
      return;
    case 'interpolate': {
      checkLabel('label', stroke.label, ctx, false);
      const { fixed } = voxelPlaneAxes(checkPlane(stroke.plane));
      for (const name of ['fromSlice', 'toSlice'] as const) {
        const s = checkFinite(name, stroke[name]);
        if (!Number.isInteger(s) || s < 0 || s >= dims[fixed]) invalid(`${name} ${s} is not a slice of this plane (0..${dims[fixed] - 1}).`);
      }
      if (Math.abs(stroke.toSlice - stroke.fromSlice) < 2) invalid('Interpolation needs at least one slice between fromSlice and toSlice.');
      return;
    }
    case 'deleteInstance':
      checkVoxel('seedIjk', stroke.seedIjk, dims);
      return;
    case 'relabel':
      checkLabel('fromLabel', stroke.fromLabel, ctx, false);
      checkLabel('toLabel', stroke.toLabel, ctx, true);
      if (stroke.fromLabel === stroke.toLabel) invalid('fromLabel and toLabel are the same label.');
      return;
    default:
      invalid(`Unknown edit kind ${String((stroke as { kind?: unknown } | undefined)?.kind)}.`);
  }
}
