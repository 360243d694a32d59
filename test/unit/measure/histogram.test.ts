// labelHistogram (the fast counting loop with its word-level shortcuts) against a plain per-voxel count on
// edge cases: unaligned views, short arrays, tails, uint16 maps, mixed and uniform words.
import { describe, expect, it } from 'vitest';
import { labelHistogram, labelIntensityHistogram, maxLabelValue } from '../../../shared/domain/measure/histogram.js';

function plain(labels: Uint8Array | Uint16Array, size: number): Float64Array {
  const c = new Float64Array(size);
  for (const v of labels) c[v]++;
  return c;
}

function randomRuns(n: number, maxLabel: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  while (out.length < n) {
    const len = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 3 : 40));
    const v = rnd() < 0.5 ? 0 : Math.floor(rnd() * (maxLabel + 1));
    for (let t = 0; t < len && out.length < n; t++) out.push(v);
  }
  return out;
}

describe('labelHistogram', () => {
  it('equals a plain count for uint8 maps at every alignment and length', () => {
    const data = Uint8Array.from(randomRuns(5000, 255, 7));
    for (const offset of [0, 1, 2, 3, 5])
      for (const len of [0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 4093]) {
        const view = data.subarray(offset, offset + len);
        expect(labelHistogram(view)).toEqual(plain(view, 256));
      }
  });

  it('equals a plain count for uint16 maps (odd offsets, large values) and honours maxLabel', () => {
    const data = Uint16Array.from(randomRuns(5000, 65535, 11));
    for (const offset of [0, 1, 3])
      for (const len of [0, 1, 2, 3, 999, 4000]) {
        const view = data.subarray(offset, offset + len);
        expect(labelHistogram(view)).toEqual(plain(view, 65536));
      }
    const small = Uint8Array.from([0, 3, 3, 2]);
    expect(Array.from(labelHistogram(small, 3))).toEqual([1, 0, 1, 2]);
    expect(maxLabelValue(small)).toBe(3);
    // a word of four equal bytes right after a mixed word, and 0xffffffff (all 255)
    const edge = Uint8Array.from([1, 2, 3, 4, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 7]);
    expect(labelHistogram(edge)).toEqual(plain(edge, 256));
  });
});

describe('labelIntensityHistogram', () => {
  it('bins the values of one label, the top edge in the last bin, outliers counted apart', () => {
    const labels = Uint8Array.from([1, 1, 1, 1, 1, 2, 0]);
    const values = Int16Array.from([-100, 0, 49, 100, 300, 5, 5]);
    const h = labelIntensityHistogram(labels, values, 1, { loValue: -50, hiValue: 100, bins: 3 });
    expect(h.binWidth).toBe(50);
    expect(Array.from(h.counts)).toEqual([0, 2, 1]);
    expect([h.below, h.above]).toEqual([1, 1]);
  });
});
