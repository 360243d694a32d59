// Voxel element types: the dtype names that travel with binary resources and NIfTI files, and the one mapping
// between those names and JavaScript typed arrays (little-endian, i-fastest like Volume.voxels).
import type { VoxelArray } from './volume.js';

export const VOXEL_DTYPES = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
export type VoxelDtype = (typeof VOXEL_DTYPES)[number];

export function isVoxelDtype(x: unknown): x is VoxelDtype {
  return typeof x === 'string' && (VOXEL_DTYPES as readonly string[]).includes(x);
}

/** The dtype of a typed array. */
export function dtypeOf(a: VoxelArray): VoxelDtype {
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  // Only reachable from untyped callers (a plain array, a Uint8ClampedArray): never guess a wire type.
  throw new TypeError(`no voxel dtype for ${Object.prototype.toString.call(a)}`);
}

export function bytesPerVoxel(dtype: VoxelDtype): 1 | 2 | 4 | 8 {
  switch (dtype) {
    case 'int8':
    case 'uint8':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 4;
    case 'float64':
      return 8;
  }
}

/** True for the integer dtypes (values are whole numbers by construction). */
export function isIntegerDtype(dtype: VoxelDtype): boolean {
  return dtype !== 'float32' && dtype !== 'float64';
}

/**
 * A typed-array view (no copy) of `length` voxels of `dtype` starting at `byteOffset`; by default the whole
 * buffer, which must then hold a whole number of voxels. The offset must be aligned to the element size.
 */
export function typedArrayOf(dtype: VoxelDtype, buffer: ArrayBufferLike, byteOffset = 0, length?: number): VoxelArray {
  const width = bytesPerVoxel(dtype);
  if (byteOffset % width !== 0) throw new RangeError(`${dtype} data must start at a multiple of ${width} bytes (offset ${byteOffset})`);
  const n = length ?? (buffer.byteLength - byteOffset) / width;
  if (!Number.isInteger(n)) throw new RangeError(`${buffer.byteLength - byteOffset} bytes are not a whole number of ${dtype} voxels`);
  switch (dtype) {
    case 'int8':
      return new Int8Array(buffer, byteOffset, n);
    case 'uint8':
      return new Uint8Array(buffer, byteOffset, n);
    case 'int16':
      return new Int16Array(buffer, byteOffset, n);
    case 'uint16':
      return new Uint16Array(buffer, byteOffset, n);
    case 'int32':
      return new Int32Array(buffer, byteOffset, n);
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, n);
    case 'float32':
      return new Float32Array(buffer, byteOffset, n);
    case 'float64':
      return new Float64Array(buffer, byteOffset, n);
  }
}

/** The bytes of a typed array (a view, no copy), e.g. for a binary response. */
export function bytesOf(a: VoxelArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
