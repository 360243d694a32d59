// Window/level in one place: the CT presets (viewer keys 1-5), the percentile auto-window for MR and other non-HU
// images, and the default a new image opens with; the viewer and the study-browser thumbnails both use it.

/** Window width and centre in modality units (HU for CT). */
export interface Voi {
  windowWidth: number;
  windowCenter: number;
}

export const CT_PRESETS: readonly { key: string; name: string; voi: Voi }[] = [
  { key: '1', name: 'soft tissue', voi: { windowWidth: 400, windowCenter: 40 } },
  { key: '2', name: 'lung', voi: { windowWidth: 1500, windowCenter: -600 } },
  { key: '3', name: 'bone', voi: { windowWidth: 1800, windowCenter: 400 } },
  { key: '4', name: 'brain', voi: { windowWidth: 80, windowCenter: 40 } },
  { key: '5', name: 'liver', voi: { windowWidth: 150, windowCenter: 30 } },
];

/** Percentiles the auto window spans: robust to the few very bright voxels MR images carry. */
export const AUTO_WINDOW_PERCENTILES = [1, 99] as const;

/** At most this many voxels are sorted for the auto window (an even stride through the image). */
const AUTO_WINDOW_SAMPLE = 200_000;

/** 1st-99th percentile (or the given pair) of an even sample of the finite values; width at least 1 so a flat image still maps. */
export function autoWindow(values: ArrayLike<number>, percentiles: readonly [number, number] = AUTO_WINDOW_PERCENTILES): Voi {
  const step = Math.max(1, Math.floor(values.length / AUTO_WINDOW_SAMPLE));
  const sample = new Float64Array(Math.ceil(values.length / step));
  let count = 0;
  for (let n = 0; n < values.length; n += step) {
    const v = values[n];
    if (Number.isFinite(v)) sample[count++] = v;
  }
  if (count === 0) return { windowWidth: 1, windowCenter: 0 };
  const sorted = sample.subarray(0, count).sort();
  const lo = sorted[Math.min(count - 1, Math.floor((count * percentiles[0]) / 100))];
  const hi = sorted[Math.min(count - 1, Math.floor((count * percentiles[1]) / 100))];
  return { windowWidth: Math.max(1, hi - lo), windowCenter: (hi + lo) / 2 };
}

/** The window an image opens with: soft tissue for CT (HU are absolute), the auto window for everything else. */
export function defaultWindow(modality: string, values: ArrayLike<number>): Voi {
  return modality === 'CT' ? CT_PRESETS[0].voi : autoWindow(values);
}

/** The lowest and highest modality value the window shows (black and white). */
export function windowBoundsOf(voi: Voi): { lo: number; hi: number } {
  return { lo: voi.windowCenter - voi.windowWidth / 2, hi: voi.windowCenter + voi.windowWidth / 2 };
}

/**
 * MR (and any non-HU image) presets on the same keys: signal has no absolute scale, so presets are percentile windows
 * of the image itself — the default, a wide one for bright fat/fluid, a narrow one for grey/white-matter contrast.
 */
export const RELATIVE_PRESETS: readonly { key: string; name: string; percentiles: readonly [number, number] }[] = [
  { key: '1', name: 'auto (1–99 %)', percentiles: AUTO_WINDOW_PERCENTILES },
  { key: '2', name: 'wide (0.1–99.9 %)', percentiles: [0.1, 99.9] },
  { key: '3', name: 'narrow (10–90 %)', percentiles: [10, 90] },
];

/** The window presets of a modality: CT's HU presets for CT only, percentile presets for everything else. */
export function windowPresetsFor(modality: string, values: ArrayLike<number>): { key: string; name: string; voi: Voi }[] {
  if (modality === 'CT') return [...CT_PRESETS];
  return RELATIVE_PRESETS.map((p) => ({ key: p.key, name: p.name, voi: autoWindow(values, p.percentiles) }));
}
