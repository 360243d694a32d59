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
   * each fold divided by the weights, summed, divided by the number of folds, rounded as the accumulator type.
   */
  finalPlane(z: number, lo1: number, n1: number, lo2: number, n2: number): Float64Array {
    const round = this.type === 'float16' ? (v: number) => HALF_TO_FLOAT[toHalfBits(v)] : Math.fround;
    const get = (acc: Accumulator, i: number) => (this.type === 'float16' ? HALF_TO_FLOAT[acc.sums[i]] : acc.sums[i]);
    const out = new Float64Array(this.classes * n1 * n2);
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

/** Takes the network grid's final planes in order and writes labels on the cropped grid, plane by plane. */
export class StreamingExporter {
  readonly labels: Uint8Array;
  private readonly axis0: AxisPlan;
  private readonly orders: number[];
  private readonly identity: boolean;
  private readonly cropPlane: number;
  private readonly slices = new Map<number, Float64Array>();
  private nextOut = 0;
  private readonly round: (v: number) => number;

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
    this.labels = new Uint8Array(size3(cropShape));
    this.round = type === 'float16' ? (v: number) => HALF_TO_FLOAT[toHalfBits(v)] : Math.fround;
  }

  static applies(opts: ResamplingOptions): boolean {
    return opts.order <= 1 && opts.orderZ <= 1;
  }

  private clamp(i: number): number {
    return i < 0 ? 0 : i > this.grid[0] - 1 ? this.grid[0] - 1 : i;
  }

  /** Network plane s (0-based, unpadded), classes x grid[1] x grid[2]. */
  push(s: number, plane: Float64Array): void {
    let inPlane = plane;
    let shape: Shape3 = [this.classes, this.grid[1], this.grid[2]];
    if (shape[1] !== this.cropShape[1]) ({ data: inPlane, shape } = resampleAxis(inPlane, shape, 1, this.cropShape[1], this.orders[1]));
    if (shape[2] !== this.cropShape[2]) ({ data: inPlane } = resampleAxis(inPlane, shape, 2, this.cropShape[2], this.orders[2]));
    this.slices.set(s, inPlane);
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

  private emit(o: number): void {
    const taps = this.axis0.taps;
    const srcs: Float64Array[] = [];
    const ws: number[] = [];
    for (let t = 0; t < taps; t++) {
      srcs.push(this.slices.get(this.clamp(this.axis0.first[o] + t))!);
      ws.push(this.axis0.weights[o * taps + t]);
    }
    const n = this.cropPlane;
    const out = o * n;
    for (let p = 0; p < n; p++) {
      let best = -Infinity;
      let label = 0;
      for (let c = 0; c < this.classes; c++) {
        const i = c * n + p;
        let v: number;
        if (this.identity) v = srcs[0][i];
        else {
          v = 0;
          for (let t = 0; t < taps; t++) v += ws[t] * srcs[t][i];
          v = this.round(v);
        }
        if (v > best) {
          best = v;
          label = c;
        }
      }
      this.labels[out + p] = label;
    }
  }
}
