// Percentiles and summary statistics of a sorted sample, defined to match numpy's defaults.

/**
 * q-th percentile (q in 0..100) of an ascending-sorted sample by linear interpolation between closest ranks:
 * position h = (n - 1) * q / 100, value = x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).
 * This is Hyndman & Fan type 7, numpy.percentile's default method='linear'. NaN for an empty sample.
 */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const frac = h - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

export interface IntensityStats {
  mean: number;
  /** Population standard deviation (divides by n; numpy.std default ddof=0). */
  sd: number;
  min: number;
  max: number;
  /** 50th percentile, numpy 'linear' method (see percentileSorted). */
  median: number;
  p5: number;
  p95: number;
}

/** Statistics of an ascending-sorted sample; mean and SD by two passes so float data keep their precision. */
export function statsOfSorted(sorted: Float32Array | Float64Array): IntensityStats {
  const n = sorted.length;
  if (n === 0) return { mean: NaN, sd: NaN, min: NaN, max: NaN, median: NaN, p5: NaN, p95: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - mean;
    ss += d * d;
  }
  return {
    mean,
    sd: Math.sqrt(ss / n),
    min: sorted[0],
    max: sorted[n - 1],
    median: percentileSorted(sorted, 50),
    p5: percentileSorted(sorted, 5),
    p95: percentileSorted(sorted, 95),
  };
}
