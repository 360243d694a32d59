// A 3D image on a regular grid placed in patient space (DICOM LPS, millimetres), and the voxel<->LPS maths.
// Pure: no node:*, no DOM. Voxel order: i fastest (along a row), then j (down the columns), then k (slices).

export type Vec3 = [number, number, number];
/** Rows are the unit vectors (in LPS) of the i, j and k axes: [iAxis, jAxis, kAxis]. */
export type Mat3 = [Vec3, Vec3, Vec3];

export type VoxelArray = Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | Uint8Array | Int8Array;

export interface VolumeGeometry {
  /** Voxel counts along i, j, k. */
  dims: Vec3;
  /** Distance between voxel centres along i, j, k, in mm. */
  spacingMm: Vec3;
  /** LPS position (mm) of the centre of voxel (0,0,0). */
  originLps: Vec3;
  /** Unit vectors of the i, j, k axes in LPS. Orthonormal unless a finding says otherwise (sheared grid). */
  directionLps: Mat3;
}

export interface Volume extends VolumeGeometry {
  /** Modality values (HU for CT) in i-fastest order; length = dims[0]*dims[1]*dims[2]. */
  voxels: VoxelArray;
}

export function voxelCount(g: Pick<VolumeGeometry, 'dims'>): number {
  return g.dims[0] * g.dims[1] * g.dims[2];
}

export function voxelIndex(g: Pick<VolumeGeometry, 'dims'>, i: number, j: number, k: number): number {
  return i + g.dims[0] * (j + g.dims[1] * k);
}

/** Volume of one voxel in mL (mm^3 / 1000), accounting for a non-orthogonal (sheared) grid. */
export function voxelVolumeMl(g: VolumeGeometry): number {
  const [a, b, c] = g.directionLps;
  const det = Math.abs(dot(a, cross(b, c)));
  return (g.spacingMm[0] * g.spacingMm[1] * g.spacingMm[2] * det) / 1000;
}

/** 4x4 row-major matrix mapping homogeneous (i,j,k,1) to (x,y,z,1) in LPS mm. */
export function ijkToLpsMatrix(g: VolumeGeometry): number[][] {
  const m: number[][] = [
    [0, 0, 0, g.originLps[0]],
    [0, 0, 0, g.originLps[1]],
    [0, 0, 0, g.originLps[2]],
    [0, 0, 0, 1],
  ];
  for (let axis = 0; axis < 3; axis++) {
    for (let r = 0; r < 3; r++) m[r][axis] = g.directionLps[axis][r] * g.spacingMm[axis];
  }
  return m;
}

/** Axes along L, P and S: the direction of an axial grid without obliquity (a fresh matrix each call). */
export function identityDirection(): Mat3 {
  return [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
}

export function ijkToLps(g: VolumeGeometry, ijk: Vec3): Vec3 {
  const out: Vec3 = [g.originLps[0], g.originLps[1], g.originLps[2]];
  for (let axis = 0; axis < 3; axis++) {
    const s = ijk[axis] * g.spacingMm[axis];
    const d = g.directionLps[axis];
    out[0] += d[0] * s;
    out[1] += d[1] * s;
    out[2] += d[2] * s;
  }
  return out;
}

/** Inverse of ijkToLps (continuous voxel coordinates). Works for sheared grids too. */
export function lpsToIjk(g: VolumeGeometry, lps: Vec3): Vec3 {
  const inv = lpsToIjkMatrix(g);
  return applyAffine(inv, lps);
}

/** 4x4 row-major inverse of ijkToLpsMatrix. Throws if the grid is degenerate. */
export function lpsToIjkMatrix(g: VolumeGeometry): number[][] {
  const m = ijkToLpsMatrix(g);
  const a: Mat3 = [
    [m[0][0], m[0][1], m[0][2]],
    [m[1][0], m[1][1], m[1][2]],
    [m[2][0], m[2][1], m[2][2]],
  ];
  const ai = invert3(a);
  const t: Vec3 = [m[0][3], m[1][3], m[2][3]];
  const ti = mulMat3Vec(ai, t);
  return [
    [ai[0][0], ai[0][1], ai[0][2], -ti[0]],
    [ai[1][0], ai[1][1], ai[1][2], -ti[1]],
    [ai[2][0], ai[2][1], ai[2][2], -ti[2]],
    [0, 0, 0, 1],
  ];
}

export function applyAffine(m: number[][], p: Vec3): Vec3 {
  return [
    m[0][0] * p[0] + m[0][1] * p[1] + m[0][2] * p[2] + m[0][3],
    m[1][0] * p[0] + m[1][1] * p[1] + m[1][2] * p[2] + m[1][3],
    m[2][0] * p[0] + m[2][1] * p[1] + m[2][2] * p[2] + m[2][3],
  ];
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function norm(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

export function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  if (n === 0) throw new Error('cannot normalise a zero vector');
  return [a[0] / n, a[1] / n, a[2] / n];
}

export function invert3(a: Mat3): Mat3 {
  const [[a00, a01, a02], [a10, a11, a12], [a20, a21, a22]] = a;
  const c00 = a11 * a22 - a12 * a21;
  const c01 = a12 * a20 - a10 * a22;
  const c02 = a10 * a21 - a11 * a20;
  const det = a00 * c00 + a01 * c01 + a02 * c02;
  if (Math.abs(det) < 1e-12) throw new Error('degenerate voxel grid: direction/spacing matrix is singular');
  const id = 1 / det;
  return [
    [c00 * id, (a02 * a21 - a01 * a22) * id, (a01 * a12 - a02 * a11) * id],
    [c01 * id, (a00 * a22 - a02 * a20) * id, (a02 * a10 - a00 * a12) * id],
    [c02 * id, (a01 * a20 - a00 * a21) * id, (a00 * a11 - a01 * a10) * id],
  ];
}

export function mulMat3Vec(a: Mat3, v: Vec3): Vec3 {
  return [dot(a[0], v), dot(a[1], v), dot(a[2], v)];
}

/** True when both grids put every voxel centre at the same LPS position within toleranceMm. */
export function sameGrid(a: VolumeGeometry, b: VolumeGeometry, toleranceMm = 1e-3): boolean {
  if (a.dims[0] !== b.dims[0] || a.dims[1] !== b.dims[1] || a.dims[2] !== b.dims[2]) return false;
  const corners: Vec3[] = [];
  for (const i of [0, a.dims[0] - 1]) for (const j of [0, a.dims[1] - 1]) for (const k of [0, a.dims[2] - 1]) corners.push([i, j, k]);
  return corners.every((c) => norm(sub(ijkToLps(a, c), ijkToLps(b, c))) <= toleranceMm);
}
