// Window/level presets (keys 1-5) and the automatic window for MR and other non-HU images. Pure (no DOM).

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

/** 1st-99th percentile of a sample of the voxels: robust to the few very bright voxels MR images carry. */
export function autoWindow(values: ArrayLike<number>): Voi {
  const step = Math.max(1, Math.floor(values.length / 200_000));
  const sample: number[] = [];
  for (let n = 0; n < values.length; n += step) sample.push(values[n]);
  sample.sort((a, b) => a - b);
  if (sample.length === 0) return { windowWidth: 1, windowCenter: 0 };
  const lo = sample[Math.floor(sample.length * 0.01)];
  const hi = sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.99))];
  return { windowWidth: Math.max(1, hi - lo), windowCenter: (hi + lo) / 2 };
}

export function defaultWindow(modality: string, values: ArrayLike<number>): Voi {
  return modality === 'CT' ? CT_PRESETS[0].voi : autoWindow(values);
}
