// IEEE half precision (float16) as nnU-Net's CPU predictor uses it: tile logits, Gaussian weights and the resampled
// class scores are stored in float16. Node 20 has no Float16Array, so halves are stored as their bits in a Uint16Array.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float16 bits nearest to x (round half to even, via float32 as torch's float -> half cast does). */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const expo = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (expo === 255) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = expo - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let hm = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && hm & 1)) hm++;
    return sign | hm;
  }
  const hm = mant >>> 13;
  const rem = mant & 0x1fff;
  let h = sign | (e << 10) | hm;
  if (rem > 0x1000 || (rem === 0x1000 && hm & 1)) h++; // a carry into the exponent is the right result
  return h;
}

/** float16 bits -> value, for all 65536 bit patterns. */
export const HALF_TO_FLOAT = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

/** x rounded to the nearest float16 value. */
export function roundHalf(x: number): number {
  return HALF_TO_FLOAT[toHalfBits(x)];
}
