// A stroke's effect as a delta: the changed voxel indices with their old and new label values. Deltas are what
// the journal stores (run-length encoded), what undo inverts, and what tells the viewer which region to redraw.
import { AppError } from '../../errors.js';
import type { Vec3 } from '../volume.js';

export interface LabelDelta {
  /** Voxel indices (i-fastest order), strictly ascending. */
  indices: Uint32Array;
  oldValues: Uint16Array;
  newValues: Uint16Array;
}

export type LabelArray = Uint8Array | Uint16Array;

export const EMPTY_DELTA: LabelDelta = { indices: new Uint32Array(0), oldValues: new Uint16Array(0), newValues: new Uint16Array(0) };

/**
 * Collects changes while an operation walks its footprint. Callers record each changed voxel once; when they
 * cannot walk in index order the builder sorts at the end.
 */
export class DeltaBuilder {
  private idx = new Uint32Array(1024);
  private oldV = new Uint16Array(1024);
  private newV = new Uint16Array(1024);
  private n = 0;
  private ascending = true;

  get size(): number {
    return this.n;
  }

  push(index: number, oldValue: number, newValue: number): void {
    if (this.n === this.idx.length) this.grow();
    if (this.n > 0 && index <= this.idx[this.n - 1]) this.ascending = false;
    this.idx[this.n] = index;
    this.oldV[this.n] = oldValue;
    this.newV[this.n] = newValue;
    this.n++;
  }

  finish(): LabelDelta {
    const n = this.n;
    if (this.ascending) return { indices: this.idx.slice(0, n), oldValues: this.oldV.slice(0, n), newValues: this.newV.slice(0, n) };
    // One native numeric sort on key = index·2^21 + position (exact in float64: below 2^53).
    if (n >= 2 ** 21) return this.finishBySlowSort();
    const keys = new Float64Array(n);
    for (let p = 0; p < n; p++) keys[p] = this.idx[p] * 2 ** 21 + p;
    keys.sort();
    const out = { indices: new Uint32Array(n), oldValues: new Uint16Array(n), newValues: new Uint16Array(n) };
    let m = 0;
    for (let q = 0; q < n; q++) {
      const p = keys[q] % 2 ** 21;
      const index = this.idx[p];
      if (m > 0 && out.indices[m - 1] === index) throw new AppError('INTERNAL', `Voxel ${index} was recorded twice in one edit.`);
      out.indices[m] = index;
      out.oldValues[m] = this.oldV[p];
      out.newValues[m] = this.newV[p];
      m++;
    }
    return out;
  }

  private finishBySlowSort(): LabelDelta {
    const order = Array.from({ length: this.n }, (_, p) => p).sort((a, b) => this.idx[a] - this.idx[b]);
    const out = { indices: new Uint32Array(this.n), oldValues: new Uint16Array(this.n), newValues: new Uint16Array(this.n) };
    order.forEach((p, q) => {
      out.indices[q] = this.idx[p];
      out.oldValues[q] = this.oldV[p];
      out.newValues[q] = this.newV[p];
    });
    return out;
  }

  private grow(): void {
    const size = this.idx.length * 2;
    const idx = new Uint32Array(size);
    idx.set(this.idx);
    const oldV = new Uint16Array(size);
    oldV.set(this.oldV);
    const newV = new Uint16Array(size);
    newV.set(this.newV);
    this.idx = idx;
    this.oldV = oldV;
    this.newV = newV;
  }
}

export function invertDelta(d: LabelDelta): LabelDelta {
  return { indices: d.indices, oldValues: d.newValues, newValues: d.oldValues };
}

/**
 * Writes the delta's new values, after checking every voxel still holds the old value: a mismatch means the
 * journal and the label map disagree, and nothing is written rather than mixing two histories.
 */
export function applyDelta(labels: LabelArray, d: LabelDelta): void {
  const { indices, oldValues, newValues } = d;
  const n = indices.length;
  for (let p = 0; p < n; p++) {
    const index = indices[p];
    if (index >= labels.length || labels[index] !== oldValues[p]) {
      throw new AppError(
        'INTERNAL',
        `Edit journal does not match the label map at voxel ${index} (holds ${labels[index]}, journal expects ${oldValues[p]}); nothing was changed.`,
      );
    }
  }
  for (let p = 0; p < n; p++) labels[indices[p]] = newValues[p];
}

export interface ChangedRegion {
  /** Inclusive voxel bounds of the changed voxels, or null when nothing changed. */
  changedBoundsIjk: { minIjk: Vec3; maxIjk: Vec3 } | null;
  /** Distinct axial slices (k) that changed, ascending. */
  changedSlicesK: number[];
  changedVoxels: number;
}

export function changedRegion(d: LabelDelta, dims: Vec3): ChangedRegion {
  const n = d.indices.length;
  if (n === 0) return { changedBoundsIjk: null, changedSlicesK: [], changedVoxels: 0 };
  const nx = dims[0];
  const nxy = dims[0] * dims[1];
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  const slices: number[] = [];
  for (let p = 0; p < n; p++) {
    const index = d.indices[p];
    const k = Math.floor(index / nxy);
    const rem = index - k * nxy;
    const j = Math.floor(rem / nx);
    const i = rem - j * nx;
    if (i < min[0]) min[0] = i;
    if (i > max[0]) max[0] = i;
    if (j < min[1]) min[1] = j;
    if (j > max[1]) max[1] = j;
    if (k < min[2]) min[2] = k;
    if (k > max[2]) max[2] = k;
    // indices ascend, so k does too
    if (slices.length === 0 || slices[slices.length - 1] !== k) slices.push(k);
  }
  return { changedBoundsIjk: { minIjk: min, maxIjk: max }, changedSlicesK: slices, changedVoxels: n };
}

/** Per-label voxel count change caused by the delta (label value → signed count). */
export function labelCountChanges(d: LabelDelta): Map<number, number> {
  const out = new Map<number, number>();
  for (let p = 0; p < d.indices.length; p++) {
    out.set(d.oldValues[p], (out.get(d.oldValues[p]) ?? 0) - 1);
    out.set(d.newValues[p], (out.get(d.newValues[p]) ?? 0) + 1);
  }
  return out;
}

// ---- binary encoding: 'rle1' ----------------------------------------------------------------------------
// Layout (all integers unsigned LEB128 varints):
//   count, runCount, then runCount × (gap from the previous run's end, run length),
//   then old values as (repeat, value) pairs covering count, then new values likewise.
// Brush footprints are rows of consecutive voxels with one old and one new value, so a 20 mm sphere is a few
// hundred runs and a handful of value pairs.

class ByteWriter {
  private buf = new Uint8Array(256);
  length = 0;

  varint(x: number): void {
    if (this.length + 10 > this.buf.length) {
      const b = new Uint8Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    while (x >= 0x80) {
      this.buf[this.length++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.length++] = x;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

class ByteReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  varint(): number {
    let x = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new AppError('IO_ERROR', 'Edit delta is truncated.');
      const b = this.buf[this.pos++];
      x += (b & 0x7f) * scale;
      if (b < 0x80) return x;
      scale *= 0x80;
      if (scale > 2 ** 49) throw new AppError('IO_ERROR', 'Edit delta has an over-long number.');
    }
  }
}

function writeValueRuns(w: ByteWriter, values: Uint16Array): void {
  let p = 0;
  while (p < values.length) {
    const v = values[p];
    let q = p + 1;
    while (q < values.length && values[q] === v) q++;
    w.varint(q - p);
    w.varint(v);
    p = q;
  }
}

function readValueRuns(r: ByteReader, count: number): Uint16Array {
  const out = new Uint16Array(count);
  let p = 0;
  while (p < count) {
    const repeat = r.varint();
    const v = r.varint();
    if (repeat === 0 || p + repeat > count || v > 0xffff) throw new AppError('IO_ERROR', 'Edit delta has a bad value run.');
    out.fill(v, p, p + repeat);
    p += repeat;
  }
  return out;
}

export function encodeDelta(d: LabelDelta): Uint8Array {
  const w = new ByteWriter();
  const n = d.indices.length;
  const runs: number[] = [];
  let p = 0;
  while (p < n) {
    let q = p + 1;
    while (q < n && d.indices[q] === d.indices[q - 1] + 1) q++;
    runs.push(d.indices[p], q - p);
    p = q;
  }
  w.varint(n);
  w.varint(runs.length / 2);
  let end = 0;
  for (let r = 0; r < runs.length; r += 2) {
    w.varint(runs[r] - end);
    w.varint(runs[r + 1]);
    end = runs[r] + runs[r + 1];
  }
  writeValueRuns(w, d.oldValues);
  writeValueRuns(w, d.newValues);
  return w.bytes();
}

export function decodeDelta(bytes: Uint8Array): LabelDelta {
  const r = new ByteReader(bytes);
  const n = r.varint();
  const runCount = r.varint();
  const indices = new Uint32Array(n);
  let p = 0;
  let end = 0;
  for (let run = 0; run < runCount; run++) {
    const start = end + r.varint();
    const length = r.varint();
    if (length === 0 || p + length > n || start + length > 2 ** 32) throw new AppError('IO_ERROR', 'Edit delta has a bad index run.');
    for (let x = 0; x < length; x++) indices[p++] = start + x;
    end = start + length;
  }
  if (p !== n) throw new AppError('IO_ERROR', `Edit delta lists ${p} voxels in its runs but says ${n}.`);
  const oldValues = readValueRuns(r, n);
  const newValues = readValueRuns(r, n);
  if (r.pos !== bytes.length) throw new AppError('IO_ERROR', 'Edit delta has trailing bytes.');
  return { indices, oldValues, newValues };
}
