// Body composition: tissue volumes (mL, with a partial-volume band) per vertebral level and tissue areas (cm²) with
// mean intensity on one axial slice (L3 by default). Pure; every number passes the one geometry gate.
//
// Rules (stated here once, quoted by the CLI's README section):
// - S is the LPS z axis (superior). A slice's S position is the S coordinate of the centre of its middle voxel.
// - A vertebra's extent is [min, max] of the S coordinates of its voxel centres; its level slab is every slice whose
//   S position lies in that extent. Neighbouring slabs may overlap (posterior elements are tilted), so per-level
//   volumes do not add up to a whole-scan total. A vertebra that reaches the first or last slice is cut by the scan:
//   its slab is flagged `truncated`.
// - A level's centre is the mean S of its voxel centres; "the slice through L3" is the slice whose S position is
//   nearest to it (the lower k on a tie).
// - Per-level volume = voxels of the tissue in the slab × voxel volume; the band counts, among the slab's voxels, the
//   tissue's interior voxels (all 6 face neighbours in the tissue, looked up in the whole grid) and the tissue dilated
//   by one voxel (6-connectivity), as measure's band does for a whole label.
// - Area = voxels of the tissue on the slice × in-plane voxel area (spacing i × spacing j × |i × j|) / 100.
// - The slice must be axial: the slice normal within AXIAL_TOLERANCE_DEG of S; otherwise refused, not guessed.
import { AppError } from '../../errors.js';
import type { GeometryReport } from '../geometry.js';
import { requirePhysicalUnits } from '../geometryGate.js';
import { cross, ijkToLps, norm, sameGrid, voxelVolumeMl, type Volume, type VolumeGeometry } from '../volume.js';

export const AXIAL_TOLERANCE_DEG = 5;

type Labels = Uint8Array | Uint16Array;
export type LabelGrid = VolumeGeometry & { labels: Labels };

export type SliceChoice = { level: string } | { k: number } | { zLpsMm: number };

export interface BodyCompositionInput {
  /** The image (HU for CT); null gives no mean intensity. */
  volume: Volume | null;
  tissues: LabelGrid;
  tissueNames: ReadonlyMap<number, string>;
  vertebrae: LabelGrid;
  /** Names of the vertebrae map's labels (TotalSegmentator's "vertebrae_L3" or plain "L3"); other names are ignored. */
  vertebraNames: ReadonlyMap<number, string>;
  geometry: GeometryReport;
  /** Default: the centre of L3. */
  slice?: SliceChoice;
  /** Levels cut by the vertebrae map's own grid before it was resampled onto the image (see levelsCutByGrid). */
  cutLevels?: ReadonlySet<string>;
}

export interface TissueVolume {
  name: string;
  voxels: number;
  volumeMl: number;
  volumeMlLower: number;
  volumeMlUpper: number;
}

export interface LevelResult {
  level: string;
  /** First and last slice index (k) of the slab, inclusive. */
  sliceRange: [number, number];
  /** S extent (mm, LPS z) of the vertebra's voxel centres. */
  extentSMm: [number, number];
  centreSMm: number;
  truncated: boolean;
  tissues: TissueVolume[];
}

export interface SliceTissue {
  name: string;
  voxels: number;
  areaCm2: number;
  /** Mean image value on the slice (HU for CT); null with no image or no voxel. */
  meanHu: number | null;
}

export interface BodyCompositionResult {
  levels: LevelResult[];
  slice: { level: string | null; k: number; zLps: number; tissues: SliceTissue[] };
  geometryStatus: GeometryReport['status'];
  voxelVolumeMl: number;
  pixelAreaCm2: number;
}

const LEVEL_NAME = /^(?:vertebrae?_)?([CTLS])(\d{1,2})$/i;

/** "vertebrae_L3" / "L3" → "L3"; null for names that are not a vertebra. */
export function vertebraLevelOf(name: string): string | null {
  const m = LEVEL_NAME.exec(name.trim());
  return m ? `${m[1].toUpperCase()}${Number(m[2])}` : null;
}

/** Refuses (INVALID_INPUT) a grid whose slices are not axial within AXIAL_TOLERANCE_DEG. */
export function requireAxialSlices(g: VolumeGeometry): void {
  const n = cross(g.directionLps[0], g.directionLps[1]);
  const len = norm(n);
  const cosS = len > 0 ? Math.abs(n[2]) / len : 0;
  const deg = (Math.acos(Math.min(1, cosS)) * 180) / Math.PI;
  if (!(deg <= AXIAL_TOLERANCE_DEG)) {
    throw new AppError(
      'INVALID_INPUT',
      `Body composition needs axial slices: this acquisition's slice normal is ${deg.toFixed(1)}° from the patient's S axis ` +
        `(at most ${AXIAL_TOLERANCE_DEG}° accepted). Reformat to axial first; areas on a non-axial slice are not given.`,
    );
  }
}

/** S coordinate (mm) of the centre of slice k (its middle voxel). */
export function sliceS(g: VolumeGeometry, k: number): number {
  return ijkToLps(g, [(g.dims[0] - 1) / 2, (g.dims[1] - 1) / 2, k])[2];
}

interface LevelStats {
  value: number;
  level: string;
  minS: number;
  maxS: number;
  sumS: number;
  count: number;
  touchesEdge: boolean;
}

function levelStats(v: LabelGrid, names: ReadonlyMap<number, string>): LevelStats[] {
  const byValue = new Map<number, LevelStats>();
  for (const [value, name] of names) {
    const level = vertebraLevelOf(name);
    if (level !== null && value > 0) byValue.set(value, { value, level, minS: Infinity, maxS: -Infinity, sumS: 0, count: 0, touchesEdge: false });
  }
  const [nx, ny, nz] = v.dims;
  const [a, b, c] = v.directionLps;
  const [sx, sy, sz] = v.spacingMm;
  // S of voxel (i,j,k) = origin + i*sx*a + j*sy*b + k*sz*c (z component)
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const sjk = v.originLps[2] + j * sy * b[2] + k * sz * c[2];
      for (let i = 0; i < nx; i++, p++) {
        const lab = v.labels[p];
        if (lab === 0) continue;
        const st = byValue.get(lab);
        if (!st) continue;
        const s = sjk + i * sx * a[2];
        if (s < st.minS) st.minS = s;
        if (s > st.maxS) st.maxS = s;
        st.sumS += s;
        st.count++;
        if (k === 0 || k === nz - 1) st.touchesEdge = true;
      }
    }
  }
  return [...byValue.values()].filter((s) => s.count > 0).sort((x, y) => y.sumS / y.count - x.sumS / x.count);
}

/** Levels whose vertebra reaches the first or last slice of this grid (cut by the scan or by the map's extent). */
export function levelsCutByGrid(v: LabelGrid, names: ReadonlyMap<number, string>): Set<string> {
  return new Set(
    levelStats(v, names)
      .filter((s) => s.touchesEdge)
      .map((s) => s.level),
  );
}

/** Per-tissue counts, interior (lower) and dilated (upper) counts among the voxels of slices k0..k1. */
function slabBand(t: LabelGrid, k0: number, k1: number, size: number): { count: Float64Array; lower: Float64Array; upper: Float64Array } {
  const [nx, ny, nz] = t.dims;
  const L = t.labels;
  const sz = nx * ny;
  const count = new Float64Array(size);
  const lower = new Float64Array(size);
  const upper = new Float64Array(size);
  const seen = new Int32Array(7);
  for (let k = k0; k <= k1; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const p = i + nx * j + sz * k;
        const c = L[p];
        seen[0] = c;
        seen[1] = i > 0 ? L[p - 1] : 0;
        seen[2] = i < nx - 1 ? L[p + 1] : 0;
        seen[3] = j > 0 ? L[p - nx] : 0;
        seen[4] = j < ny - 1 ? L[p + nx] : 0;
        seen[5] = k > 0 ? L[p - sz] : 0;
        seen[6] = k < nz - 1 ? L[p + sz] : 0;
        if (c !== 0) {
          count[c]++;
          let interior = true;
          for (let t2 = 1; t2 < 7; t2++) if (seen[t2] !== c) interior = false;
          // a voxel on the grid's border is never interior (its outside neighbour is unknown)
          if (i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1) interior = false;
          if (interior) lower[c]++;
        }
        let n = 0;
        for (let t2 = 0; t2 < 7; t2++) {
          const v = seen[t2];
          if (v === 0) continue;
          let dup = false;
          for (let u = 0; u < n; u++) if (seen[u] === v) dup = true;
          if (!dup) seen[n++] = v;
        }
        for (let t2 = 0; t2 < n; t2++) upper[seen[t2]]++;
      }
    }
  }
  return { count, lower, upper };
}

/** In-plane area of one voxel in cm². */
function pixelAreaCm2(g: VolumeGeometry): number {
  return (g.spacingMm[0] * g.spacingMm[1] * norm(cross(g.directionLps[0], g.directionLps[1]))) / 100;
}

/** The slab of slices whose S position lies within [minS, maxS]; null when none does. */
function slabOf(g: VolumeGeometry, minS: number, maxS: number): [number, number] | null {
  let k0 = -1;
  let k1 = -1;
  const eps = 1e-6;
  for (let k = 0; k < g.dims[2]; k++) {
    const s = sliceS(g, k);
    if (s >= minS - eps && s <= maxS + eps) {
      if (k0 < 0) k0 = k;
      k1 = k;
    }
  }
  return k0 < 0 ? null : [k0, k1];
}

function nearestSlice(g: VolumeGeometry, s: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let k = 0; k < g.dims[2]; k++) {
    const d = Math.abs(sliceS(g, k) - s);
    if (d < bestD - 1e-9) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

/**
 * Tissue volumes per vertebral level and tissue areas on one axial slice. Throws UNSAFE_GEOMETRY on unsafe geometry,
 * INVALID_INPUT for non-axial slices, maps off the image grid or a slice outside the scan, NOT_FOUND when the slice's
 * level (L3 by default) is not in the vertebrae map.
 */
export function bodyComposition(input: BodyCompositionInput): BodyCompositionResult {
  const { tissues, vertebrae, geometry } = input;
  requirePhysicalUnits(geometry, 'Body composition in mL and cm²');
  if (!sameGrid(tissues, vertebrae) || (input.volume && !sameGrid(input.volume, tissues))) {
    throw new AppError('INVALID_INPUT', 'The tissue map, the vertebrae map and the image must be on one grid (resample them onto the image first).');
  }
  requireAxialSlices(tissues);
  const g: VolumeGeometry = tissues;
  const voxelMl = voxelVolumeMl(g);
  const pixelCm2 = pixelAreaCm2(g);

  let maxTissue = 0;
  for (let p = 0; p < tissues.labels.length; p++) if (tissues.labels[p] > maxTissue) maxTissue = tissues.labels[p];
  const tissueValues = [...input.tissueNames.keys()].filter((v) => v > 0).sort((a, b) => a - b);
  const size = Math.max(maxTissue, ...tissueValues, 0) + 1;
  const nameOf = (v: number): string => input.tissueNames.get(v) ?? `label ${v}`;
  const present = new Set<number>(tissueValues);
  for (let p = 0; p < tissues.labels.length; p++) if (tissues.labels[p] !== 0) present.add(tissues.labels[p]);
  const reported = [...present].sort((a, b) => a - b);

  const stats = levelStats(vertebrae, input.vertebraNames);
  const levels: LevelResult[] = [];
  for (const st of stats) {
    const range = slabOf(g, st.minS, st.maxS);
    if (!range) continue;
    const band = slabBand(tissues, range[0], range[1], size);
    levels.push({
      level: st.level,
      sliceRange: range,
      extentSMm: [st.minS, st.maxS],
      centreSMm: st.sumS / st.count,
      truncated: st.touchesEdge || (input.cutLevels?.has(st.level) ?? false),
      tissues: reported.map((v) => ({
        name: nameOf(v),
        voxels: band.count[v],
        volumeMl: band.count[v] * voxelMl,
        volumeMlLower: band.lower[v] * voxelMl,
        volumeMlUpper: band.upper[v] * voxelMl,
      })),
    });
  }

  const choice: SliceChoice = input.slice ?? { level: 'L3' };
  let k: number;
  let level: string | null = null;
  if ('level' in choice) {
    const want = vertebraLevelOf(choice.level);
    const st = stats.find((s) => s.level === want);
    if (!want || !st) {
      const found = stats.map((s) => s.level).join(', ') || 'none';
      throw new AppError('NOT_FOUND', `Vertebra ${choice.level} is not in the vertebrae label map (levels found: ${found}); choose another --slice.`);
    }
    k = nearestSlice(g, st.sumS / st.count);
    level = st.level;
  } else if ('k' in choice) {
    if (!(Number.isInteger(choice.k) && choice.k >= 0 && choice.k < g.dims[2]))
      throw new AppError('INVALID_INPUT', `Slice index ${choice.k} is outside the scan (0..${g.dims[2] - 1}).`);
    k = choice.k;
  } else {
    k = nearestSlice(g, choice.zLpsMm);
    const step = Math.abs(sliceS(g, Math.min(1, g.dims[2] - 1)) - sliceS(g, 0)) || g.spacingMm[2];
    if (Math.abs(sliceS(g, k) - choice.zLpsMm) > step / 2 + 1e-6)
      throw new AppError('INVALID_INPUT', `z = ${choice.zLpsMm} mm (LPS) is outside the scan's slices.`);
  }
  if (level === null) {
    // the level whose slab holds this slice and whose centre is nearest to it
    const s = sliceS(g, k);
    const holding = levels.filter((l) => k >= l.sliceRange[0] && k <= l.sliceRange[1]);
    holding.sort((a, b) => Math.abs(a.centreSMm - s) - Math.abs(b.centreSMm - s));
    level = holding[0]?.level ?? null;
  }

  const [nx, ny] = g.dims;
  const count = new Float64Array(size);
  const sum = new Float64Array(size);
  const img = input.volume?.voxels;
  for (let p = k * nx * ny, end = p + nx * ny; p < end; p++) {
    const v = tissues.labels[p];
    if (v === 0) continue;
    count[v]++;
    if (img) sum[v] += img[p];
  }
  return {
    levels,
    slice: {
      level,
      k,
      zLps: sliceS(g, k),
      tissues: reported.map((v) => ({
        name: nameOf(v),
        voxels: count[v],
        areaCm2: count[v] * pixelCm2,
        meanHu: img && count[v] > 0 ? sum[v] / count[v] : null,
      })),
    },
    geometryStatus: geometry.status,
    voxelVolumeMl: voxelMl,
    pixelAreaCm2: pixelCm2,
  };
}
