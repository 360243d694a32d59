// K-means of intensities inside an ROI: 1D Lloyd iterations on the sorted sample, where every cluster is a
// contiguous run of the sorted values, so each iteration is k binary searches plus prefix sums. Deterministic.
import type { Volume } from '../volume.js';
import { clipRoi, type RoiBoxIjk } from './roi.js';

export interface KMeansResult {
  /** 0 outside the ROI; 1..k inside, label 1 = darkest cluster. */
  labels: Uint8Array;
  /** Cluster centres (mean intensity), ascending; centresHu[c-1] belongs to label c. */
  centres: number[];
  /** Voxels per label 1..k. */
  counts: number[];
  iterations: number;
}

export function kMeansIntensity(volume: Volume, k: number, roi?: RoiBoxIjk, maxIterations = 100): KMeansResult {
  if (!Number.isInteger(k) || k < 1 || k > 255) throw new Error(`k must be an integer in 1..255, got ${k}`);
  const [nx, ny] = volume.dims;
  const box = clipRoi(volume.dims, roi);
  const v = volume.voxels;
  const sorted = new Float64Array((box.maxIjk[0] - box.minIjk[0] + 1) * (box.maxIjk[1] - box.minIjk[1] + 1) * (box.maxIjk[2] - box.minIjk[2] + 1));
  let at = 0;
  for (let z = box.minIjk[2]; z <= box.maxIjk[2]; z++)
    for (let y = box.minIjk[1]; y <= box.maxIjk[1]; y++) for (let x = box.minIjk[0]; x <= box.maxIjk[0]; x++) sorted[at++] = v[x + nx * (y + ny * z)];
  sorted.sort();
  const n = sorted.length;
  const prefix = new Float64Array(n + 1);
  for (let t = 0; t < n; t++) prefix[t + 1] = prefix[t] + sorted[t];
  // Start at the quantiles (c + 0.5) / k: spread over the data, no randomness.
  let centres = Array.from({ length: k }, (_, c) => sorted[Math.min(n - 1, Math.floor(((c + 0.5) / k) * n))]);
  let bounds: number[] = [];
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // Cluster c holds sorted[bounds[c] .. bounds[c+1]); a value goes to the nearer centre, ties to the lower.
    bounds = [0];
    for (let c = 0; c < k - 1; c++) bounds.push(upperBound(sorted, (centres[c] + centres[c + 1]) / 2));
    bounds.push(n);
    const next = centres.map((old, c) => {
      const m = bounds[c + 1] - bounds[c];
      return m > 0 ? (prefix[bounds[c + 1]] - prefix[bounds[c]]) / m : old;
    });
    const moved = next.some((x, c) => x !== centres[c]);
    centres = next;
    if (!moved) break;
  }
  const labels = new Uint8Array(v.length);
  const counts = new Array<number>(k).fill(0);
  const cuts = centres.slice(0, -1).map((c, t) => (c + centres[t + 1]) / 2);
  for (let z = box.minIjk[2]; z <= box.maxIjk[2]; z++)
    for (let y = box.minIjk[1]; y <= box.maxIjk[1]; y++)
      for (let x = box.minIjk[0]; x <= box.maxIjk[0]; x++) {
        const p = x + nx * (y + ny * z);
        let c = 0;
        while (c < cuts.length && v[p] > cuts[c]) c++;
        labels[p] = c + 1;
        counts[c]++;
      }
  return { labels, centres, counts, iterations };
}

/** First index whose value is > x (values ascending). */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
