// Dice overlap of one label value in each of two label maps on the same grid (voxel by voxel).

/** Dice of value `av` in `a` against value `bv` in `b`; null when neither map holds its value (Dice is undefined there). */
export function labelDice(a: ArrayLike<number>, av: number, b: ArrayLike<number>, bv: number): number | null {
  let inter = 0;
  let na = 0;
  let nb = 0;
  for (let n = 0; n < a.length; n++) {
    const x = a[n] === av;
    const y = b[n] === bv;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? null : (2 * inter) / (na + nb);
}
