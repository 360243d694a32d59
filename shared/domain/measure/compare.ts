// Agreement of two label maps on one grid: per-label Dice and IoU, overall voxel accuracy, and HD95 in mm; labels
// paired by name across the two maps (by value only when names are missing).
import type { Vec3 } from '../volume.js';
import { squaredDistanceTransformMm } from './edt.js';
import { percentileSorted } from './percentile.js';

export interface LabelAgreement {
  value: number;
  voxelsA: number;
  voxelsB: number;
  intersection: number;
  /** 2|A∩B| / (|A|+|B|) */
  dice: number;
  /** |A∩B| / |A∪B| (Jaccard) */
  iou: number;
  /** Symmetric 95th percentile of surface distances (mm); null when either mask is empty. See hd95Mm. */
  hd95Mm: number | null;
}

export interface Comparison {
  /** Fraction of all voxels (background included) with the same label in both maps. */
  pixelAccuracy: number;
  labels: LabelAgreement[];
}

export function compareLabelMaps(
  a: Uint8Array | Uint16Array,
  b: Uint8Array | Uint16Array,
  dims: Vec3,
  spacingMm: Vec3,
  opts: { hd95?: boolean } = {},
): Comparison {
  if (a.length !== b.length || a.length !== dims[0] * dims[1] * dims[2]) throw new Error('label maps differ in size from the grid');
  const size = 65536;
  const countA = new Float64Array(size);
  const countB = new Float64Array(size);
  const inter = new Float64Array(size);
  let same = 0;
  for (let p = 0; p < a.length; p++) {
    const x = a[p];
    const y = b[p];
    countA[x]++;
    countB[y]++;
    if (x === y) {
      same++;
      inter[x]++;
    }
  }
  const labels: LabelAgreement[] = [];
  for (let v = 1; v < size; v++) {
    if (countA[v] === 0 && countB[v] === 0) continue;
    const union = countA[v] + countB[v] - inter[v];
    labels.push({
      value: v,
      voxelsA: countA[v],
      voxelsB: countB[v],
      intersection: inter[v],
      dice: (2 * inter[v]) / (countA[v] + countB[v]),
      iou: inter[v] / union,
      hd95Mm: opts.hd95 === false ? null : hd95Mm(a, b, v, dims, spacingMm),
    });
  }
  return { pixelAccuracy: a.length === 0 ? NaN : same / a.length, labels };
}

/** A label of one map: its value and its name (null when the map has no name for it). */
export interface NamedLabel {
  value: number;
  name: string | null;
}

export interface LabelPair {
  valueA: number | null;
  valueB: number | null;
  nameA: string | null;
  nameB: string | null;
}

export interface LabelPairing {
  by: 'name' | 'value';
  pairs: LabelPair[];
  /** Why pairing fell back to values (null when paired by name). */
  fallbackReason: string | null;
}

/** Names that say nothing about the structure ("label 3", "3", empty) count as missing. */
export function isRealLabelName(name: string | null | undefined): name is string {
  if (!name) return false;
  const t = name.trim();
  return t !== '' && !/^(label\s*)?\d+$/i.test(t);
}

const nameKey = (n: string): string =>
  n
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');

/**
 * Pairs the labels of A and B by name when every label of both maps has a real, unique name; otherwise by value
 * (with the reason). Labels present in one map only get a pair with null on the other side.
 */
export function pairLabels(a: NamedLabel[], b: NamedLabel[]): LabelPairing {
  const real = (ls: NamedLabel[]): boolean => ls.every((l) => isRealLabelName(l.name));
  const unique = (ls: NamedLabel[]): boolean => new Set(ls.map((l) => nameKey(l.name ?? ''))).size === ls.length;
  let fallbackReason: string | null = null;
  if (a.length === 0 || b.length === 0) fallbackReason = 'one map has no labels';
  else if (!real(a) || !real(b)) fallbackReason = 'label names are missing in ' + (!real(a) && !real(b) ? 'both maps' : !real(a) ? 'map A' : 'map B');
  else if (!unique(a) || !unique(b)) fallbackReason = 'a label name occurs twice in one map';
  else if (!a.some((x) => b.some((y) => nameKey(x.name!) === nameKey(y.name!)))) fallbackReason = 'the two maps share no label name';
  const pairs: LabelPair[] = [];
  if (fallbackReason === null) {
    const byName = new Map(b.map((l) => [nameKey(l.name!), l]));
    const usedB = new Set<number>();
    for (const x of a) {
      const y = byName.get(nameKey(x.name!));
      if (y) usedB.add(y.value);
      pairs.push({ valueA: x.value, valueB: y?.value ?? null, nameA: x.name, nameB: y?.name ?? null });
    }
    for (const y of b) if (!usedB.has(y.value)) pairs.push({ valueA: null, valueB: y.value, nameA: null, nameB: y.name });
    return { by: 'name', pairs, fallbackReason };
  }
  const bByValue = new Map(b.map((l) => [l.value, l]));
  const aValues = new Set(a.map((l) => l.value));
  for (const x of a) {
    const y = bByValue.get(x.value);
    pairs.push({ valueA: x.value, valueB: y ? y.value : null, nameA: x.name, nameB: y?.name ?? null });
  }
  for (const y of b) if (!aValues.has(y.value)) pairs.push({ valueA: null, valueB: y.value, nameA: null, nameB: y.name });
  pairs.sort((p, q) => (p.valueA ?? p.valueB ?? 0) - (q.valueA ?? q.valueB ?? 0));
  return { by: 'value', pairs, fallbackReason };
}

/**
 * B's labels renumbered into A's values following the pairing, so that compareLabelMaps sees one value per pair;
 * labels of B without a partner get values A does not use. Returns the relabelled copy and each pair's value.
 */
export function relabelForPairing(b: Uint8Array | Uint16Array, pairing: LabelPairing): { b: Uint16Array; valueOfPair: number[] } {
  const map = new Uint16Array(65536);
  const usedA = new Set(pairing.pairs.filter((p) => p.valueA !== null).map((p) => p.valueA as number));
  let spare = 65535;
  const valueOfPair: number[] = [];
  for (const p of pairing.pairs) {
    let v: number;
    if (p.valueA !== null) v = p.valueA;
    else {
      while (usedA.has(spare) && spare > 0) spare--;
      v = spare--;
    }
    valueOfPair.push(v);
    if (p.valueB !== null) map[p.valueB] = v;
  }
  const out = new Uint16Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = map[b[i]];
  return { b: out, valueOfPair };
}

/**
 * HD95 as MedPy's `hd95`: surface voxels are mask voxels with a 6-neighbour outside the mask (or outside the
 * grid); for every surface voxel of A the distance to the nearest surface voxel of B and vice versa, pooled,
 * and the 95th percentile (numpy 'linear') of the pooled set. Work is cropped to the two masks' bounding box,
 * which changes nothing: every surface voxel of either mask lies inside it.
 */
export function hd95Mm(a: ArrayLike<number>, b: ArrayLike<number>, value: number, dims: Vec3, spacingMm: Vec3): number | null {
  const [nx, ny] = dims;
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-1, -1, -1];
  let hasA = false;
  let hasB = false;
  for (let p = 0, k = 0; k < dims[2]; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        const inA = a[p] === value;
        const inB = b[p] === value;
        if (!inA && !inB) continue;
        hasA ||= inA;
        hasB ||= inB;
        if (i < lo[0]) lo[0] = i;
        if (i > hi[0]) hi[0] = i;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
  if (!hasA || !hasB) return null;
  const cd: Vec3 = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
  const n = cd[0] * cd[1] * cd[2];
  const ma = new Uint8Array(n);
  const mb = new Uint8Array(n);
  for (let k = 0, q = 0; k < cd[2]; k++)
    for (let j = 0; j < cd[1]; j++) {
      const p0 = lo[0] + nx * (lo[1] + j + ny * (lo[2] + k));
      for (let i = 0; i < cd[0]; i++, q++) {
        ma[q] = a[p0 + i] === value ? 1 : 0;
        mb[q] = b[p0 + i] === value ? 1 : 0;
      }
    }
  // A voxel on the crop edge whose neighbour lies outside the crop is on the surface: that neighbour is
  // outside both masks (or outside the grid), exactly as in the uncropped definition.
  const sa = surfaceOf(ma, cd);
  const sb = surfaceOf(mb, cd);
  const da = squaredDistanceTransformMm(sa, cd, spacingMm);
  const db = squaredDistanceTransformMm(sb, cd, spacingMm);
  const dists: number[] = [];
  for (let q = 0; q < n; q++) {
    if (sa[q]) dists.push(Math.sqrt(db[q]));
    if (sb[q]) dists.push(Math.sqrt(da[q]));
  }
  const sorted = Float64Array.from(dists).sort();
  return percentileSorted(sorted, 95);
}

/** Mask voxels with at least one 6-neighbour outside the mask or outside the grid. */
export function surfaceOf(mask: Uint8Array, dims: Vec3): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(mask.length);
  for (let k = 0, p = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        if (!mask[p]) continue;
        const inside =
          i > 0 &&
          i < nx - 1 &&
          j > 0 &&
          j < ny - 1 &&
          k > 0 &&
          k < nz - 1 &&
          mask[p - 1] &&
          mask[p + 1] &&
          mask[p - nx] &&
          mask[p + nx] &&
          mask[p - nx * ny] &&
          mask[p + nx * ny];
        if (!inside) out[p] = 1;
      }
  return out;
}
