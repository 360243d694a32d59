// Intensity normalisation named in a model's manifest, applied in place to the resampled float32 volume.
// The manifest's zod schema (main/services/inference/manifest.ts) produces exactly these shapes.

export type IntensityNormalization =
  /** CT: clip HU to [lo, hi], then (x - mean) / sd. */
  | { type: 'ct-clip-zscore'; clipHu: [number, number]; mean: number; sd: number }
  /** CT: (HU - lo) / (hi - lo), clipped to 0..1. */
  | { type: 'ct-window01'; windowHu: [number, number] }
  /** MR and other uncalibrated modalities: z-score over the voxels inside the volume. */
  | { type: 'volume-zscore' };

export function normalizeIntensities(values: Float32Array, spec: IntensityNormalization): Float32Array {
  switch (spec.type) {
    case 'ct-clip-zscore': {
      const [lo, hi] = spec.clipHu;
      for (let n = 0; n < values.length; n++) {
        const v = values[n] < lo ? lo : values[n] > hi ? hi : values[n];
        values[n] = (v - spec.mean) / spec.sd;
      }
      return values;
    }
    case 'ct-window01': {
      const [lo, hi] = spec.windowHu;
      const w = hi - lo;
      for (let n = 0; n < values.length; n++) {
        const v = (values[n] - lo) / w;
        values[n] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      return values;
    }
    case 'volume-zscore': {
      // float64 sums: float32 accumulation drifts on millions of voxels
      let sum = 0;
      let sum2 = 0;
      for (let n = 0; n < values.length; n++) {
        sum += values[n];
        sum2 += values[n] * values[n];
      }
      const mean = sum / values.length;
      const sd = Math.sqrt(Math.max(sum2 / values.length - mean * mean, 0)) || 1;
      for (let n = 0; n < values.length; n++) values[n] = (values[n] - mean) / sd;
      return values;
    }
  }
}
