// nnU-Net's crop to non-zero: the mask of voxels non-zero in any channel with its holes filled (background not
// 6-connected to the border), its bounding box (half-open [start, end) per axis; the whole array when the mask is
// empty), the crop, and the paste back into a zero array of the original shape.
import { voxelBoundingBox } from '../grid/boundingBox.js';
import { size3, type Array3, type Shape3 } from './array3.js';

export type Bbox3 = [[number, number], [number, number], [number, number]];

/** Non-zero in any channel, holes filled (scipy binary_fill_holes with its default 6-connected structure). */
export function nonzeroMaskFilled(channels: readonly Float32Array[], shape: Shape3): Uint8Array {
  const n = size3(shape);
  const mask = new Uint8Array(n);
  for (const c of channels) for (let i = 0; i < n; i++) if (c[i] !== 0) mask[i] = 1;
  // flood the background from the border; background not reached is a hole
  const [d0, d1, d2] = shape;
  const s0 = d1 * d2;
  const outside = new Uint8Array(n);
  // a growing queue: in a CT nearly everything is non-zero and the flood stays small
  let queue = new Int32Array(Math.min(n, 1 << 16));
  let head = 0;
  let tail = 0;
  const seed = (i: number) => {
    if (!mask[i] && !outside[i]) {
      outside[i] = 1;
      if (tail === queue.length) {
        if (head > 0) {
          queue.copyWithin(0, head, tail);
          tail -= head;
          head = 0;
        }
        if (tail === queue.length) {
          const bigger = new Int32Array(Math.min(n, queue.length * 2));
          bigger.set(queue);
          queue = bigger;
        }
      }
      queue[tail++] = i;
    }
  };
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let c = 0; c < d2; c++) {
        if (a === 0 || a === d0 - 1 || b === 0 || b === d1 - 1 || c === 0 || c === d2 - 1) seed(a * s0 + b * d2 + c);
      }
    }
  }
  while (head < tail) {
    const i = queue[head++];
    const a = Math.floor(i / s0);
    const b = Math.floor((i % s0) / d2);
    const c = i % d2;
    if (a > 0) seed(i - s0);
    if (a < d0 - 1) seed(i + s0);
    if (b > 0) seed(i - d2);
    if (b < d1 - 1) seed(i + d2);
    if (c > 0) seed(i - 1);
    if (c < d2 - 1) seed(i + 1);
  }
  for (let i = 0; i < n; i++) mask[i] = outside[i] ? 0 : 1;
  return mask;
}

export function bboxOfMask(mask: Uint8Array, shape: Shape3): Bbox3 {
  // the last axis of `shape` runs fastest, so it is the grid's i
  const box = voxelBoundingBox(mask, [shape[2], shape[1], shape[0]]);
  if (!box)
    return [
      [0, shape[0]],
      [0, shape[1]],
      [0, shape[2]],
    ];
  return [
    [box.min[2], box.max[2] + 1],
    [box.min[1], box.max[1] + 1],
    [box.min[0], box.max[0] + 1],
  ];
}

export function bboxShape(bbox: Bbox3): Shape3 {
  return [bbox[0][1] - bbox[0][0], bbox[1][1] - bbox[1][0], bbox[2][1] - bbox[2][0]];
}

/** The crop (the array itself, not a copy, when the box is the whole array). */
export function cropToBbox<T extends Float32Array | Uint8Array>(a: Array3<T>, bbox: Bbox3): Array3<T> {
  const shape = bboxShape(bbox);
  if (shape.every((s, i) => s === a.shape[i])) return a;
  const out = new (a.data.constructor as new (n: number) => T)(size3(shape));
  let o = 0;
  for (let x = bbox[0][0]; x < bbox[0][1]; x++) {
    for (let y = bbox[1][0]; y < bbox[1][1]; y++) {
      const start = (x * a.shape[1] + y) * a.shape[2] + bbox[2][0];
      out.set(a.data.subarray(start, start + shape[2]), o);
      o += shape[2];
    }
  }
  return { shape, data: out };
}

/** Pastes `crop` at `bbox` into a zero array of `shape` (nnU-Net's insert_crop_into_image on a zero image). */
export function uncropFromBbox<T extends Float32Array | Uint8Array>(crop: Array3<T>, bbox: Bbox3, shape: Shape3): Array3<T> {
  const out = new (crop.data.constructor as new (n: number) => T)(size3(shape));
  let o = 0;
  for (let x = bbox[0][0]; x < bbox[0][1]; x++) {
    for (let y = bbox[1][0]; y < bbox[1][1]; y++) {
      out.set(crop.data.subarray(o, o + crop.shape[2]), (x * shape[1] + y) * shape[2] + bbox[2][0]);
      o += crop.shape[2];
    }
  }
  return { shape, data: out };
}
