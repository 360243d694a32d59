// Window presets follow the modality (shared/domain/windowing.ts windowPresetsFor): CT keeps its HU presets, MR and
// other non-HU images get percentile windows of their own values on the same keys.
import { describe, expect, it } from 'vitest';
import { CT_PRESETS, windowBoundsOf, windowPresetsFor } from '../../../shared/domain/windowing.js';

describe('window presets by modality', () => {
  it('CT: the HU presets; MR: percentile windows of the image, never the HU numbers', () => {
    const ramp = Float32Array.from({ length: 1001 }, (_, n) => n * 2); // 0..2000 a.u.
    expect(windowPresetsFor('CT', ramp)).toEqual([...CT_PRESETS]);
    const mr = windowPresetsFor('MR', ramp);
    expect(mr.map((p) => p.key)).toEqual(['1', '2', '3']);
    // Percentiles of 0..2000 in steps of 2: 1–99 % → 20..1980, 0.1–99.9 % → 2..1998, 10–90 % → 200..1800.
    expect(windowBoundsOf(mr[0].voi)).toEqual({ lo: 20, hi: 1980 });
    expect(windowBoundsOf(mr[1].voi)).toEqual({ lo: 2, hi: 1998 });
    expect(windowBoundsOf(mr[2].voi)).toEqual({ lo: 200, hi: 1800 });
    for (const p of mr) expect(CT_PRESETS.some((c) => c.voi.windowWidth === p.voi.windowWidth && c.voi.windowCenter === p.voi.windowCenter)).toBe(false);
  });
});
