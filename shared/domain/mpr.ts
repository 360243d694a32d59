// Multi-planar reformat: which voxel axis each screen direction of the axial/coronal/sagittal views walks along,
// chosen from directionLps (never from assumptions about acquisition order), plus slice extraction and edge letters.
import { ijkToLps, type Vec3, type VolumeGeometry } from './volume.js';

/** A patient-space view plane: 'axial' is the plane nearest to patient axial whatever the acquisition (editing's VoxelPlane is not). */
export type Plane = 'axial' | 'coronal' | 'sagittal';
export const PLANES: readonly Plane[] = ['axial', 'coronal', 'sagittal'];
type Axis = 0 | 1 | 2;

/** How one patient-space view maps screen (col, row, slice) onto voxel (i, j, k); see patientViewAxes. */
export interface PatientViewAxes {
  plane: Plane;
  sliceAxis: Axis;
  colAxis: Axis;
  /** True when screen columns run against the voxel axis (col 0 = last voxel). */
  colFlip: boolean;
  rowAxis: Axis;
  rowFlip: boolean;
  width: number;
  height: number;
  sliceCount: number;
  /** mm between neighbouring screen columns / rows: the aspect ratio comes from these. */
  columnSpacingMm: number;
  rowSpacingMm: number;
}

/**
 * For each voxel axis, the LPS component (0=x/L, 1=y/P, 2=z/S) it runs closest to. Greedy on the largest cosine so
 * an oblique grid still gets a one-to-one assignment.
 */
export function dominantPatientAxes(g: Pick<VolumeGeometry, 'directionLps'>): [Axis, Axis, Axis] {
  const pairs: { a: Axis; c: Axis; w: number }[] = [];
  for (const a of [0, 1, 2] as Axis[]) for (const c of [0, 1, 2] as Axis[]) pairs.push({ a, c, w: Math.abs(g.directionLps[a][c]) });
  pairs.sort((p, q) => q.w - p.w);
  const out: (Axis | -1)[] = [-1, -1, -1];
  const usedC = new Set<number>();
  for (const p of pairs) {
    if (out[p.a] !== -1 || usedC.has(p.c)) continue;
    out[p.a] = p.c;
    usedC.add(p.c);
  }
  return out as [Axis, Axis, Axis];
}

/**
 * Radiological display convention: axial seen from the feet (screen right = patient Left, down = Posterior),
 * coronal from the front (right = Left, down = Inferior), sagittal from the patient's left (right = Posterior,
 * down = Inferior).
 */
const SCREEN: Record<Plane, { normal: Axis; col: { c: Axis; sign: 1 | -1 }; row: { c: Axis; sign: 1 | -1 } }> = {
  axial: { normal: 2, col: { c: 0, sign: 1 }, row: { c: 1, sign: 1 } },
  coronal: { normal: 1, col: { c: 0, sign: 1 }, row: { c: 2, sign: -1 } },
  sagittal: { normal: 0, col: { c: 1, sign: 1 }, row: { c: 2, sign: -1 } },
};

/** The voxel axes (and flips) that show `plane` in the radiological convention, chosen from directionLps. */
export function patientViewAxes(g: VolumeGeometry, plane: Plane): PatientViewAxes {
  const dom = dominantPatientAxes(g);
  const axisFor = (c: Axis): Axis => dom.indexOf(c) as Axis;
  const spec = SCREEN[plane];
  const colAxis = axisFor(spec.col.c);
  const rowAxis = axisFor(spec.row.c);
  const sliceAxis = axisFor(spec.normal);
  return {
    plane,
    sliceAxis,
    colAxis,
    colFlip: Math.sign(g.directionLps[colAxis][spec.col.c]) !== spec.col.sign,
    rowAxis,
    rowFlip: Math.sign(g.directionLps[rowAxis][spec.row.c]) !== spec.row.sign,
    width: g.dims[colAxis],
    height: g.dims[rowAxis],
    sliceCount: g.dims[sliceAxis],
    columnSpacingMm: g.spacingMm[colAxis],
    rowSpacingMm: g.spacingMm[rowAxis],
  };
}

/** Screen (col, row) on slice `slice` -> integer voxel (i, j, k). */
export function displayToIjk(ax: PatientViewAxes, col: number, row: number, slice: number): Vec3 {
  const ijk: Vec3 = [0, 0, 0];
  ijk[ax.colAxis] = ax.colFlip ? ax.width - 1 - col : col;
  ijk[ax.rowAxis] = ax.rowFlip ? ax.height - 1 - row : row;
  ijk[ax.sliceAxis] = slice;
  return ijk;
}

/** Voxel (i, j, k) -> where it shows in this view. */
export function ijkToDisplay(ax: PatientViewAxes, ijk: Vec3): { col: number; row: number; slice: number } {
  const c = ijk[ax.colAxis];
  const r = ijk[ax.rowAxis];
  return { col: ax.colFlip ? ax.width - 1 - c : c, row: ax.rowFlip ? ax.height - 1 - r : r, slice: ijk[ax.sliceAxis] };
}

interface WritableArray {
  length: number;
  [n: number]: number;
}

/** Copy one reformatted slice (width*height, row-major) out of an i-fastest volume array. */
export function extractSlice(src: ArrayLike<number>, dims: Vec3, ax: PatientViewAxes, slice: number, out: WritableArray): void {
  const stride = [1, dims[0], dims[0] * dims[1]];
  const base = slice * stride[ax.sliceAxis];
  const { width, height } = ax;
  const sc = stride[ax.colAxis];
  const sr = stride[ax.rowAxis];
  const c0 = ax.colFlip ? (width - 1) * sc : 0;
  const dc = ax.colFlip ? -sc : sc;
  for (let r = 0; r < height; r++) {
    const vr = ax.rowFlip ? height - 1 - r : r;
    let p = base + vr * sr + c0;
    const o = r * width;
    for (let c = 0; c < width; c++, p += dc) out[o + c] = src[p];
  }
}

const LETTERS: Record<number, [string, string]> = { 0: ['L', 'R'], 1: ['P', 'A'], 2: ['S', 'I'] };

/** Patient-direction letters for a direction in LPS: dominant first, then any component over ~20 degrees. */
export function directionLetters(v: Vec3): string {
  const order = [0, 1, 2].sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]));
  return order
    .filter((c, n) => n === 0 || Math.abs(v[c]) > 0.35)
    .map((c) => LETTERS[c][v[c] >= 0 ? 0 : 1])
    .join('');
}

/** Letters on the four screen edges of a view. */
export function edgeLetters(g: VolumeGeometry, ax: PatientViewAxes): { left: string; right: string; top: string; bottom: string } {
  const colDir = g.directionLps[ax.colAxis].map((x) => (ax.colFlip ? -x : x)) as Vec3;
  const rowDir = g.directionLps[ax.rowAxis].map((x) => (ax.rowFlip ? -x : x)) as Vec3;
  const neg = (v: Vec3): Vec3 => [-v[0], -v[1], -v[2]];
  return { right: directionLetters(colDir), left: directionLetters(neg(colDir)), bottom: directionLetters(rowDir), top: directionLetters(neg(rowDir)) };
}

/** Where a slice sits along the view's normal: the LPS coordinate name and its value in mm at the slice centre. */
export function slicePositionMm(g: VolumeGeometry, ax: PatientViewAxes, slice: number): { coordinate: 'x' | 'y' | 'z'; mm: number } {
  const centre: Vec3 = [(g.dims[0] - 1) / 2, (g.dims[1] - 1) / 2, (g.dims[2] - 1) / 2];
  centre[ax.sliceAxis] = slice;
  const c = dominantPatientAxes(g)[ax.sliceAxis];
  return { coordinate: (['x', 'y', 'z'] as const)[c], mm: ijkToLps(g, centre)[c] };
}
