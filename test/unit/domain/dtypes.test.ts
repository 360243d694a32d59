// The dtype <-> typed-array mapping used by the binary resources, NIfTI, the viewer and the ONNX reductions:
// every dtype round-trips through bytes, and a wrong size, offset or array type is refused rather than guessed.
import { describe, expect, it } from 'vitest';
import { VOXEL_DTYPES, bytesOf, bytesPerVoxel, dtypeOf, isIntegerDtype, isVoxelDtype, typedArrayOf } from '../../../shared/domain/dtypes.js';
import { voxelDtypeSchema } from '../../../shared/ipc/contract.js';
import type { VoxelArray } from '../../../shared/domain/volume.js';

const samples: Record<(typeof VOXEL_DTYPES)[number], VoxelArray> = {
  int8: Int8Array.of(-128, 0, 127),
  uint8: Uint8Array.of(0, 200, 255),
  int16: Int16Array.of(-1024, 0, 3071),
  uint16: Uint16Array.of(0, 40000, 65535),
  int32: Int32Array.of(-2147483648, 0, 2147483647),
  uint32: Uint32Array.of(0, 3_000_000_000, 4294967295),
  float32: Float32Array.of(-0.5, Math.fround(0.1), 1e30),
  float64: Float64Array.of(-0.5, 0.1, 1e300),
};

describe('voxel dtypes', () => {
  it('names every typed array, and bytes -> view gives the same values back for every dtype', () => {
    expect(voxelDtypeSchema.options).toEqual([...VOXEL_DTYPES]);
    expect([isVoxelDtype('uint16'), isVoxelDtype('float16'), isVoxelDtype(null)]).toEqual([true, false, false]);
    for (const dtype of VOXEL_DTYPES) {
      const a = samples[dtype];
      expect(dtypeOf(a)).toBe(dtype);
      expect(a.BYTES_PER_ELEMENT).toBe(bytesPerVoxel(dtype));
      expect(isIntegerDtype(dtype)).toBe(!dtype.startsWith('float'));
      const copy = bytesOf(a).slice(); // the wire: bytes in a fresh buffer
      const back = typedArrayOf(dtype, copy.buffer);
      expect(dtypeOf(back)).toBe(dtype);
      expect(Array.from(back)).toEqual(Array.from(a));
    }
  });

  it('views part of a buffer without copying; refuses ragged lengths, misaligned offsets and untyped arrays', () => {
    const whole = Int16Array.of(1, 2, 3, 4);
    const part = typedArrayOf('int16', whole.buffer, 2, 2);
    expect(Array.from(part)).toEqual([2, 3]);
    part[0] = 9;
    expect(whole[1]).toBe(9);
    expect(bytesOf(whole.subarray(1, 3)).byteLength).toBe(4);
    expect(() => typedArrayOf('int16', new ArrayBuffer(5))).toThrow(/whole number/);
    expect(() => typedArrayOf('float32', new ArrayBuffer(8), 2)).toThrow(/multiple of 4/);
    expect(() => dtypeOf([1, 2, 3] as unknown as VoxelArray)).toThrow(/no voxel dtype/);
    expect(() => dtypeOf(new Uint8ClampedArray(2) as unknown as VoxelArray)).toThrow(/no voxel dtype/);
  });
});
