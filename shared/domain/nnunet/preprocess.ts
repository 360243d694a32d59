// nnU-Net's preprocessing of one single-channel image (DefaultPreprocessor.run_case_npy): transpose, crop to the
// non-zero bounding box, normalise, resample to the plans' spacing. The image comes as medseg stores it (i fastest),
// which is nnU-Net's array [k, j, i] with spacing [sk, sj, si].
import { size3, transpose3, type Shape3 } from './array3.js';
import { bboxOfMask, bboxShape, cropToBbox, nonzeroMaskFilled, type Bbox3 } from './crop.js';
import { normalizeNnunet, type NnunetNormalization } from './normalize.js';
import { newShapeForSpacing, resampleToShape, type ResamplingOptions } from './resample.js';

export interface NnunetPlan {
  transposeForward: readonly number[];
  transposeBackward: readonly number[];
  spacing: readonly number[];
  patchSize: readonly number[];
  normalization: NnunetNormalization;
  useMaskForNorm: boolean;
  cropToNonzero: boolean;
  resamplingData: ResamplingOptions;
  resamplingProbabilities: ResamplingOptions;
  tileStepSize: number;
  useMirroring: boolean;
  mirrorAxes: readonly number[];
  useGaussian: boolean;
}

export interface Preprocessed {
  /** The network-grid image (float32, C order, transposed axes). */
  data: Float32Array;
  shape: Shape3;
  /** After transpose, before cropping. */
  shapeBeforeCrop: Shape3;
  bbox: Bbox3;
  /** After cropping, before resampling: the grid the class scores are resampled back to. */
  cropShape: Shape3;
  /** The image's spacing on the transposed axes. */
  spacingTransposed: number[];
}

export function preprocessNnunet(voxels: ArrayLike<number>, shapeKji: Shape3, spacingKji: readonly number[], plan: NnunetPlan): Preprocessed {
  const n = size3(shapeKji);
  const f32 = new Float32Array(n);
  for (let i = 0; i < n; i++) f32[i] = voxels[i];
  const t = transpose3({ shape: shapeKji, data: f32 }, plan.transposeForward);
  const spacingTransposed = plan.transposeForward.map((a) => spacingKji[a]);
  const mask = nonzeroMaskFilled([t.data], t.shape);
  const bbox: Bbox3 = plan.cropToNonzero
    ? bboxOfMask(mask, t.shape)
    : [
        [0, t.shape[0]],
        [0, t.shape[1]],
        [0, t.shape[2]],
      ];
  const crop = cropToBbox(t, bbox);
  const cropMask = cropToBbox({ shape: t.shape, data: mask }, bbox).data;
  normalizeNnunet(crop.data, plan.normalization, plan.useMaskForNorm, cropMask);
  const cropShape = bboxShape(bbox);
  const newShape = newShapeForSpacing(cropShape, spacingTransposed, plan.spacing);
  // float32 values read exactly into the float64 passes: no float64 copy of the whole image
  const r = resampleToShape(crop, newShape, spacingTransposed, plan.spacing, plan.resamplingData);
  const data = r.data instanceof Float32Array ? r.data : Float32Array.from(r.data);
  return { data, shape: newShape, shapeBeforeCrop: t.shape, bbox, cropShape, spacingTransposed };
}
