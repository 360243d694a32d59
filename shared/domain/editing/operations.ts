// Turns an edit stroke into the delta it causes on a label map, without touching the map: brush/eraser
// footprints (disc or sphere, anisotropic spacing), slice fill, shape-based interpolation, instance delete, relabel.
import { AppError } from '../../errors.js';
import { floodFill } from '../grid/floodFill.js';
import { dot, invert3, type Mat3, type Vec3, type VolumeGeometry, type VoxelArray } from '../volume.js';
import { DeltaBuilder, type LabelArray, type LabelDelta } from './delta.js';
import { signedDistance2d } from './distance.js';
import {
  voxelPlaneAxes,
  type BrushStroke,
  type DeleteInstanceStroke,
  type EditStroke,
  type FillStroke,
  type IntensityRange,
  type InterpolateStroke,
  type RelabelStroke,
} from './strokes.js';

export interface EditTarget {
  /** directionLps is optional: without it the axes are taken as orthogonal. */
  geometry: BrushGeometry;
  labels: LabelArray;
  /** Modality values on the same grid; needed only by threshold-limited strokes. */
  modality?: VoxelArray;
}

/** The delta a (validated) stroke would cause. Pure: the label map is read, never written. */
export function strokeDelta(target: EditTarget, stroke: EditStroke): LabelDelta {
  switch (stroke.kind) {
    case 'brush':
      return brushDelta(target, stroke);
    case 'fill':
      return fillDelta(target, stroke);
    case 'interpolate':
      return interpolateDelta(target, stroke);
    case 'deleteInstance':
      return deleteInstanceDelta(target, stroke);
    case 'relabel':
      return relabelDelta(target, stroke);
  }
}

function inRange(modality: VoxelArray | undefined, range: IntensityRange | undefined, index: number): boolean {
  if (!range || !modality) return true;
  const m = modality[index];
  return m >= range.lo && m <= range.hi;
}

type BrushGeometry = Pick<VolumeGeometry, 'dims' | 'spacingMm'> & Partial<Pick<VolumeGeometry, 'directionLps'>>;

/**
 * Voxels whose centre lies within radiusMm (in patient space) of the pointer path — the segments between
 * samples — as a local mask. Distances go through spacing and direction, so anisotropic and sheared grids get
 * a true sphere/disc in mm.
 */
export function brushFootprint(
  geometry: BrushGeometry,
  stroke: Pick<BrushStroke, 'pathIjk' | 'radiusMm' | 'shape' | 'plane'>,
): { minIjk: Vec3; sizeIjk: Vec3; mask: Uint8Array } | null {
  const { dims, spacingMm: s } = geometry;
  const dir = geometry.directionLps ?? [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  // Columns of the voxel→mm map: one voxel step along axis a moves s[a]·dir[a] in LPS.
  const col: Vec3[] = [0, 1, 2].map((a) => [dir[a][0] * s[a], dir[a][1] * s[a], dir[a][2] * s[a]] as Vec3);
  // Furthest reach along each voxel axis of a ball of radius r: r·sqrt((GᵀG)⁻¹ diagonal), G the metric.
  const metric = [0, 1, 2].map((a) => [0, 1, 2].map((b) => dot(col[a], col[b]))) as Mat3;
  const inverse = invert3(metric);
  const r = stroke.radiusMm;
  const reach: Vec3 = [r * Math.sqrt(inverse[0][0]), r * Math.sqrt(inverse[1][1]), r * Math.sqrt(inverse[2][2])];
  let path = stroke.pathIjk;
  const lo: Vec3 = [0, 0, 0];
  const hi: Vec3 = [dims[0] - 1, dims[1] - 1, dims[2] - 1];
  if (stroke.shape === 'disc') {
    // A disc lives on one slice: project every sample onto it so the sweep stays in plane.
    const { fixed } = voxelPlaneAxes(stroke.plane ?? 'axial');
    const slice = Math.round(path[0][fixed]);
    path = path.map((p) => {
      const q: Vec3 = [p[0], p[1], p[2]];
      q[fixed] = slice;
      return q;
    });
    lo[fixed] = hi[fixed] = slice;
  }
  const minIjk: Vec3 = [0, 0, 0];
  const maxIjk: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    let mn = Infinity;
    let mx = -Infinity;
    for (const p of path) {
      mn = Math.min(mn, p[a] - reach[a]);
      mx = Math.max(mx, p[a] + reach[a]);
    }
    minIjk[a] = Math.max(lo[a], Math.ceil(mn));
    maxIjk[a] = Math.min(hi[a], Math.floor(mx));
    if (minIjk[a] > maxIjk[a]) return null;
  }
  const sizeIjk: Vec3 = [maxIjk[0] - minIjk[0] + 1, maxIjk[1] - minIjk[1] + 1, maxIjk[2] - minIjk[2] + 1];
  const mask = new Uint8Array(sizeIjk[0] * sizeIjk[1] * sizeIjk[2]);
  const r2 = r * r;
  const toMm = (e: Vec3): Vec3 => [
    e[0] * col[0][0] + e[1] * col[1][0] + e[2] * col[2][0],
    e[0] * col[0][1] + e[1] * col[1][1] + e[2] * col[2][1],
    e[0] * col[0][2] + e[1] * col[1][2] + e[2] * col[2][2],
  ];
  const segments = path.length === 1 ? [[path[0], path[0]]] : path.slice(1).map((p, n) => [path[n], p]);
  for (const [p0, p1] of segments) {
    const d = toMm([p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]]);
    const dd = dot(d, d);
    const from: Vec3 = [0, 0, 0];
    const to: Vec3 = [0, 0, 0];
    for (let ax = 0; ax < 3; ax++) {
      from[ax] = Math.max(minIjk[ax], Math.ceil(Math.min(p0[ax], p1[ax]) - reach[ax]));
      to[ax] = Math.min(maxIjk[ax], Math.floor(Math.max(p0[ax], p1[ax]) + reach[ax]));
    }
    for (let k = from[2]; k <= to[2]; k++) {
      for (let j = from[1]; j <= to[1]; j++) {
        // (from[0], j, k) relative to the segment start, in mm; each step in i adds col[0].
        const rowStart = toMm([from[0] - p0[0], j - p0[1], k - p0[2]]);
        const row = ((k - minIjk[2]) * sizeIjk[1] + (j - minIjk[1])) * sizeIjk[0] - minIjk[0];
        for (let i = from[0]; i <= to[0]; i++) {
          const n = i - from[0];
          const x = rowStart[0] + n * col[0][0];
          const y = rowStart[1] + n * col[0][1];
          const z = rowStart[2] + n * col[0][2];
          let t = dd > 0 ? (x * d[0] + y * d[1] + z * d[2]) / dd : 0;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
          const ex = x - t * d[0];
          const ey = y - t * d[1];
          const ez = z - t * d[2];
          if (ex * ex + ey * ey + ez * ez <= r2) mask[row + i] = 1;
        }
      }
    }
  }
  return { minIjk, sizeIjk, mask };
}

function brushDelta(target: EditTarget, stroke: BrushStroke): LabelDelta {
  const { labels, modality } = target;
  const [nx, ny] = target.geometry.dims;
  const out = new DeltaBuilder();
  const fp = brushFootprint(target.geometry, stroke);
  if (!fp) return out.finish();
  const { minIjk, sizeIjk, mask } = fp;
  const range = stroke.intensityRange;
  const label = stroke.label;
  const overwrite = stroke.overwriteOtherLabels !== false;
  const only = stroke.onlyOverLabel;
  let m = 0;
  for (let k = 0; k < sizeIjk[2]; k++) {
    for (let j = 0; j < sizeIjk[1]; j++) {
      const rowStart = minIjk[0] + nx * (minIjk[1] + j + ny * (minIjk[2] + k));
      for (let i = 0; i < sizeIjk[0]; i++, m++) {
        if (!mask[m]) continue;
        const index = rowStart + i;
        const old = labels[index];
        if (!inRange(modality, range, index)) continue;
        if (stroke.mode === 'paint') {
          if (old === label || (!overwrite && old !== 0) || (only !== undefined && old !== only)) continue;
          out.push(index, old, label);
        } else {
          if (old === 0 || (label !== 0 && old !== label)) continue;
          out.push(index, old, 0);
        }
      }
    }
  }
  return out.finish();
}

function indexOf(dims: Vec3, ijk: Vec3): number {
  return ijk[0] + dims[0] * (ijk[1] + dims[1] * ijk[2]);
}

function fillDelta(target: EditTarget, stroke: FillStroke): LabelDelta {
  const { labels, modality } = target;
  const dims = target.geometry.dims;
  const { fixed, u, v } = voxelPlaneAxes(stroke.plane);
  const nu = dims[u];
  const nv = dims[v];
  const stride: Vec3 = [1, dims[0], dims[0] * dims[1]];
  const base = stroke.seedIjk[fixed] * stride[fixed];
  const seedIndex = indexOf(dims, stroke.seedIjk);
  const seedLabel = labels[seedIndex];
  const range = stroke.intensityRange;
  if (!inRange(modality, range, seedIndex)) {
    throw new AppError('INVALID_INPUT', `The seed's image value ${modality?.[seedIndex]} is outside the range [${range?.lo}, ${range?.hi}].`);
  }
  let newValue: number;
  if (stroke.mode === 'paint') {
    newValue = stroke.label;
    if (seedLabel === newValue) return new DeltaBuilder().finish();
  } else {
    if (seedLabel === 0) throw new AppError('INVALID_INPUT', 'There is no label at the seed voxel to erase.');
    if (stroke.label !== 0 && seedLabel !== stroke.label) {
      throw new AppError('INVALID_INPUT', `The seed voxel holds label ${seedLabel}, not label ${stroke.label}.`);
    }
    newValue = 0;
  }
  // The slice as its own flat grid (nu x nv x 1), so 6-connectivity is the 4-neighbour fill of the plane.
  const indexOfPixel = (pix: number): number => {
    const pu = pix % nu;
    return base + pu * stride[u] + ((pix - pu) / nu) * stride[v];
  };
  const seedPix = stroke.seedIjk[u] + nu * stroke.seedIjk[v];
  const { visited } = floodFill([nu, nv, 1], seedPix, (pix) => {
    const index = indexOfPixel(pix);
    return labels[index] === seedLabel && inRange(modality, range, index);
  });
  // Plane order is index order here (u is always the faster voxel axis of the two), so the delta needs no sort.
  const out = new DeltaBuilder();
  visited.forEach((pix) => out.push(indexOfPixel(pix), seedLabel, newValue));
  return out.finish();
}

function interpolateDelta(target: EditTarget, stroke: InterpolateStroke): LabelDelta {
  const { labels } = target;
  const { dims, spacingMm } = target.geometry;
  const { fixed, u, v } = voxelPlaneAxes(stroke.plane);
  const stride: Vec3 = [1, dims[0], dims[0] * dims[1]];
  const a = Math.min(stroke.fromSlice, stroke.toSlice);
  const b = Math.max(stroke.fromSlice, stroke.toSlice);
  const L = stroke.label;
  // Crop to the union of both shapes plus one pixel: nothing outside both shapes can be inside an interpolation,
  // and the margin keeps the distance to the outside exact at the crop's edge.
  let u0 = Infinity;
  let u1 = -Infinity;
  let v0 = Infinity;
  let v1 = -Infinity;
  for (const slice of [a, b]) {
    let found = false;
    for (let pv = 0; pv < dims[v]; pv++) {
      for (let pu = 0; pu < dims[u]; pu++) {
        if (labels[slice * stride[fixed] + pu * stride[u] + pv * stride[v]] !== L) continue;
        found = true;
        if (pu < u0) u0 = pu;
        if (pu > u1) u1 = pu;
        if (pv < v0) v0 = pv;
        if (pv > v1) v1 = pv;
      }
    }
    if (!found) throw new AppError('INVALID_INPUT', `Slice ${slice} (${stroke.plane}) has no voxel of label ${L} to interpolate from.`);
  }
  u0 = Math.max(0, u0 - 1);
  v0 = Math.max(0, v0 - 1);
  u1 = Math.min(dims[u] - 1, u1 + 1);
  v1 = Math.min(dims[v] - 1, v1 + 1);
  const nu = u1 - u0 + 1;
  const nv = v1 - v0 + 1;
  const sdfOf = (slice: number): Float64Array => {
    const mask = new Uint8Array(nu * nv);
    for (let pv = 0; pv < nv; pv++) {
      for (let pu = 0; pu < nu; pu++) {
        mask[pv * nu + pu] = labels[slice * stride[fixed] + (pu + u0) * stride[u] + (pv + v0) * stride[v]] === L ? 1 : 0;
      }
    }
    return signedDistance2d(mask, nu, nv, spacingMm[u], spacingMm[v]);
  };
  const sdfA = sdfOf(a);
  const sdfB = sdfOf(b);
  // Walk k, j, i outermost to innermost whatever the plane, so changes come out in index order (no sort).
  const lo: Vec3 = [0, 0, 0];
  const hi: Vec3 = [0, 0, 0];
  lo[fixed] = a + 1;
  hi[fixed] = b - 1;
  lo[u] = u0;
  hi[u] = u1;
  lo[v] = v0;
  hi[v] = v1;
  const c: Vec3 = [0, 0, 0];
  const out = new DeltaBuilder();
  for (c[2] = lo[2]; c[2] <= hi[2]; c[2]++) {
    for (c[1] = lo[1]; c[1] <= hi[1]; c[1]++) {
      for (c[0] = lo[0]; c[0] <= hi[0]; c[0]++) {
        const t = (c[fixed] - a) / (b - a);
        const p = (c[v] - v0) * nu + (c[u] - u0);
        // Interpolation only adds: it paints background, never removes or overwrites other structures.
        if ((1 - t) * sdfA[p] + t * sdfB[p] >= 0) continue;
        const index = c[0] + stride[1] * c[1] + stride[2] * c[2];
        if (labels[index] === 0) out.push(index, 0, L);
      }
    }
  }
  return out.finish();
}

function deleteInstanceDelta(target: EditTarget, stroke: DeleteInstanceStroke): LabelDelta {
  const { labels } = target;
  const dims = target.geometry.dims;
  const seedIndex = indexOf(dims, stroke.seedIjk);
  const L = labels[seedIndex];
  if (L === 0) throw new AppError('INVALID_INPUT', `There is no labelled instance at voxel [${stroke.seedIjk.join(', ')}].`);
  // The fill keeps one bit per voxel; the component is read back from it in index order, no sort even for an organ.
  const { visited } = floodFill(dims, seedIndex, (x) => labels[x] === L);
  const out = new DeltaBuilder();
  visited.forEach((x) => out.push(x, L, 0));
  return out.finish();
}

function relabelDelta(target: EditTarget, stroke: RelabelStroke): LabelDelta {
  const { labels } = target;
  const out = new DeltaBuilder();
  for (let x = 0; x < labels.length; x++) if (labels[x] === stroke.fromLabel) out.push(x, stroke.fromLabel, stroke.toLabel);
  return out.finish();
}
