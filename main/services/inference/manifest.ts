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
  });

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
