// A 3D array in C order (last axis fastest), nnU-Net's view of an image: medseg's i-fastest voxel buffer with dims
// [ni, nj, nk] is exactly the array of shape [nk, nj, ni]; nnU-Net's transpose_forward then permutes its axes.

export type Shape3 = [number, number, number];

export interface Array3<T extends Float32Array | Float64Array | Uint8Array | Uint16Array = Float32Array> {
  shape: Shape3;
  data: T;
}

export function size3(s: readonly number[]): number {
  return s[0] * s[1] * s[2];
}

/** out axis a = in axis perm[a] (numpy's transpose(perm)), copied to C order. */
export function transpose3<T extends Float32Array | Float64Array | Uint8Array | Uint16Array>(a: Array3<T>, perm: readonly number[]): Array3<T> {
  const [p0, p1, p2] = perm;
  if (p0 === 0 && p1 === 1 && p2 === 2) return a;
  const inStrides = [a.shape[1] * a.shape[2], a.shape[2], 1];
  const shape: Shape3 = [a.shape[p0], a.shape[p1], a.shape[p2]];
  const s0 = inStrides[p0];
  const s1 = inStrides[p1];
  const s2 = inStrides[p2];
  const out = new (a.data.constructor as new (n: number) => T)(a.data.length);
  let o = 0;
  for (let x = 0; x < shape[0]; x++) {
    for (let y = 0; y < shape[1]; y++) {
      let src = x * s0 + y * s1;
      for (let z = 0; z < shape[2]; z++, src += s2) out[o++] = a.data[src];
    }
  }
  return { shape, data: out };
}

/** The inverse permutation: transposing by perm then by inversePermutation(perm) is the identity. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = [0, 0, 0];
  perm.forEach((p, a) => (inv[p] = a));
  return inv;
}
