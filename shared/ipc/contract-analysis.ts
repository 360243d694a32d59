// Method-table entries and events of the analysis UI: model segmentation jobs, measurements, the classical tools
// (preview as a transient binary label map, apply as a stored segmentation) and the comparison of two segmentations.
import { z } from 'zod';

const id = z.number().int().positive();
const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const ijk = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative()]);
/** A finite number, or null where the value does not exist (NaN/Infinity never travel). */
const num = z.number().nullable();
const connectivity = z.union([z.literal(6), z.literal(26)]);
const roiBox = z.object({ minIjk: ijk, maxIjk: ijk }).strict();
const hu = z.number().finite().min(-1e6).max(1e6);

export const modelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  modality: z.string(),
  description: z.string().nullable(),
  sha256: z.string(),
  labels: z.array(z.object({ value: z.number().int(), name: z.string(), kind: z.enum(['organ', 'lesion', 'other']) })),
});

export const classicalToolSchema = z.discriminatedUnion('tool', [
  z.object({ tool: z.literal('threshold'), loValue: hu, hiValue: hu, roi: roiBox.optional() }).strict(),
  z
    .object({
      tool: z.literal('regionGrow'),
      seedIjk: ijk,
      loValue: hu.optional(),
      hiValue: hu.optional(),
      tolerance: z.number().finite().nonnegative().max(1e6).optional(),
      connectivity: connectivity.optional(),
      maxVoxels: z.number().int().positive().max(1e9).optional(),
    })
    .strict(),
  z.object({ tool: z.literal('kmeans'), k: z.number().int().min(1).max(16), roi: roiBox.optional() }).strict(),
]);
export type ClassicalToolInput = z.infer<typeof classicalToolSchema>;

const statsSchema = z.object({ mean: num, sd: num, min: num, max: num, median: num, p5: num, p95: num });

export const instanceWireSchema = z.object({
  id: z.number().int(),
  voxels: z.number().int(),
  volumeMl: z.number(),
  volumeMlLower: z.number(),
  volumeMlUpper: z.number(),
  centroidLps: vec3,
  recistLongMm: num,
  recistShortMm: num,
  maxDiameterMm: num,
});

export const labelMeasurementWireSchema = z.object({
  value: z.number().int(),
  name: z.string(),
  kind: z.enum(['organ', 'lesion', 'other']),
  voxels: z.number().int(),
  volumeMl: z.number(),
  volumeMlLower: z.number(),
  volumeMlUpper: z.number(),
  centroidLps: vec3.nullable(),
  maxDiameterMm: num,
  stats: statsSchema.nullable(),
  instances: z.array(instanceWireSchema),
});

export const measurementWireSchema = z.object({
  segmentationId: id,
  runId: id,
  computationVersion: z.string(),
  connectivity,
  geometry: z.object({
    status: z.enum(['ok', 'warning', 'unsafe']),
    findings: z.array(z.object({ code: z.string(), severity: z.enum(['warning', 'unsafe']), message: z.string() })),
    spacingMm: vec3,
    voxelVolumeMl: z.number(),
  }),
  labels: z.array(labelMeasurementWireSchema),
});
export type MeasurementWire = z.infer<typeof measurementWireSchema>;

/** What a preview (classical tool or edge map) returns; its label map is served as binary 'labelmap-preview/<previewId>'. */
const previewResultSchema = z.object({
  previewId: id,
  seriesId: id,
  labels: z.array(
    z.object({ value: z.number().int(), name: z.string(), colorRgb: z.tuple([z.number().int(), z.number().int(), z.number().int()]), kind: z.enum(['organ', 'lesion', 'other']), voxels: z.number().int() }),
  ),
  params: z.record(z.string(), z.unknown()),
});

export const analysisMethods = {
  /** Bundled and user model folders that validated, plus the ones that did not and why. */
  'models.list': {
    input: z.object({}).strict(),
    output: z.object({ models: z.array(modelInfoSchema), invalid: z.array(z.object({ dir: z.string(), message: z.string() })) }),
  },
  /** Starts a model run in the background; 'segment.progress' and then exactly one 'segment.done' follow. */
  'segment.start': {
    input: z
      .object({
        seriesId: id,
        modelId: z.string().min(1).max(200),
        device: z.enum(['auto', 'cpu', 'gpu']).default('auto'),
        /** Run a model on a series of another modality/body region anyway (else MODALITY_MISMATCH); stored in params. */
        allowModalityMismatch: z.boolean().optional(),
      })
      .strict(),
    output: z.object({ jobId: id }),
  },
  /** Stops a run; nothing of it is stored. False when the job already finished or never existed. */
  'segment.cancel': {
    input: z.object({ jobId: id }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
  /** Provenance of every segmentation of a series: where it came from, which model and provider. */
  'segment.list': {
    input: z.object({ seriesId: id }).strict(),
    output: z.object({
      segmentations: z.array(
        z.object({
          segmentationId: id,
          name: z.string(),
          source: z.string(),
          createdAt: z.string(),
          model: z.object({ id: z.string(), version: z.string(), sha256: z.string() }).nullable(),
          provider: z.string().nullable(),
          seconds: z.number().nullable(),
        }),
      ),
    }),
  },
  /** Measures (and stores) a segmentation on its series volume; refused with UNSAFE_GEOMETRY when mm/mL are unknown. */
  'measure.segmentation': {
    input: z.object({ segmentationId: id, connectivity: connectivity.default(6) }).strict(),
    output: measurementWireSchema,
  },
  /**
   * Histogram of volume values (HU for CT) inside one label over [loValue, hiValue] (default: the label's own min..max);
   * voxels outside the range are counted in below/above.
   */
  'measure.histogram': {
    input: z
      .object({ segmentationId: id, labelValue: z.number().int().min(1).max(65535), bins: z.number().int().min(2).max(512).default(64), loValue: hu.optional(), hiValue: hu.optional() })
      .strict()
      .refine((r) => r.loValue === undefined || r.hiValue === undefined || r.hiValue > r.loValue, { message: 'hiValue must be above loValue' }),
    output: z.object({ loValue: z.number(), binWidth: z.number(), counts: z.array(z.number().int()), voxels: z.number().int(), below: z.number().int(), above: z.number().int() }),
  },
  /** The latest stored measurement run of a segmentation as CSV or JSON text (measures first when none is stored). */
  'measure.export': {
    input: z.object({ segmentationId: id, format: z.enum(['csv', 'json']) }).strict(),
    output: z.object({ format: z.enum(['csv', 'json']), fileName: z.string(), text: z.string() }),
  },
  /** Runs a classical tool; the label map is served as binary 'labelmap-preview/<previewId>' (kept briefly, in memory). */
  'classical.preview': {
    input: z.object({ seriesId: id, params: classicalToolSchema }).strict(),
    output: previewResultSchema,
  },
  /**
   * Edge map: Sobel gradient magnitude (value units per mm, HU/mm for CT) in four bands from minGradient up
   * (x1, x2, x4, x8), served like a preview ('labelmap-preview/<previewId>') to be shown as an overlay layer.
   */
  'classical.edgeMap': {
    input: z.object({ seriesId: id, minGradientPerMm: z.number().finite().positive().max(1e6) }).strict(),
    output: previewResultSchema,
  },
  /** Runs the same tool and stores the result as a segmentation (source 'classical'). */
  'classical.apply': {
    input: z.object({ seriesId: id, params: classicalToolSchema, name: z.string().min(1).max(200).optional() }).strict(),
    output: z.object({ segmentationId: id }),
  },
  /** Per-label Dice, IoU and HD95 (mm; null on non-orthogonal grids or empty masks) and overall voxel accuracy. */
  'compare.segmentations': {
    input: z.object({ a: id, b: id }).strict(),
    output: z.object({
      pixelAccuracy: z.number(),
      labels: z.array(
        z.object({
          value: z.number().int(),
          nameA: z.string().nullable(),
          nameB: z.string().nullable(),
          voxelsA: z.number().int(),
          voxelsB: z.number().int(),
          dice: z.number(),
          iou: z.number(),
          hd95Mm: num,
        }),
      ),
    }),
  },
} as const;

export const analysisEvents = {
  'segment.progress': z.object({ jobId: id, tilesDone: z.number().int(), tilesTotal: z.number().int(), etaSeconds: z.number().nullable() }),
  'segment.done': z.object({
    jobId: id,
    segmentationId: id.optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
} as const;
