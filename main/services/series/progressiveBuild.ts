// A series' volume while it is being built, for progressive viewing: the grid is known before any pixel, each slice
// can be awaited on its own (and asked for ahead of its turn). Slices are views of the one array the complete volume
// ends up in (no copies).
import { AppError } from '../../../shared/errors.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { progressiveSliceOrder } from '../../../shared/domain/progressive/sliceOrder.js';
import type { VolumeGeometry, VoxelArray } from '../../../shared/domain/volume.js';

/** What volume.open answers with before any pixel: the grid the build fills and its geometry verdict. */
export interface ProgressiveGrid extends VolumeGeometry {
  modality: string;
  geometry: GeometryReport;
}

export class ProgressiveBuild {
  readonly sliceOrder: number[];
  readonly sliceCount: number;
  /** Called when a slice not yet decoded is asked for, so the build can decode it next (catalog builds do). */
  onWanted: ((k: number) => void) | null = null;
  private voxels: VoxelArray | null = null;
  private readonly ready: Uint8Array;
  private readyCount = 0;
  private readonly waiting = new Map<number, Array<{ resolve: () => void; reject: (e: unknown) => void }>>();
  private failure: unknown = null;

  /** progressive: slices become final one by one (spread-first order); else they all appear at the end, in source order. */
  constructor(
    readonly grid: ProgressiveGrid,
    readonly progressive: boolean,
  ) {
    this.sliceCount = grid.dims[2];
    this.sliceOrder = progressive ? progressiveSliceOrder(this.sliceCount) : Array.from({ length: this.sliceCount }, (_, k) => k);
    this.ready = new Uint8Array(this.sliceCount);
  }

  get slicesReady(): number {
    return this.readyCount;
  }

  sliceDone(k: number, voxels: VoxelArray): void {
    this.voxels = voxels;
    if (this.ready[k]) return;
    this.ready[k] = 1;
    this.readyCount++;
    for (const w of this.waiting.get(k) ?? []) w.resolve();
    this.waiting.delete(k);
  }

  /** The build finished: every slice is in the final array. */
  complete(voxels: VoxelArray): void {
    this.voxels = voxels;
    for (let k = 0; k < this.sliceCount; k++) this.sliceDone(k, voxels);
  }

  fail(err: unknown): void {
    this.failure = err;
    for (const list of this.waiting.values()) for (const w of list) w.reject(err);
    this.waiting.clear();
  }

  /** Slice k (i fastest, j next), once it is decoded: a view of the volume's array, in its dtype at that moment. */
  async slice(k: number): Promise<VoxelArray> {
    if (!Number.isInteger(k) || k < 0 || k >= this.sliceCount) {
      throw new AppError('INVALID_INPUT', `slice ${k} is outside 0..${this.sliceCount - 1}`);
    }
    if (!this.ready[k]) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve, reject) => {
        const list = this.waiting.get(k) ?? [];
        list.push({ resolve, reject });
        this.waiting.set(k, list);
        this.onWanted?.(k);
      });
    }
    const sliceLen = this.grid.dims[0] * this.grid.dims[1];
    const v = this.voxels as VoxelArray;
    return v.subarray(k * sliceLen, (k + 1) * sliceLen);
  }
}
