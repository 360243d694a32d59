// Stable lesion numbers: a lesion instance keeps its number across re-measurement and across edits that do not
// touch it, instead of being renumbered by scan order whenever anything else changes.
//
// The rule (what a radiologist expects: "lesion 3" stays lesion 3 unless lesion 3 itself is changed):
// - Each instance has an ANCHOR: its voxel nearest (in mm) to its own centroid, ties to the lowest voxel index.
//   It depends only on the instance's own voxels, and it lies inside the lesion, so trimming or growing the
//   lesion's rim usually leaves it in place (unlike the first voxel in scan order, which is always on the rim).
// - Re-measuring the same segmentation: a new instance takes the number of a previous instance of the SAME label
//   whose anchor voxel it contains. The latest run's instances are considered first, in increasing number, so when
//   two lesions were joined into one, the joined lesion keeps the lower number. Then older runs' instances, newest
//   run first, for numbers not taken yet: two lesions joined and parted again both get their own numbers back,
//   and a lesion erased and drawn again at the same place is the same lesion.
// - Every other instance (a new lesion, a part of a split lesion without an old anchor, a first measurement) gets a
//   new number above every number used before, in scan order of its first voxel. A number is never given to a
//   lesion that does not hold one of that number's anchors.
import type { Vec3, VolumeGeometry } from '../volume.js';

/** An instance as a previous run stored it: enough to recognise it again. */
export interface PreviousInstance {
  labelValue: number;
  instanceId: number;
  anchorIjk: Vec3;
  /** 0 for the latest run, 1 for the one before, ... (absent: 0). */
  runsAgo?: number;
}

/** The voxel of the set nearest (mm, grid spacing) to the set's centroid; ties go to the lowest voxel index. */
export function anchorVoxel(indices: ArrayLike<number>, g: Pick<VolumeGeometry, 'dims' | 'spacingMm'>): Vec3 {
  const [nx, ny] = g.dims;
  const [sx, sy, sz] = g.spacingMm;
  const n = indices.length;
  if (n === 0) throw new RangeError('anchorVoxel of an empty set');
  let ci = 0;
  let cj = 0;
  let ck = 0;
  for (let t = 0; t < n; t++) {
    const p = indices[t];
    const k = Math.floor(p / (nx * ny));
    const r = p - k * nx * ny;
    const j = Math.floor(r / nx);
    ci += r - j * nx;
    cj += j;
    ck += k;
  }
  ci /= n;
  cj /= n;
  ck /= n;
  let best = -1;
  let bestD = Infinity;
  for (let t = 0; t < n; t++) {
    const p = indices[t];
    const k = Math.floor(p / (nx * ny));
    const r = p - k * nx * ny;
    const j = Math.floor(r / nx);
    const i = r - j * nx;
    const d = ((i - ci) * sx) ** 2 + ((j - cj) * sy) ** 2 + ((k - ck) * sz) ** 2;
    if (d < bestD - 1e-9 || (Math.abs(d - bestD) <= 1e-9 && p < best)) {
      bestD = d;
      best = p;
    }
  }
  const k = Math.floor(best / (nx * ny));
  const r = best - k * nx * ny;
  const j = Math.floor(r / nx);
  return [r - j * nx, j, k];
}

/**
 * Numbers for the instances of a new measurement. `components[c]` has its label; `componentAt(p)` is the index
 * into `components` of the instance holding voxel p (-1 for none). `firstNewId` is one above every number the
 * segmentation ever used (so retired numbers stay retired). Returns one number per component.
 */
export function assignInstanceIds(
  components: readonly { label: number }[],
  componentAt: (voxelIndex: number) => number,
  dims: Vec3,
  previous: readonly PreviousInstance[] = [],
  firstNewId = 1,
): number[] {
  const ids = new Array<number>(components.length).fill(0);
  let next = Math.max(1, firstNewId);
  const taken = new Set<number>();
  const order = [...previous].sort((a, b) => (a.runsAgo ?? 0) - (b.runsAgo ?? 0) || a.instanceId - b.instanceId);
  for (const prev of order) {
    next = Math.max(next, prev.instanceId + 1);
    const [i, j, k] = prev.anchorIjk;
    if (![i, j, k].every((x, a) => Number.isInteger(x) && x >= 0 && x < dims[a])) continue;
    if (taken.has(prev.instanceId)) continue;
    const c = componentAt(i + dims[0] * (j + dims[1] * k));
    if (c < 0 || ids[c] !== 0 || components[c].label !== prev.labelValue) continue;
    ids[c] = prev.instanceId;
    taken.add(prev.instanceId);
  }
  for (let c = 0; c < components.length; c++) if (ids[c] === 0) ids[c] = next++;
  return ids;
}
