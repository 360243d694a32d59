// Streaming form of nnU-Net's blending and export, for big volumes: the class-score sums live only in a window one
// patch deep along network axis 0 (tiles run in nnU-Net's order, axis 0 outermost, so a plane is final once the
// tiles starting at or before it are done), and each final plane goes straight to an exporter that resamples it to
// the cropped grid and keeps only labels. Same arithmetic per voxel as predict.ts (same tile order, the same float16
// rounding points); it applies when the class scores are resampled with orders <= 1, where every axis is a local,
// separable interpolation (nnU-Net's default: order 1, orderZ 0).
import { HALF_TO_FLOAT, toHalfBits } from './half.js';
import { size3, type Shape3 } from './array3.js';
import { accumulateTile, createAccumulator, type Accumulator, type AccumulatorType } from './predict.js';
import { planAxis, resampleAxis, separateZAxis, type AxisPlan, type ResamplingOptions } from './resample.js';

export class SlabAccumulator {
  readonly folds: Accumulator[];
  readonly weights: Uint16Array;
  /** Padded-grid index of the window's first plane. */
  zLo = 0;
  private readonly plane: number;

  constructor(
    readonly type: AccumulatorType,
    readonly classes: number,
    readonly padded: Shape3,
    readonly depth: number,
    nFolds: number,
  ) {
    const shape: Shape3 = [depth, padded[1], padded[2]];
    this.folds = Array.from({ length: nFolds }, () => createAccumulator(type, classes, shape));
    this.weights = new Uint16Array(size3(shape));
    this.plane = padded[1] * padded[2];
  }

  /** Bytes of the sums (every fold) and the weights: classes x depth x padded plane in float16 (or float32), per fold. */
  static plannedBytes(type: AccumulatorType, classes: number, padded: Shape3, depth: number, nFolds: number): number {
    const plane = depth * padded[1] * padded[2];
    return nFolds * classes * plane * (type === 'float16' ? 2 : 4) + 2 * plane;
  }

  /** Bytes this accumulator holds (its arrays' sizes). */
  get bytes(): number {
    return this.folds.reduce((n, acc) => n + acc.sums.byteLength, 0) + this.weights.byteLength;
  }

  /** Moves the window forward so it starts at plane z (planes before z must have been taken). */
  shiftTo(z: number): void {
    const d = z - this.zLo;
    if (d <= 0) return;
    const keep = Math.max(0, this.depth - d) * this.plane;
    const block = this.depth * this.plane;
    for (const acc of this.folds) {
      for (let c = 0; c < this.classes; c++) {
        const base = c * block;
        if (keep) acc.sums.copyWithin(base, base + d * this.plane, base + block);
        acc.sums.fill(0, base + keep, base + block);
      }
    }
    if (keep) this.weights.copyWithin(0, d * this.plane, block);
    this.weights.fill(0, keep, block);
    this.zLo = z;
  }

  add(fold: number, logits: Float32Array, gaussian: Float32Array | null, start: readonly number[], patch: readonly number[]): void {
    accumulateTile(this.folds[fold], fold === 0 ? this.weights : null, logits, gaussian, [start[0] - this.zLo, start[1], start[2]], patch);
  }

  /**
   * The folds' averaged logits of padded plane z over the in-plane window [lo1, lo1 + n1) x [lo2, lo2 + n2):
   * each fold divided by the weights, summed, divided by the number of folds, rounded as the accumulator type (so
   * float32 holds every value exactly).
   */
  finalPlane(z: number, lo1: number, n1: number, lo2: number, n2: number): Float32Array {
    const round = this.type === 'float16' ? (v: number) => HALF_TO_FLOAT[toHalfBits(v)] : Math.fround;
    const get = (acc: Accumulator, i: number) => (this.type === 'float16' ? HALF_TO_FLOAT[acc.sums[i]] : acc.sums[i]);
    const out = new Float32Array(this.classes * n1 * n2);
    const block = this.depth * this.plane;
    const zl = z - this.zLo;
    const f = Math.fround;
    let o = 0;
    for (let c = 0; c < this.classes; c++) {
      for (let a = 0; a < n1; a++) {
        const row = zl * this.plane + (lo1 + a) * this.padded[2] + lo2;
        for (let b = 0; b < n2; b++, o++) {
          const w = HALF_TO_FLOAT[this.weights[row + b]];
          let total = 0;
          this.folds.forEach((acc, k) => {
            const v = round(f(get(acc, c * block + row + b) / w));
            total = k === 0 ? v : round(f(total + v));
          });
          out[o] = this.folds.length > 1 ? round(f(total / this.folds.length)) : total;
        }
      }
    }
    return out;
  }
}

/**
 * Takes the network grid's final planes in order and writes labels on the cropped grid, plane by plane. Only the
 * network planes an output plane still needs are kept (float32, as finalPlane gives them); each output plane is made
 * one class at a time (in-plane resampling of that class, then the axis-0 taps) with a running argmax, so no
 * all-class plane on the cropped grid is ever held.
 */
export class StreamingExporter {
  readonly labels: Uint8Array;
  private readonly axis0: AxisPlan;
  private readonly orders: number[];
  private readonly identity: boolean;
  private readonly cropPlane: number;
  private readonly gridPlane: number;
  private readonly slices = new Map<number, { data: Float32Array; finite: boolean }>();
  private nextOut = 0;
  private readonly round: (v: number) => number;
  private readonly best: Float64Array;

  constructor(
    private readonly grid: Shape3,
    private readonly cropShape: Shape3,
    networkSpacing: readonly number[],
    imageSpacing: readonly number[],
    opts: ResamplingOptions,
    private readonly classes: number,
    type: AccumulatorType,
  ) {
    const sep = separateZAxis(networkSpacing, imageSpacing, opts);
    this.orders = [0, 1, 2].map((a) => (sep === a ? opts.orderZ : opts.order));
    if (this.orders.some((o) => o > 1)) throw new RangeError('streaming export needs resampling orders <= 1');
    this.identity = grid.every((s, i) => s === cropShape[i]);
    this.axis0 = planAxis(grid[0], cropShape[0], this.orders[0]);
    this.cropPlane = cropShape[1] * cropShape[2];
    this.gridPlane = grid[1] * grid[2];
    this.labels = new Uint8Array(size3(cropShape));
    this.best = new Float64Array(this.cropPlane);
    this.round = type === 'float16' ? (v: number) => HALF_TO_FLOAT[toHalfBits(v)] : Math.fround;
  }

  static applies(opts: ResamplingOptions): boolean {
    return opts.order <= 1 && opts.orderZ <= 1;
  }

  /** Bytes the exporter holds at most: labels, the running maximum and the network planes kept for the axis-0 taps. */
  static plannedBytes(grid: Shape3, cropShape: Shape3, classes: number, axis0Order: number): number {
    const keptPlanes = axis0Order + 2; // the taps of one output plane and the plane being pushed
    return size3(cropShape) + 8 * cropShape[1] * cropShape[2] + keptPlanes * 4 * classes * grid[1] * grid[2];
  }

  private clamp(i: number): number {
    return i < 0 ? 0 : i > this.grid[0] - 1 ? this.grid[0] - 1 : i;
  }

  /** Network plane s (0-based, unpadded), classes x grid[1] x grid[2]. */
  push(s: number, plane: Float32Array): void {
    let finite = true;
    for (let i = 0; i < plane.length && finite; i++) finite = Number.isFinite(plane[i]);
    this.slices.set(s, { data: plane, finite });
    const taps = this.axis0.taps;
    while (this.nextOut < this.cropShape[0] && this.clamp(this.axis0.first[this.nextOut] + taps - 1) <= s) {
      this.emit(this.nextOut++);
    }
    if (this.nextOut < this.cropShape[0]) {
      const keepFrom = this.clamp(this.axis0.first[this.nextOut]);
      for (const k of [...this.slices.keys()]) if (k < keepFrom) this.slices.delete(k);
    }
  }

  done(): boolean {
    return this.nextOut === this.cropShape[0];
  }

  /** Class c of network plane s resampled in-plane to the cropped grid (the plane's own values when no axis changes). */
  private inPlane(s: number, c: number): Float64Array | Float32Array {
    const src = this.slices.get(s)!.data.subarray(c * this.gridPlane, (c + 1) * this.gridPlane);
    let data: Float64Array | Float32Array = src;
    let shape: Shape3 = [1, this.grid[1], this.grid[2]];
    if (shape[1] !== this.cropShape[1]) ({ data, shape } = resampleAxis(data, shape, 1, this.cropShape[1], this.orders[1]));
    if (shape[2] !== this.cropShape[2]) ({ data } = resampleAxis(data, shape, 2, this.cropShape[2], this.orders[2]));
    return data;
  }

  private emit(o: number): void {
    const taps = this.axis0.taps;
    const n = this.cropPlane;
    const out = o * n;
    const best = this.best.fill(-Infinity);
    const labels = this.labels;
    // a tap of weight 0 on finite values adds exactly 0: it is skipped (not when the plane holds an infinity or NaN)
    const used: { s: number; w: number }[] = [];
    for (let t = 0; t < taps; t++) {
      const s = this.clamp(this.axis0.first[o] + t);
      const w = this.axis0.weights[o * taps + t];
      if (w !== 0 || !this.slices.get(s)!.finite || this.identity) used.push({ s, w });
    }
    for (let c = 0; c < this.classes; c++) {
      if (this.identity) {
        const src = this.inPlane(this.clamp(this.axis0.first[o]), c);
        for (let p = 0; p < n; p++) {
          if (src[p] > best[p]) {
            best[p] = src[p];
            labels[out + p] = c;
          }
        }
        continue;
      }
      const lines = used.map((u) => this.inPlane(u.s, c));
      for (let p = 0; p < n; p++) {
        let v = 0;
        for (let t = 0; t < lines.length; t++) v += used[t].w * lines[t][p];
        v = this.round(v);
        if (v > best[p]) {
          best[p] = v;
          labels[out + p] = c;
        }
      }
    }
  }
}
