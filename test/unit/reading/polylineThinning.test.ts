// Thinning of a traced freehand outline (shared/domain/reading/polyline.ts): a densely traced square keeps its four
// corners, a traced circle stays within the tolerance of the trace and keeps its area, the cap on points holds.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { thinClosedOutline, type Point2 } from '../../../shared/domain/reading/polyline.js';
import { polygonArea2d } from '../../../shared/domain/reading/annotations.js';

/** A square traced every `step` along its edges, starting mid-way along the top edge. */
function tracedSquare(side: number, step: number): Point2[] {
  const pts: Point2[] = [];
  const corners: Point2[] = [
    [side, 0],
    [side, side],
    [0, side],
    [0, 0],
    [side, 0],
  ];
  let from: Point2 = [side / 2, 0];
  for (const to of corners) {
    const len = Math.hypot(to[0] - from[0], to[1] - from[1]);
    for (let s = 0; s < len; s += step) pts.push([from[0] + ((to[0] - from[0]) * s) / len, from[1] + ((to[1] - from[1]) * s) / len]);
    from = to;
  }
  return pts;
}

/** Distance of p from the closed polygon's edges. */
function distanceToOutline(p: Point2, poly: Point2[]): number {
  let best = Infinity;
  for (let n = 0; n < poly.length; n++) {
    const a = poly[n]!;
    const b = poly[(n + 1) % poly.length]!;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
    best = Math.min(best, Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy));
  }
  return best;
}

describe('freehand outline thinning', () => {
  it('keeps the four corners of a densely traced square (and nothing else but the start)', () => {
    const trace = tracedSquare(20, 0.1);
    const kept = thinClosedOutline(trace, 0.25).map((n) => trace[n]!);
    const corners: Point2[] = [
      [20, 0],
      [20, 20],
      [0, 20],
      [0, 0],
    ];
    for (const c of corners) expect(kept.some((p) => Math.hypot(p[0] - c[0], p[1] - c[1]) < 0.11)).toBe(true);
    expect(kept.length).toBeLessThanOrEqual(6);
    expect(polygonArea2d(kept)).toBeCloseTo(400, 0);
  });

  it('a traced circle: every traced point within the tolerance of the thinned outline, area within the 2πr·tolerance band', () => {
    fc.assert(
      fc.property(fc.double({ min: 3, max: 80, noNaN: true }), fc.double({ min: 0.1, max: 1, noNaN: true }), (r, tol) => {
        const trace: Point2[] = [];
        const n = Math.ceil(2 * Math.PI * r * 10);
        for (let s = 0; s < n; s++) trace.push([50 + r * Math.cos((2 * Math.PI * s) / n), 40 + r * Math.sin((2 * Math.PI * s) / n)]);
        const kept = thinClosedOutline(trace, tol).map((q) => trace[q]!);
        expect(kept.length).toBeLessThan(trace.length);
        for (const p of trace) expect(distanceToOutline(p, kept)).toBeLessThanOrEqual(tol + 1e-9);
        // The polygon inscribed within tol of the circle loses at most the band 2πr·tol.
        expect(Math.abs(polygonArea2d(kept) - Math.PI * r * r)).toBeLessThanOrEqual(2 * Math.PI * r * tol + 1e-9);
      }),
      { numRuns: 20 },
    );
  });

  it('keeps indices in trace order and at most maxPoints (the tolerance grows until it fits)', () => {
    const trace: Point2[] = [];
    for (let s = 0; s < 5000; s++) trace.push([100 + 60 * Math.cos(s / 300) + 3 * Math.sin(s), 100 + 60 * Math.sin(s / 300) + 3 * Math.cos(1.7 * s)]);
    const kept = thinClosedOutline(trace, 0.01, 50);
    expect(kept.length).toBeLessThanOrEqual(50);
    expect(kept.length).toBeGreaterThanOrEqual(3);
    for (let n = 1; n < kept.length; n++) expect(kept[n]!).toBeGreaterThan(kept[n - 1]!);
  });

  it('leaves three or fewer points alone; a trace that never moved is one point', () => {
    expect(
      thinClosedOutline(
        [
          [0, 0],
          [1, 0],
          [0, 1],
        ],
        5,
      ),
    ).toEqual([0, 1, 2]);
    expect(
      thinClosedOutline(
        [
          [2, 2],
          [2, 2],
          [2, 2],
          [2, 2],
        ],
        0.5,
      ),
    ).toEqual([0]);
  });
});
