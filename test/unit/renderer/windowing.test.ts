// Viewer window/level: the CT presets the issue names, and the MR auto window ignoring a few very bright voxels.
import { describe, expect, it } from 'vitest';
import { CT_PRESETS, autoWindow, defaultWindow } from '../../../renderer/viewer/windowing.js';

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
    expect(w.windowCenter - w.windowWidth / 2).toBeGreaterThanOrEqual(5);
    expect(w.windowCenter - w.windowWidth / 2).toBeLessThanOrEqual(15);
    expect(w.windowCenter + w.windowWidth / 2).toBeGreaterThanOrEqual(985);
    expect(w.windowCenter + w.windowWidth / 2).toBeLessThanOrEqual(995);
    expect(defaultWindow('MR', values)).toEqual(w);
    expect(defaultWindow('CT', values)).toEqual({ windowWidth: 400, windowCenter: 40 });
  });
});
