// Virtual resection of an organ label: by a plane (the kept side is the remnant) or by a painted region confined to
// the organ. Volumes with partial-volume bands (the same interior / 6-dilation rule as shared/domain/measure/band.ts,
// split by side), the remnant percentage (future liver remnant: remnant / organ, lesion labels are other labels and
// so already outside the organ total) and per-lesion-instance margins to the cut. Pure.
import { AppError } from '../../errors.js';
import { connectedComponents } from '../measure/components.js';
import { minDistanceBetween } from './minDistance.js';
import { dot, ijkToLps, normalize, norm, voxelVolumeMl, type Vec3, type VolumeGeometry } from '../volume.js';

export interface CutPlane {
  pointLps: Vec3;
  normalLps: Vec3;
}

export interface ResectionFigures {
  organLabel: number;
  organMl: number;
  organMlLower: number;
  organMlUpper: number;
  resectedMl: number;
  remnantMl: number;
  remnantPercent: number;
  remnantPercentLower: number;
  remnantPercentUpper: number;
  marginsMm: { label: number; name: string; instance: number; marginMm: number }[];
}

type LabelGrid = VolumeGeometry & { labels: Uint8Array | Uint16Array };

/** Sub-samples per axis for voxels the plane cuts (their kept fraction). */
const SUBSAMPLES = 6;

/**
 * The plane cut: each organ voxel counts with the fraction of it on the kept side (exact away from the plane,
 * 6×6×6 sub-samples where the plane crosses it). Lesion margins: the least distance from a lesion voxel's extent to
 * the plane, measured into the resected side (negative: the lesion reaches into the remnant).
 */
export function resectByPlane(
  grid: LabelGrid,
  organLabel: number,
  plane: CutPlane,
  keep: 'positive' | 'negative',
  lesions: { value: number; name: string }[] = [],
  anchors: readonly InstanceAnchor[] = [],
): ResectionFigures {
  if (!(norm(plane.normalLps) > 0) || !plane.normalLps.every(Number.isFinite) || !plane.pointLps.every(Number.isFinite)) {
    throw new AppError('INVALID_INPUT', 'The cut plane needs a finite point and a non-zero normal.');
  }
  const sign = keep === 'positive' ? 1 : -1;
  const n = normalize(plane.normalLps);
  // signed distance (mm, positive on the kept side) as an affine function of i, j, k
  const [a, b, c] = grid.directionLps;
  const di = sign * dot(n, a) * grid.spacingMm[0];
  const dj = sign * dot(n, b) * grid.spacingMm[1];
  const dk = sign * dot(n, c) * grid.spacingMm[2];
  const o = ijkToLps(grid, [0, 0, 0]);
  const d0 = sign * (dot(n, o) - dot(n, plane.pointLps));
  const halfExtent = 0.5 * (Math.abs(di) + Math.abs(dj) + Math.abs(dk));
  const keptFraction = (i: number, j: number, k: number): number => {
    const s = d0 + di * i + dj * j + dk * k;
    if (s >= halfExtent) return 1;
    if (s <= -halfExtent) return 0;
    let kept = 0;
    for (let x = 0; x < SUBSAMPLES; x++)
      for (let y = 0; y < SUBSAMPLES; y++)
        for (let z = 0; z < SUBSAMPLES; z++) {
          const t = s + di * ((x + 0.5) / SUBSAMPLES - 0.5) + dj * ((y + 0.5) / SUBSAMPLES - 0.5) + dk * ((z + 0.5) / SUBSAMPLES - 0.5);
          if (t > 0) kept++;
        }
    return kept / SUBSAMPLES ** 3;
  };
  const figures = resectionVolumes(grid, organLabel, keptFraction);
  const marginsMm = lesionInstances(grid, lesions, anchors).map((inst) => {
    let least = Infinity;
    for (const p of inst.voxels) {
      const [i, j, k] = ijkOf(grid.dims, p);
      // distance into the resected side of the voxel's nearest point
      const s = -(d0 + di * i + dj * j + dk * k) - halfExtent;
      if (s < least) least = s;
    }
    return { label: inst.label, name: inst.name, instance: inst.instance, marginMm: least };
  });
  return { ...figures, marginsMm };
}

/**
 * A painted resection region (non-zero = resect), confined to the organ: only organ voxels in it are removed. A
 * lesion's margin is its least voxel-centre distance to the remnant (the organ voxels outside the region), by the
 * exact distance transform; 0 when it touches the remnant (a face neighbour of one of its voxels is remnant: the
 * lesion is left in, or cut through, not enclosed by the region), so a lesion outside the region never reads as a
 * one-voxel margin.
 */
export function resectByRegion(
  grid: LabelGrid,
  organLabel: number,
  region: Uint8Array,
  lesions: { value: number; name: string }[] = [],
  anchors: readonly InstanceAnchor[] = [],
): ResectionFigures {
  if (region.length !== grid.labels.length) throw new AppError('INVALID_INPUT', 'The resection region is not on the label map grid.');
  const [nx, ny] = grid.dims;
  const figures = resectionVolumes(grid, organLabel, (i, j, k) => (region[i + nx * (j + ny * k)] ? 0 : 1));
  const remnant = new Uint8Array(region.length);
  let any = false;
  for (let p = 0; p < remnant.length; p++) {
    if (grid.labels[p] === organLabel && !region[p]) {
      remnant[p] = 1;
      any = true;
    }
  }
  const marginsMm = !any
    ? []
    : lesionInstances(grid, lesions, anchors).map((inst) => {
        if (touchesMask(grid.dims, inst.voxels, remnant)) return { label: inst.label, name: inst.name, instance: inst.instance, marginMm: 0 };
        const mask = new Uint8Array(region.length);
        for (const p of inst.voxels) mask[p] = 1;
        const d = minDistanceBetween(grid, mask, remnant);
        return { label: inst.label, name: inst.name, instance: inst.instance, marginMm: d.minDistanceMm };
      });
  return { ...figures, marginsMm };
}

/** Organ, remnant and resected volumes with bands, from a kept fraction per voxel. */
function resectionVolumes(grid: LabelGrid, organ: number, keptFraction: (i: number, j: number, k: number) => number): Omit<ResectionFigures, 'marginsMm'> {
  const [nx, ny, nz] = grid.dims;
  const L = grid.labels;
  let kept = 0;
  let cut = 0;
  let keptLower = 0;
  let cutLower = 0;
  let keptUpper = 0;
  let cutUpper = 0;
  let p = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        const isOrgan = L[p] === organ;
        const xm = i > 0 && L[p - 1] === organ;
        const xp = i < nx - 1 && L[p + 1] === organ;
        const ym = j > 0 && L[p - nx] === organ;
        const yp = j < ny - 1 && L[p + nx] === organ;
        const zm = k > 0 && L[p - nx * ny] === organ;
        const zp = k < nz - 1 && L[p + nx * ny] === organ;
        const touches = isOrgan || xm || xp || ym || yp || zm || zp;
        if (!touches) continue;
        const f = keptFraction(i, j, k);
        keptUpper += f;
        cutUpper += 1 - f;
        if (!isOrgan) continue;
        kept += f;
        cut += 1 - f;
        if (xm && xp && ym && yp && zm && zp) {
          keptLower += f;
          cutLower += 1 - f;
        }
      }
  const v = voxelVolumeMl(grid);
  const total = kept + cut;
  if (total === 0) throw new AppError('INVALID_INPUT', `The label map has no voxel with organ label ${organ}.`);
  const pct = (num: number, den: number): number => (den > 0 ? (100 * num) / den : 0);
  return {
    organLabel: organ,
    organMl: total * v,
    organMlLower: (keptLower + cutLower) * v,
    organMlUpper: (keptUpper + cutUpper) * v,
    resectedMl: cut * v,
    remnantMl: kept * v,
    remnantPercent: pct(kept, total),
    // the band's extremes: least remnant against most resected tissue, and the reverse
    remnantPercentLower: pct(keptLower, keptLower + cutUpper),
    remnantPercentUpper: pct(keptUpper, keptUpper + cutLower),
  };
}

interface LesionInstance {
  label: number;
  name: string;
  instance: number;
  voxels: Int32Array;
}

/** A lesion instance's number and the voxel its identity follows (shared/domain/measure/instanceIdentity.ts). */
export interface InstanceAnchor {
  labelValue: number;
  instanceId: number;
  anchorIjk: Vec3;
}

/**
 * Connected components (6-connected) of the lesion labels. A component holding the anchor of a measured instance
 * takes that instance's number (so numbers match the measurement table); others are numbered per label in scan
 * order after the largest anchored number.
 */
export function lesionInstances(grid: LabelGrid, lesions: { value: number; name: string }[], anchors: readonly InstanceAnchor[] = []): LesionInstance[] {
  if (lesions.length === 0) return [];
  const cc = connectedComponents(grid.labels, grid.dims, new Set(lesions.map((l) => l.value)), 6);
  const [nx, ny] = grid.dims;
  const anchoredId = new Map<number, number>();
  for (const a of anchors) {
    const [i, j, k] = a.anchorIjk;
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= grid.dims[2]) continue;
    const component = cc.ids[i + nx * (j + ny * k)];
    if (component > 0 && cc.components[component - 1].label === a.labelValue && !anchoredId.has(component)) anchoredId.set(component, a.instanceId);
  }
  const next = new Map<number, number>();
  for (const a of anchors) next.set(a.labelValue, Math.max(next.get(a.labelValue) ?? 0, a.instanceId));
  return cc.components.map((c) => {
    let instance = anchoredId.get(c.id);
    if (instance === undefined) {
      instance = (next.get(c.label) ?? 0) + 1;
      next.set(c.label, instance);
    }
    return { label: c.label, name: lesions.find((l) => l.value === c.label)!.name, instance, voxels: cc.order.subarray(c.start, c.start + c.voxels) };
  });
}

/** Whether a face neighbour (6-connectivity, inside the grid) of any of the voxels is set in the mask. */
function touchesMask(dims: Vec3, voxels: ArrayLike<number>, mask: Uint8Array): boolean {
  const [nx, ny, nz] = dims;
  for (let n = 0; n < voxels.length; n++) {
    const p = voxels[n];
    const [i, j, k] = ijkOf(dims, p);
    if ((i > 0 && mask[p - 1]) || (i < nx - 1 && mask[p + 1])) return true;
    if ((j > 0 && mask[p - nx]) || (j < ny - 1 && mask[p + nx])) return true;
    if ((k > 0 && mask[p - nx * ny]) || (k < nz - 1 && mask[p + nx * ny])) return true;
  }
  return false;
}

function ijkOf(dims: Vec3, p: number): Vec3 {
  const k = Math.floor(p / (dims[0] * dims[1]));
  const r = p - k * dims[0] * dims[1];
  const j = Math.floor(r / dims[0]);
  return [r - j * dims[0], j, k];
}
