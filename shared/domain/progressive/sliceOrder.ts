// The order a series' slices are decoded and sent in when it is opened progressively: a few slices spread over the
// whole range first (middle, then quartiles, eighths, …: every level halves the gaps), then all the rest ascending.

/** Coarse levels before the ascending fill: 1 + 2 + 4 + 8 + 16 = 31 slices spread over the range. */
export const SPREAD_LEVELS = 5;

/** A permutation of 0..sliceCount-1: the middle slice first, then ever finer spread slices, then the rest in order. */
export function progressiveSliceOrder(sliceCount: number, levels = SPREAD_LEVELS): number[] {
  const n = Math.max(0, Math.floor(sliceCount));
  const seen = new Uint8Array(n);
  const order: number[] = [];
  const take = (k: number): void => {
    if (k >= 0 && k < n && !seen[k]) {
      seen[k] = 1;
      order.push(k);
    }
  };
  // Level l puts slices at the centres of 2^l equal parts of the range: (2m + 1) / 2^(l+1) of the way through.
  for (let level = 0; level < levels; level++) {
    const parts = 2 ** level;
    for (let m = 0; m < parts; m++) take(Math.floor((n * (2 * m + 1)) / (2 * parts)));
  }
  for (let k = 0; k < n; k++) take(k);
  return order;
}
