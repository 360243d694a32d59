// The manifest.json of a model folder: what the engine needs to run an ONNX segmentation network correctly
// (spacing, patch, intensity normalisation, tensor names/layout, label table). Validated with zod.
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { LABEL_KINDS } from '../../../shared/domain/labelTable.js';

const rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);

const normalization = z.discriminatedUnion('type', [
  /** CT: clip HU to [lo, hi], then (x - mean) / sd. */
  z.object({ type: z.literal('ct-clip-zscore'), clipHu: z.tuple([z.number(), z.number()]), mean: z.number(), sd: z.number().positive() }),
  /** CT: (HU - lo) / (hi - lo), clipped to 0..1. */
  z.object({ type: z.literal('ct-window01'), windowHu: z.tuple([z.number(), z.number()]) }),
  /** MR and other uncalibrated modalities: z-score over the voxels inside the volume. */
  z.object({ type: z.literal('volume-zscore') }),
]);

const axisPermutation = z
  .tuple([z.number().int().min(0).max(2), z.number().int().min(0).max(2), z.number().int().min(0).max(2)])
  .refine((t) => new Set(t).size === 3, 'a permutation of 0, 1, 2');
const positive3 = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const positiveInt3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);

/**
 * One input channel's intensity normalisation, as nnU-Net's plans name it (configurations.*.normalization_schemes)
 * with the dataset's foreground intensity statistics (dataset_fingerprint.json foreground_intensity_properties_per_channel).
 */
const nnunetChannelNormalization = z.discriminatedUnion('scheme', [
  /** Clip to [percentile00_5, percentile99_5] then (x - mean) / max(std, 1e-8); statistics of the training foreground. */
  z.object({
    scheme: z.literal('CTNormalization'),
    mean: z.number(),
    std: z.number().nonnegative(),
    percentile00_5: z.number(),
    percentile99_5: z.number(),
  }),
  /** (x - mean(x)) / max(std(x), 1e-8) over this image (over its non-zero mask when useMaskForNorm; outside set to 0). */
  z.object({ scheme: z.literal('ZScoreNormalization') }),
  /** Values used as they are (float32). */
  z.object({ scheme: z.literal('NoNormalization') }),
  /** (x - min) / max(max - min, 1e-8) over this image. */
  z.object({ scheme: z.literal('RescaleTo01Normalization') }),
]);

/**
 * How nnU-Net's resample_data_or_seg_to_shape is called (plans resampling_fn_*_kwargs): spline `order` on the whole
 * grid, or, when the spacing is anisotropic (max/min > anisotropyThreshold, nnU-Net's ANISO_THRESHOLD = 3) or
 * forceSeparateZ is true, `order` within each plane of the low-resolution axis and `orderZ` along it.
 */
const nnunetResampling = z.object({
  order: z.number().int().min(0).max(5),
  orderZ: z.number().int().min(0).max(5),
  /** null: decide from the spacing (nnU-Net's default); true/false: always/never treat the low-res axis separately. */
  forceSeparateZ: z.boolean().nullable(),
});

/**
 * The part of a 3D model that reproduces nnU-Net v2's inference (nnUNetPredictor): preprocessing, sliding window,
 * ensembling and export. All vectors here are in nnU-Net's ARRAY axis order, which is not medseg's:
 *
 * - Axis mapping: nnU-Net (through SimpleITK) reads an image as an array [z, y, x] = medseg's [k, j, i] (k = slice,
 *   i = column, i fastest), with the spacing reversed ([sk, sj, si]); it does not reorient. So nnU-Net array axis 0 is
 *   medseg's k, 1 is j, 2 is i. A model trained on files in another orientation sees medseg's volume the same way
 *   only if that orientation matches; the manifest's modality/orientation gating is the guard, not this block.
 * - Then transposeForward permutes those array axes (the network's axis a is original array axis transposeForward[a]);
 *   `spacing`, `patchSize` and `mirrorAxes` are on the transposed axes. transposeBackward undoes it.
 */
const nnunetBlock = z
  .object({
    /** plans.transpose_forward: network axis a = array axis transposeForward[a]. */
    transposeForward: axisPermutation,
    /** plans.transpose_backward: the inverse permutation of transposeForward. */
    transposeBackward: axisPermutation,
    /** configurations.<cfg>.spacing: target spacing in mm of the network grid, transposed array order. */
    spacing: positive3,
    /** configurations.<cfg>.patch_size: tile size on the network grid, transposed array order. */
    patchSize: positiveInt3,
    /** One entry per input channel (its order = the network's input channels). */
    normalization: z.array(nnunetChannelNormalization).min(1),
    /** configurations.<cfg>.use_mask_for_norm, per channel: z-score within the (hole-filled) non-zero mask. */
    useMaskForNorm: z.array(z.boolean()).min(1),
    /**
     * nnU-Net always crops to the bounding box of the non-zero mask (all channels, holes filled) before resampling
     * and pastes the result back (label 0 outside); false only for a manifest written by hand for another pipeline.
     */
    cropToNonzero: z.boolean().default(true),
    /** Resampling of the image to the network grid (plans: order 3, orderZ 0, forceSeparateZ null). */
    resamplingData: nnunetResampling,
    /** Resampling of the class probabilities (logits) back to the cropped input grid (plans: order 1, orderZ 0). */
    resamplingProbabilities: nnunetResampling,
    /** Spacing ratio above which the low-resolution axis is resampled separately (nnU-Net's ANISO_THRESHOLD). */
    anisotropyThreshold: z.number().positive().default(3),
    /** Sliding-window step as a fraction of the patch (nnUNetPredictor tile_step_size, default 0.5). */
    tileStepSize: z.number().gt(0).max(1).default(0.5),
    /** Test-time augmentation by mirroring (nnUNetPredictor use_mirroring). */
    useMirroring: z.boolean().default(true),
    /** Network spatial axes (0..2 of the transposed grid) that may be mirrored (plans inference_allowed_mirroring_axes). */
    mirrorAxes: z.array(z.number().int().min(0).max(2)).max(3).default([0, 1, 2]),
    /** Gaussian importance weighting of the tiles (nnUNetPredictor use_gaussian, sigma = patch/8). */
    useGaussian: z.boolean().default(true),
    /**
     * ONNX networks of the folds to ensemble, relative to the model folder (e.g. "fold_0/network.onnx"): each is
     * run over the whole window grid and the folds' blended logits are averaged, which is what nnUNetPredictor
     * does (predict_logits_from_preprocessed_data; nnUNetv2_ensemble, which averages softmax, is for ensembling
     * different configurations' saved probabilities, not folds).
     */
    folds: z.array(z.string().regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]+\.onnx$/, 'a relative path to an .onnx file inside the model folder')).min(1),
    /** Where it came from (trainer, plans and configuration names, e.g. "nnUNetTrainer__nnUNetPlans__3d_fullres"). */
    source: z.string().optional(),
  })
  .superRefine((b, ctx) => {
    b.transposeForward.forEach((a, i) => {
      if (b.transposeBackward[a] !== i) ctx.addIssue({ code: 'custom', path: ['transposeBackward'], message: 'must be the inverse of transposeForward' });
    });
    if (b.useMaskForNorm.length !== b.normalization.length) {
      ctx.addIssue({ code: 'custom', path: ['useMaskForNorm'], message: 'needs one value per normalization channel' });
    }
    if (new Set(b.mirrorAxes).size !== b.mirrorAxes.length) ctx.addIssue({ code: 'custom', path: ['mirrorAxes'], message: 'repeats an axis' });
  });

export type NnunetBlock = z.infer<typeof nnunetBlock>;

export const manifestSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
    version: z.string().min(1),
    name: z.string().min(1),
    description: z.string().optional(),
    /** The DICOM modality the network was trained on: other series are refused unless the user overrides it. */
    modality: z.enum(['CT', 'MR', 'PT', 'US', 'OT']),
    /**
     * The body region it was trained on, as DICOM Body Part Examined terms (upper case, e.g. ABDOMEN, CHEST): a
     * series that names another region is refused; one that names none (or a whole/partial body) is not.
     */
    bodyRegion: z
      .array(z.string().regex(/^[A-Z0-9_ ]+$/, 'DICOM Body Part Examined terms, upper case'))
      .min(1)
      .optional(),
    /** 2: the network sees axial slices (H = posterior axis, W = left axis); 3: volumes (not yet run by this engine). */
    dimensions: z.union([z.literal(2), z.literal(3)]),
    /** In-plane (2D: [i, j]) or full (3D: [i, j, k]) voxel spacing the network was trained at, mm, on an LPS-aligned grid. */
    spacingMm: z.array(z.number().positive()).min(2).max(3),
    /** Tile size, [H, W] for 2D. */
    patchSize: z.array(z.number().int().positive()).min(2).max(3),
    /** H and W (and D) of every tile must be multiples of this (2^levels of the U-Net). */
    sizeDivisor: z.number().int().positive(),
    /** Fraction of a tile shared with its neighbour, 0 <= overlap < 1. */
    overlap: z.number().min(0).lt(1),
    normalization,
    /** Modality value assumed outside the scanned field (CT air: -1024). */
    outsideValue: z.number(),
    input: z.object({ name: z.string().min(1), layout: z.enum(['NCHW', 'NCDHW']), channels: z.literal(1) }),
    output: z.object({ name: z.string().min(1), layout: z.enum(['NCHW', 'NCDHW']), activation: z.enum(['logits', 'probabilities']) }),
    labels: z
      .array(
        z.object({
          value: z.number().int().min(1).max(255),
          name: z.string().min(1),
          colorRgb: rgb,
          kind: z.enum(LABEL_KINDS),
          /**
           * 'largest-component' keeps only the biggest 6-connected piece (a single organ); 'inside-label' keeps only
           * pieces mostly enclosed by label `insideLabel` (a liver tumour lies in the liver).
           */
          postprocess: z.enum(['none', 'largest-component', 'inside-label']).default('none'),
          insideLabel: z.number().int().min(1).max(255).optional(),
          /** For 'inside-label': least fraction of a piece's face neighbours (outside it) that carry insideLabel. */
          minEnclosedFraction: z.number().min(0).max(1).optional(),
        }),
      )
      .min(1),
    license: z.string().optional(),
    intendedUse: z.string().optional(),
    /**
     * 3D models that see the stored voxel array as it is: where the voxel axes i, j, k pointed in the training arrays,
     * as three letters (LPS: i toward the patient's left, j posterior, k superior; an axial DICOM series of a supine
     * patient is stored so). A series stored another way (e.g. a NIfTI file in RAS order) would reach the network
     * mirrored, right and left organs swapped, so it is refused like another orientation unless overridden.
     * Absent: not known (imported nnU-Net models), and only the slice plane is checked.
     */
    voxelAxes: z
      .string()
      .regex(/^(?=.*[LR])(?=.*[PA])(?=.*[SI])[LRPASI]{3}$/, 'three letters, one each of L/R, P/A and S/I, e.g. LPS')
      .optional(),
    /**
     * 3D nnU-Net v2 models only: the whole nnU-Net inference recipe (see nnunetBlock). When present it is what the
     * engine runs: the top-level spacingMm/patchSize then restate nnunet.spacing/patchSize in medseg's [i, j, k] order
     * (undo transposeForward, then reverse), `overlap` is 1 - tileStepSize, and `normalization` is ignored.
     */
    nnunet: nnunetBlock.optional(),
  })
  .superRefine((m, ctx) => {
    const n = m.dimensions;
    if (m.spacingMm.length !== n) ctx.addIssue({ code: 'custom', path: ['spacingMm'], message: `needs ${n} values for a ${n}D model` });
    if (m.patchSize.length !== n) ctx.addIssue({ code: 'custom', path: ['patchSize'], message: `needs ${n} values for a ${n}D model` });
    for (const p of m.patchSize) {
      if (p % m.sizeDivisor !== 0) ctx.addIssue({ code: 'custom', path: ['patchSize'], message: `${p} is not a multiple of sizeDivisor ${m.sizeDivisor}` });
    }
    const values = m.labels.map((l) => l.value);
    // class index = label value: the network's channel c is label c, so values must be 1..C-1 without gaps
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.some((v, i) => v !== i + 1)) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: 'label values must be 1..N without gaps or repeats (channel c = label c)' });
    }
    if ((n === 2 && m.input.layout !== 'NCHW') || (n === 3 && m.input.layout !== 'NCDHW')) {
      ctx.addIssue({ code: 'custom', path: ['input', 'layout'], message: `does not match dimensions ${n}` });
    }
    m.labels.forEach((l, i) => {
      if (l.postprocess === 'inside-label' && (l.insideLabel === undefined || !values.includes(l.insideLabel) || l.insideLabel === l.value)) {
        ctx.addIssue({ code: 'custom', path: ['labels', i, 'insideLabel'], message: "'inside-label' needs insideLabel, another label of this table" });
      }
    });
    if (m.output.layout !== m.input.layout) ctx.addIssue({ code: 'custom', path: ['output', 'layout'], message: 'must equal input.layout' });
    if (m.nnunet) {
      if (n !== 3) ctx.addIssue({ code: 'custom', path: ['nnunet'], message: 'only for dimensions 3' });
      if (m.nnunet.normalization.length !== m.input.channels) {
        ctx.addIssue({ code: 'custom', path: ['nnunet', 'normalization'], message: `needs ${m.input.channels} channel(s) like input.channels` });
      }
      const ijk = nnunetToIjk(m.nnunet);
      const close = (a: readonly number[], b: readonly number[]) =>
        a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-6 * Math.max(1, Math.abs(v)));
      if (n === 3 && !close(m.spacingMm, ijk.spacingMm)) {
        ctx.addIssue({ code: 'custom', path: ['spacingMm'], message: `must restate nnunet.spacing in [i, j, k] order: ${ijk.spacingMm.join(', ')}` });
      }
      if (n === 3 && !close(m.patchSize, ijk.patchSize)) {
        ctx.addIssue({ code: 'custom', path: ['patchSize'], message: `must restate nnunet.patchSize in [i, j, k] order: ${ijk.patchSize.join(', ')}` });
      }
    }
  });

/**
 * nnU-Net's transposed-array vectors in medseg's [i, j, k] order: untranspose (array axis transposeForward[a] holds
 * network axis a), then reverse (array [k, j, i] -> [i, j, k]).
 */
export function nnunetToIjk(b: Pick<NnunetBlock, 'transposeForward' | 'spacing' | 'patchSize'>): { spacingMm: number[]; patchSize: number[] } {
  const spacingArr = [0, 0, 0];
  const patchArr = [0, 0, 0];
  b.transposeForward.forEach((arrayAxis, a) => {
    spacingArr[arrayAxis] = b.spacing[a];
    patchArr[arrayAxis] = b.patchSize[a];
  });
  return { spacingMm: [...spacingArr].reverse(), patchSize: [...patchArr].reverse() };
}

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ManifestNormalization = ModelManifest['normalization'];

export function parseManifest(json: unknown, where: string): ModelManifest {
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AppError('MODEL_INVALID', `${where}: manifest.json is invalid: ${issues}`);
  }
  return r.data;
}
