import { describe, expect, it } from 'vitest';
import { voxelBoundingBox } from '../../../shared/domain/grid/boundingBox.js';
import type { Vec3 } from '../../../shared/domain/volume.js';

/** A grid with `value` written into the inclusive box [lo, hi] (i fastest). */
function gridWithBox(dims: Vec3, lo: Vec3, hi: Vec3, value: number, into: Uint16Array = new Uint16Array(dims[0] * dims[1] * dims[2])): Uint16Array {
  for (let k = lo[2]; k <= hi[2]; k++) for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) into[i + dims[0] * (j + dims[1] * k)] = value;
  return into;
}

describe('voxelBoundingBox', () => {
  const dims: Vec3 = [7, 5, 4];

  it('finds the inclusive box of one label value, ignoring other labels', () => {
    const g = gridWithBox(dims, [1, 2, 0], [3, 4, 2], 2);
    gridWithBox(dims, [5, 0, 3], [6, 1, 3], 3, g);
    expect(voxelBoundingBox(g, dims, 2)).toEqual({ min: [1, 2, 0], max: [3, 4, 2] });
    expect(voxelBoundingBox(g, dims, 3)).toEqual({ min: [5, 0, 3], max: [6, 1, 3] });
    expect(voxelBoundingBox(g, dims, 4)).toBeNull();
  });

  it('without a value, boxes every non-zero voxel', () => {
    const g = gridWithBox(dims, [1, 2, 0], [3, 4, 2], 2);
    gridWithBox(dims, [5, 0, 3], [6, 1, 3], 3, g);
    expect(voxelBoundingBox(g, dims)).toEqual({ min: [1, 0, 0], max: [6, 4, 3] });
    expect(voxelBoundingBox(new Uint8Array(dims[0] * dims[1] * dims[2]), dims)).toBeNull();
  });

  it('a single voxel at the last corner and the whole grid', () => {
    const n = dims[0] * dims[1] * dims[2];
    const one = new Uint8Array(n);
    one[n - 1] = 1;
    expect(voxelBoundingBox(one, dims)).toEqual({ min: [6, 4, 3], max: [6, 4, 3] });
    expect(voxelBoundingBox(new Uint8Array(n).fill(9), dims, 9)).toEqual({ min: [0, 0, 0], max: [6, 4, 3] });
  });
});
