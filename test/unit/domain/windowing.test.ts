// Window/level (shared by the viewer and the thumbnails): the CT presets, the auto window ignoring a few very bright
// voxels and NaNs, and the default per modality.
import { describe, expect, it } from 'vitest';
import { CT_PRESETS, autoWindow, defaultWindow, windowBoundsOf } from '../../../shared/domain/windowing.js';

describe('window/level', () => {
  it('has the five CT presets on keys 1-5 with the radiology values', () => {
    expect(CT_PRESETS.map((p) => [p.key, p.voi.windowWidth, p.voi.windowCenter])).toEqual([
      ['1', 400, 40],
      ['2', 1500, -600],
      ['3', 1800, 400],
      ['4', 80, 40],
      ['5', 150, 30],
    ]);
  });

  it('auto-windows MR to the 1st-99th percentile, so rare bright voxels do not flatten the image', () => {
    const values = new Float32Array(100_000);
    for (let n = 0; n < values.length; n++) values[n] = n % 1000; // uniform 0..999
    for (let n = 0; n < 50; n++) values[n * 1999] = 1e6; // 0.05 % outliers
    const w = autoWindow(values);
    const { lo, hi } = windowBoundsOf(w);
    expect(lo).toBeGreaterThanOrEqual(5);
    expect(lo).toBeLessThanOrEqual(15);
    expect(hi).toBeGreaterThanOrEqual(985);
    expect(hi).toBeLessThanOrEqual(995);
    expect(defaultWindow('MR', values)).toEqual(w);
    expect(defaultWindow('CT', values)).toEqual({ windowWidth: 400, windowCenter: 40 });
  });

  it('picks exact percentile ranks, skips NaN, strides through large images, and keeps a flat image mappable', () => {
    // 0..99 shuffled: the 1st percentile is rank floor(100 * 0.01) = 1, the 99th rank 99.
    const ramp = Float64Array.from({ length: 100 }, (_, n) => (n * 37) % 100);
    expect(windowBoundsOf(autoWindow(ramp))).toEqual({ lo: 1, hi: 99 });
    const withNaN = Float32Array.from([...ramp, NaN, NaN, NaN]);
    expect(autoWindow(withNaN)).toEqual(autoWindow(ramp));
    expect(autoWindow(new Int16Array(10).fill(7))).toEqual({ windowWidth: 1, windowCenter: 7 });
    expect(autoWindow(new Float32Array(0))).toEqual({ windowWidth: 1, windowCenter: 0 });
    // 1,000,000 values, every 5th sampled: values 0..999 repeating, so the sample still spans 0..995.
    const big = Int16Array.from({ length: 1_000_000 }, (_, n) => n % 1000);
    const { lo, hi } = windowBoundsOf(autoWindow(big));
    expect(lo).toBe(10);
    expect(hi).toBe(990);
  });
});
