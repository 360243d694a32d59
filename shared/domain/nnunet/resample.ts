// nnU-Net's resample_data_or_seg_to_shape, written from what it computes: skimage resize (scipy ndimage zoom with
// grid_mode, mode 'nearest', no anti-aliasing, output clipped to the input's range) with spline `order`, either on
// the whole grid or, when the spacing is anisotropic, within each plane of the low-resolution axis followed by
// `orderZ` interpolation along that axis. Tensor-product splines factor per axis, so each axis is resampled in turn.
import { size3, type Shape3 } from './array3.js';

/** A float array being resampled: float32 in (an image), float64 for every intermediate, as numpy's float64. */
export interface FloatArray3 {
  shape: Shape3;
  data: Float64Array | Float32Array;
}

export interface ResamplingOptions {
  order: number;
  orderZ: number;
  /** null: decide from the spacings; true/false: always/never resample the low-res axis separately. */
  forceSeparateZ: boolean | null;
  anisotropyThreshold: number;
}

/** scipy's cubic B-spline pole and the 12-voxel edge padding it adds before prefiltering in mode 'nearest'. */
const POLE = Math.sqrt(3) - 2;
const SPLINE_PAD = 12;

/** Input coordinate of output voxel o (grid mode: voxel centres at +0.5, align_corners=False). */
function sourceCoordinate(o: number, inLen: number, outLen: number): number {
  return (o + 0.5) * (inLen / outLen) - 0.5;
}

/** Cubic B-spline coefficients of `c` in place (scipy's spline_filter1d with the 'nearest'/'reflect' boundary start). */
function cubicSplineCoefficients(c: Float64Array): void {
  const n = c.length;
  if (n === 1) return;
  const z = POLE;
  for (let i = 0; i < n; i++) c[i] *= 6; // (1 - z)(1 - 1/z)
  // causal start for a half-sample symmetric extension
  const zn = z ** n;
  const c0 = c[0];
  let acc = c[0] + zn * c[n - 1];
  let zi = z;
  for (let i = 1; i < n; i++) {
    acc += zi * (c[i] + zn * c[n - 1 - i]);
    zi *= z;
  }
  c[0] = (acc * z) / (1 - zn * zn) + c0;
  for (let i = 1; i < n; i++) c[i] += z * c[i - 1];
  c[n - 1] *= z / (z - 1);
  for (let i = n - 2; i >= 0; i--) c[i] = z * (c[i + 1] - c[i]);
}

export interface AxisPlan {
  first: Int32Array;
  weights: Float64Array;
  taps: number;
}

/** For each output position: the first source index (before clamping) and the taps' weights. */
export function planAxis(inLen: number, outLen: number, order: number): AxisPlan {
  const taps = order + 1;
  const first = new Int32Array(outLen);
  const weights = new Float64Array(outLen * taps);
  for (let o = 0; o < outLen; o++) {
    const cc = sourceCoordinate(o, inLen, outLen);
    if (order === 0) {
      first[o] = Math.floor(cc + 0.5);
      weights[o] = 1;
    } else if (order === 1) {
      const f = Math.floor(cc);
      const t = cc - f;
      first[o] = f;
      weights[o * 2] = 1 - t;
      weights[o * 2 + 1] = t;
    } else if (order === 3) {
      const f = Math.floor(cc);
      const t = cc - f;
      first[o] = f - 1;
      const u = 1 - t;
      weights[o * 4] = (u * u * u) / 6;
      weights[o * 4 + 1] = (3 * t * t * t - 6 * t * t + 4) / 6;
      weights[o * 4 + 2] = (-3 * t * t * t + 3 * t * t + 3 * t + 1) / 6;
      weights[o * 4 + 3] = (t * t * t) / 6;
    } else {
      throw new RangeError(`spline order ${order} is not supported (0, 1 or 3)`);
    }
  }
  return { first, weights, taps };
}

/** Resamples axis `axis` of a C-order array to `outLen` with spline `order` (0, 1, 3), mode 'nearest'. */
export function resampleAxis(
  src: Float64Array | Float32Array,
  shape: Shape3,
  axis: number,
  outLen: number,
  order: number,
): { data: Float64Array; shape: Shape3 } {
  const inLen = shape[axis];
  const outShape: Shape3 = [...shape];
  outShape[axis] = outLen;
  const out = new Float64Array(size3(outShape));
  const stride = axis === 0 ? shape[1] * shape[2] : axis === 1 ? shape[2] : 1;
  const outer = axis === 0 ? 1 : axis === 1 ? shape[0] : shape[0] * shape[1];
  const inner = stride; // lines along `axis` are `stride` apart and start at o * inLen * stride + r
  const plan = planAxis(inLen, outLen, order);
  const pad = order === 3 ? SPLINE_PAD : 0;
  const line = new Float64Array(inLen + 2 * pad);
  const last = line.length - 1;
  for (let b = 0; b < outer; b++) {
    for (let r = 0; r < inner; r++) {
      const base = b * inLen * stride + r;
      for (let i = 0; i < inLen; i++) line[pad + i] = src[base + i * stride];
      if (pad) {
        for (let i = 0; i < pad; i++) {
          line[i] = line[pad];
          line[pad + inLen + i] = line[pad + inLen - 1];
        }
        cubicSplineCoefficients(line);
      }
      const outBase = b * outLen * stride + r;
      for (let o = 0; o < outLen; o++) {
        let v = 0;
        const f = plan.first[o] + pad;
        for (let t = 0; t < plan.taps; t++) {
          const idx = f + t;
          v += plan.weights[o * plan.taps + t] * line[idx < 0 ? 0 : idx > last ? last : idx];
        }
        out[outBase + o * stride] = v;
      }
    }
  }
  return { data: out, shape: outShape };
}

/** skimage.transform.resize(order, mode='edge', anti_aliasing=False) of a 3D array, clipped to the input range. */
export function resizeLikeSkimage(a: FloatArray3, newShape: Shape3, order: number, axes: readonly number[] = [0, 1, 2]): FloatArray3 {
  let cur: FloatArray3 = { data: a.data, shape: [...a.shape] as Shape3 };
  for (const ax of axes) if (cur.shape[ax] !== newShape[ax]) cur = resampleAxis(cur.data, cur.shape, ax, newShape[ax], order);
  if (cur.data !== a.data && order > 1) clipToRangeOf(a.data, cur.data);
  return cur;
}

function clipToRangeOf(input: Float64Array | Float32Array, out: Float64Array | Float32Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of input) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i] < lo ? lo : out[i] > hi ? hi : out[i];
}

/** nnU-Net's determine_do_sep_z_and_axis: whether and along which axis to resample separately. */
export function separateZAxis(currentSpacing: readonly number[], newSpacing: readonly number[], opts: ResamplingOptions): number | null {
  const aniso = (s: readonly number[]) => Math.max(...s) / Math.min(...s) > opts.anisotropyThreshold;
  const lowres = (s: readonly number[]) => {
    const m = Math.max(...s);
    return s.map((v, i) => (m / v === 1 ? i : -1)).filter((i) => i >= 0);
  };
  let axes: number[] | null = null;
  if (opts.forceSeparateZ !== null) {
    axes = opts.forceSeparateZ ? lowres(currentSpacing) : null;
  } else if (aniso(currentSpacing)) {
    axes = lowres(currentSpacing);
  } else if (aniso(newSpacing)) {
    axes = lowres(newSpacing);
  }
  // two or three equally coarse axes: no separate axis (nnU-Net resamples the whole grid then)
  return axes && axes.length === 1 ? axes[0] : null;
}

/**
 * resample_data_or_seg_to_shape for one channel (is_seg false): returns the input itself when the shape does not
 * change. In the separate-axis case each plane is resized in 2D (clipped to that plane's range) with `order`, then
 * the low-res axis is interpolated with `orderZ`.
 */
export function resampleToShape(
  a: FloatArray3,
  newShape: Shape3,
  currentSpacing: readonly number[],
  newSpacing: readonly number[],
  opts: ResamplingOptions,
): FloatArray3 {
  if (a.shape.every((s, i) => s === newShape[i])) return a;
  const axis = separateZAxis(currentSpacing, newSpacing, opts);
  if (axis === null) return resizeLikeSkimage(a, newShape, opts.order);
  const inPlane = [0, 1, 2].filter((x) => x !== axis);
  // plane by plane: every plane has its own clip range
  const planeShape: Shape3 = [...newShape];
  planeShape[axis] = a.shape[axis];
  const planes = new Float64Array(size3(planeShape));
  const n = a.shape[axis];
  for (let s = 0; s < n; s++) {
    const plane = extractPlane(a, axis, s);
    const target: Shape3 = [1, newShape[inPlane[0]], newShape[inPlane[1]]];
    const r = resizeLikeSkimage(plane, target, opts.order, [1, 2]);
    insertPlane(planes, planeShape, axis, s, r.data);
  }
  if (n === newShape[axis]) return { data: planes, shape: planeShape };
  return resampleAxis(planes, planeShape, axis, newShape[axis], opts.orderZ);
}

/** Plane s of `axis` as a [1, rows, cols] array (rows/cols = the other two axes in order). */
function extractPlane(a: FloatArray3, axis: number, s: number): FloatArray3 {
  const [d0, d1, d2] = a.shape;
  if (axis === 0) return { shape: [1, d1, d2], data: Float64Array.from(a.data.subarray(s * d1 * d2, (s + 1) * d1 * d2)) };
  const rows = axis === 1 ? d0 : d0;
  const cols = axis === 1 ? d2 : d1;
  const out = new Float64Array(rows * cols);
  let o = 0;
  for (let x = 0; x < rows; x++) {
    for (let y = 0; y < cols; y++) out[o++] = axis === 1 ? a.data[(x * d1 + s) * d2 + y] : a.data[(x * d1 + y) * d2 + s];
  }
  return { shape: [1, rows, cols], data: out };
}

function insertPlane(dst: Float64Array, shape: Shape3, axis: number, s: number, plane: Float64Array | Float32Array): void {
  const [d0, d1, d2] = shape;
  if (axis === 0) {
    dst.set(plane, s * d1 * d2);
    return;
  }
  const cols = axis === 1 ? d2 : d1;
  let o = 0;
  for (let x = 0; x < d0; x++) {
    for (let y = 0; y < cols; y++) {
      if (axis === 1) dst[(x * d1 + s) * d2 + y] = plane[o++];
      else dst[(x * d1 + y) * d2 + s] = plane[o++];
    }
  }
}

/** nnU-Net's compute_new_shape: round(old * oldSpacing / newSpacing) per axis (half to even, as Python's round). */
export function newShapeForSpacing(oldShape: readonly number[], oldSpacing: readonly number[], newSpacing: readonly number[]): Shape3 {
  return oldShape.map((s, i) => {
    const x = (oldSpacing[i] / newSpacing[i]) * s;
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
  }) as Shape3;
}
