// Thinning of a freehand outline as the mouse traced it: hundreds of points a few tenths of a voxel apart become the
// few that carry its shape (Ramer–Douglas–Peucker on the closed polygon), within a tolerance in voxels, and never
// more than the annotation API takes.

export type Point2 = [number, number];

/** Distance of p from the segment a–b. */
function segmentDistance(p: Point2, a: Point2, b: Point2): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

/** Ramer–Douglas–Peucker on an open polyline: the indices kept (first and last always). Iterative (long traces). */
function keptIndices(pts: readonly Point2[], tolerance: number): number[] {
  const keep = new Uint8Array(pts.length);
  keep[0] = 1;
  keep[pts.length - 1] = 1;
  const stack: [number, number][] = [[0, pts.length - 1]];
  while (stack.length > 0) {
    const [lo, hi] = stack.pop()!;
    let worst = -1;
    let worstAt = -1;
    for (let n = lo + 1; n < hi; n++) {
      const d = segmentDistance(pts[n]!, pts[lo]!, pts[hi]!);
      if (d > worst) {
        worst = d;
        worstAt = n;
      }
    }
    if (worstAt >= 0 && worst > tolerance) {
      keep[worstAt] = 1;
      stack.push([lo, worstAt], [worstAt, hi]);
    }
  }
  const out: number[] = [];
  keep.forEach((k, n) => k && out.push(n));
  return out;
}

/**
 * The indices of the points that outline a closed freehand shape within `tolerance` (same unit as the points):
 * the trace is split at its start and at the point farthest from it, and each half thinned, so the closing edge is
 * kept. The tolerance doubles until at most `maxPoints` remain. Fewer than 3 distinct points: all indices.
 */
export function thinClosedOutline(pts: readonly Point2[], tolerance: number, maxPoints = 2000): number[] {
  if (pts.length <= 3) return pts.map((_, n) => n);
  let far = 0;
  let farDist = -1;
  pts.forEach((p, n) => {
    const d = Math.hypot(p[0] - pts[0]![0], p[1] - pts[0]![1]);
    if (d > farDist) {
      farDist = d;
      far = n;
    }
  });
  if (farDist === 0) return [0];
  const ring = [...pts, pts[0]!];
  for (let tol = tolerance; ; tol *= 2) {
    const first = keptIndices(ring.slice(0, far + 1), tol);
    const second = keptIndices(ring.slice(far), tol).map((n) => n + far);
    // Second half ends on the repeated start point (index pts.length): drop it, and its first point duplicates `far`.
    const kept = [...first, ...second.slice(1, -1)];
    if (kept.length <= maxPoints) return kept;
  }
}
