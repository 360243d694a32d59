// While a volume arrives slice by slice, a view cut from it (shared/domain/mpr.ts) shows the slices not yet received
// as blank, never as whatever the volume holds there, and never reads them: the volume is left unfilled (zero pages
// the browser has not touched), and filling or even reading 250 MB of them took seconds before the first image.
import { extractSlice, type PatientViewAxes } from '../mpr.js';
import type { Vec3 } from '../volume.js';

type WritableArray = { [n: number]: number; length: number };

/**
 * extractSlice for a volume whose slices (third index k) have arrived where loaded[k] = 1: the same pixels for
 * those, `blank` for the others, and no voxel of a slice not arrived is read. Pure.
 */
export function extractArrivedSlice(
  src: ArrayLike<number>,
  dims: Vec3,
  ax: PatientViewAxes,
  slice: number,
  loaded: Uint8Array,
  blank: number,
  out: WritableArray,
): void {
  const { width, height } = ax;
  if (ax.sliceAxis === 2) {
    if (loaded[slice]) extractSlice(src, dims, ax, slice, out);
    else for (let n = 0; n < width * height; n++) out[n] = blank;
    return;
  }
  // k runs along the view's rows or columns: copy line by line, with extractSlice's strides and flips.
  const stride = [1, dims[0], dims[0] * dims[1]];
  const base = slice * stride[ax.sliceAxis];
  const sc = stride[ax.colAxis];
  const sr = stride[ax.rowAxis];
  const c0 = ax.colFlip ? (width - 1) * sc : 0;
  const dc = ax.colFlip ? -sc : sc;
  const kOnRows = ax.rowAxis === 2;
  for (let r = 0; r < height; r++) {
    const vr = ax.rowFlip ? height - 1 - r : r;
    const o = r * width;
    if (kOnRows && !loaded[vr]) {
      for (let c = 0; c < width; c++) out[o + c] = blank;
      continue;
    }
    let p = base + vr * sr + c0;
    for (let c = 0; c < width; c++, p += dc) out[o + c] = kOnRows || loaded[ax.colFlip ? width - 1 - c : c] ? src[p] : blank;
  }
}
