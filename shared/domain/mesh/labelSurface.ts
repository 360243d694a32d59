// A label's surface in LPS mm: the label's mask, blurred slightly (the voxel staircase is not anatomy), cut at 0.5 by
// marching tetrahedra through the volume's full affine (oblique and anisotropic grids alike), Taubin-smoothed and
// brought under a triangle budget by quadric edge collapse (after sampling the mask in coarser blocks, their occupied
// fraction cut at 0.5, when the full surface has over four times the budget). Pure; runs in a worker for the app.
import { voxelBoundingBox, type VoxelBox } from '../grid/boundingBox.js';
import { ijkToLpsMatrix, type Vec3, type VolumeGeometry } from '../volume.js';
import { decimateMesh } from './decimate.js';
import { marchingTetrahedra, type IndexedMesh } from './marchingTetrahedra.js';
import { meshArea, meshBounds, meshVolume } from './meshMetrics.js';
import { gaussianBlur3d, taubinSmooth } from './smoothing.js';

/** Bumped whenever a change alters any surface below (cached meshes of another version are rebuilt). */
export const MESH_COMPUTATION_VERSION = 'mesh-2';

export interface SurfaceOptions {
  /** Upper bound on triangles (default 100 000). */
  targetTriangles?: number;
  /** Gaussian blur of the mask, in voxels of each axis (default 0.45: removes the staircase, shrinks a 5 mm lesion by under 1 %). */
  blurSigmaVoxels?: number;
  /** Taubin λ|μ pairs (default 50). */
  taubinIterations?: number;
}

export interface LabelSurface {
  /** LPS mm, counter-clockwise seen from outside. */
  mesh: IndexedMesh;
  /** Grid sampling step used to meet the budget (1 = every voxel). */
  step: number;
  meshVolumeMm3: number;
  areaMm2: number;
  bounds: { min: Vec3; max: Vec3 } | null;
}

type Labels = ArrayLike<number>;

/** Inclusive voxel bounding box of one label value, or null when absent. */
export function labelBoundingBox(labels: Labels, dims: Vec3, value: number): VoxelBox | null {
  return voxelBoundingBox(labels, dims, value);
}

const EMPTY: LabelSurface = { mesh: { positions: new Float64Array(0), triangles: new Uint32Array(0) }, step: 1, meshVolumeMm3: 0, areaMm2: 0, bounds: null };

/** The surface of voxels equal to `value` (closed even where the label touches the grid edge: it is capped there). */
export function labelSurface(grid: VolumeGeometry & { labels: Labels }, value: number, opts: SurfaceOptions = {}): LabelSurface {
  const budget = opts.targetTriangles ?? 100_000;
  const sigma0 = opts.blurSigmaVoxels ?? 0.45;
  const box = labelBoundingBox(grid.labels, grid.dims, value);
  if (!box) return { ...EMPTY, mesh: { positions: new Float64Array(0), triangles: new Uint32Array(0) } };
  let step = 1;
  for (let attempt = 0; ; attempt++) {
    // Padding (in samples): the blur's reach plus background, so the surface closes inside the crop.
    const pad = (Math.ceil(3 * sigma0) + 2) * step;
    const lo: Vec3 = [box.min[0] - pad, box.min[1] - pad, box.min[2] - pad];
    const fineDims: Vec3 = [box.max[0] - box.min[0] + 1 + 2 * pad, box.max[1] - box.min[1] + 1 + 2 * pad, box.max[2] - box.min[2] + 1 + 2 * pad];
    const fine = croppedMask(grid.labels, grid.dims, value, lo, fineDims);
    // Coarser sampling for the budget: the occupied fraction of each step³ block, whose 0.5 level keeps the volume.
    const { field, dims } = step === 1 ? { field: fine, dims: fineDims } : blockMean(fine, fineDims, step);
    gaussianBlur3d(field, dims, [sigma0, sigma0, sigma0]);
    const ijkMesh = marchingTetrahedra(field, dims, 0.5);
    const triangles = ijkMesh.triangles.length / 3;
    // Extraction within four times the budget (coarser blocks when needed), then edge collapses down to it.
    if (triangles > 4 * budget && attempt < 8) {
      step = Math.max(step + 1, Math.ceil(step * Math.sqrt(triangles / (4 * budget))));
      continue;
    }
    // a block's sample sits at the centre of its step³ fine voxels
    const p = ijkMesh.positions;
    const offset = (step - 1) / 2;
    for (let q = 0; q < p.length; q++) p[q] = p[q] * step + offset;
    const smoothed = placeInLps(ijkMesh, grid, lo);
    taubinSmooth(smoothed, opts.taubinIterations ?? 50);
    const mesh = decimateMesh(smoothed, budget);
    if (mesh.triangles.length / 3 > budget && attempt < 8) {
      step++; // no collapse left that keeps the surface sound: sample coarser
      continue;
    }
    return { mesh, step, meshVolumeMm3: meshVolume(mesh), areaMm2: meshArea(mesh), bounds: meshBounds(mesh) };
  }
}

/** Mean of each step³ block (blocks past the edge average what they hold with zeros). */
export function blockMean(fine: Float32Array, dims: Vec3, step: number): { field: Float32Array; dims: Vec3 } {
  const coarse: Vec3 = [Math.ceil(dims[0] / step), Math.ceil(dims[1] / step), Math.ceil(dims[2] / step)];
  const field = new Float32Array(coarse[0] * coarse[1] * coarse[2]);
  let p = 0;
  for (let k = 0; k < dims[2]; k++) {
    const K = Math.floor(k / step);
    for (let j = 0; j < dims[1]; j++) {
      const row = coarse[0] * (Math.floor(j / step) + coarse[1] * K);
      for (let i = 0; i < dims[0]; i++, p++) if (fine[p] !== 0) field[row + Math.floor(i / step)] += fine[p];
    }
  }
  const inv = 1 / step ** 3;
  for (let q = 0; q < field.length; q++) field[q] *= inv;
  return { field, dims: coarse };
}

/** 1 where the label is, 0 elsewhere and outside the grid, over the box [lo, lo + dims). */
export function croppedMask(labels: Labels, gridDims: Vec3, value: number, lo: Vec3, dims: Vec3): Float32Array {
  const [gx, gy, gz] = gridDims;
  const field = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++) {
    const gk = k + lo[2];
    if (gk < 0 || gk >= gz) continue;
    for (let j = 0; j < dims[1]; j++) {
      const gj = j + lo[1];
      if (gj < 0 || gj >= gy) continue;
      const row = gx * (gj + gy * gk);
      const out = dims[0] * (j + dims[1] * k);
      for (let i = 0; i < dims[0]; i++) {
        const gi = i + lo[0];
        if (gi >= 0 && gi < gx && labels[row + gi] === value) field[out + i] = 1;
      }
    }
  }
  return field;
}

/** Crop-grid indices → LPS mm; the winding is flipped when the affine mirrors (negative determinant). */
export function placeInLps(mesh: IndexedMesh, grid: VolumeGeometry, lo: Vec3): IndexedMesh {
  const m = ijkToLpsMatrix(grid);
  const p = mesh.positions;
  const out = new Float64Array(p.length);
  for (let q = 0; q < p.length; q += 3) {
    const i = p[q] + lo[0];
    const j = p[q + 1] + lo[1];
    const k = p[q + 2] + lo[2];
    out[q] = m[0][0] * i + m[0][1] * j + m[0][2] * k + m[0][3];
    out[q + 1] = m[1][0] * i + m[1][1] * j + m[1][2] * k + m[1][3];
    out[q + 2] = m[2][0] * i + m[2][1] * j + m[2][2] * k + m[2][3];
  }
  const det =
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const t = mesh.triangles;
  if (det < 0) for (let q = 0; q < t.length; q += 3) [t[q + 1], t[q + 2]] = [t[q + 2], t[q + 1]];
  return { positions: out, triangles: t };
}
