// nnU-Net's intensity normalisation schemes (preprocessing/normalization), in float32 arithmetic as numpy does it
// on a float32 image: CT = clip to the dataset's foreground 0.5/99.5 percentiles, then z-score with its foreground
// mean/sd; Z-score = per image, within the non-zero mask when useMaskForNorm (voxels outside left as they are).

export type NnunetNormalization =
  | { scheme: 'CTNormalization'; mean: number; std: number; percentile00_5: number; percentile99_5: number }
  | { scheme: 'ZScoreNormalization' }
  | { scheme: 'NoNormalization' }
  | { scheme: 'RescaleTo01Normalization' };

const EPS = 1e-8;

/** Normalises `image` in place. `mask` (the filled non-zero mask of the cropped image) is used when useMaskForNorm. */
export function normalizeNnunet(image: Float32Array, norm: NnunetNormalization, useMaskForNorm: boolean, mask: Uint8Array | null): Float32Array {
  const f = Math.fround;
  switch (norm.scheme) {
    case 'CTNormalization': {
      const lo = f(norm.percentile00_5);
      const hi = f(norm.percentile99_5);
      const mean = norm.mean;
      const sd = Math.max(norm.std, EPS);
      for (let i = 0; i < image.length; i++) {
        const v = image[i] < lo ? lo : image[i] > hi ? hi : image[i];
        image[i] = f(f(v - mean) / sd);
      }
      return image;
    }
    case 'ZScoreNormalization': {
      const inMask = useMaskForNorm && mask ? (i: number) => mask[i] === 1 : () => true;
      let n = 0;
      let sum = 0;
      for (let i = 0; i < image.length; i++) {
        if (inMask(i)) {
          sum += image[i];
          n++;
        }
      }
      const mean = n ? sum / n : 0;
      let ss = 0;
      for (let i = 0; i < image.length; i++) if (inMask(i)) ss += (image[i] - mean) ** 2;
      const sd = Math.max(n ? Math.sqrt(ss / n) : 0, EPS);
      const meanF = f(mean);
      const sdF = f(sd);
      for (let i = 0; i < image.length; i++) if (inMask(i)) image[i] = f(f(image[i] - meanF) / sdF);
      return image;
    }
    case 'NoNormalization':
      return image;
    case 'RescaleTo01Normalization': {
      let min = Infinity;
      for (const v of image) if (v < min) min = v;
      let max = -Infinity;
      for (let i = 0; i < image.length; i++) {
        image[i] = f(image[i] - min);
        if (image[i] > max) max = image[i];
      }
      const d = f(Math.max(max, EPS));
      for (let i = 0; i < image.length; i++) image[i] = f(image[i] / d);
      return image;
    }
  }
}
