// Method-table entries and events of the analysis UI: model segmentation jobs, measurements, the classical tools
// (preview as a transient binary label map, apply as a stored segmentation) and the comparison of two segmentations.
import { z } from 'zod';
import { classicalToolSchema, connectivitySchema, modalityValueSchema } from '../domain/classical/schemas.js';
import {
  geometryReportSchema,
  idSchema,
  labelInfoSchema,
  labelValueSchema,
  labelWithVoxelsSchema,
  segmentationSourceSchema,
  vec3Schema,
} from '../domain/schemas.js';

/** A finite number, or null where the value does not exist (NaN/Infinity never travel). */
const num = z.number().nullable();
/** What a label is, without its colour: a model's output classes, a measured label. */
const labelIdentitySchema = labelInfoSchema.pick({ value: true, name: true, kind: true });

export const modelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  modality: z.string(),
  /** 2: slice model; 3: volume model (e.g. an imported nnU-Net 3d_fullres). */
  dimensions: z.union([z.literal(2), z.literal(3)]),
  description: z.string().nullable(),
  sha256: z.string(),
  labels: z.array(labelIdentitySchema),
});

export { classicalToolSchema };
export type ClassicalToolInput = z.infer<typeof classicalToolSchema>;

const warningSchema = z.object({ code: z.string(), message: z.string() });

const statsSchema = z.object({ mean: num, sd: num, min: num, max: num, median: num, p5: num, p95: num });

/** Two LPS points (mm): the end points of a drawn axis. */
const segmentLpsSchema = z.tuple([vec3Schema, vec3Schema]);

export const instanceWireSchema = z.object({
  /** Stable number of the lesion within its segmentation (shared/domain/measure/instanceIdentity.ts). */
  id: z.number().int(),
  /** The voxel the lesion's identity follows (its voxel nearest its centroid). */
  anchorIjk: vec3Schema,
  voxels: z.number().int(),
  volumeMl: z.number(),
  volumeMlLower: z.number(),
  volumeMlUpper: z.number(),
  centroidLps: vec3Schema,
  recistLongMm: num,
  recistShortMm: num,
  /** End points (voxel centres) of the RECIST long and short axes, on one axial slice; null without an in-plane extent. */
  recistLongEndpointsLps: segmentLpsSchema.nullable(),
  recistShortEndpointsLps: segmentLpsSchema.nullable(),
  maxDiameterMm: num,
});

export const labelMeasurementWireSchema = labelIdentitySchema.extend({
  voxels: z.number().int(),
  volumeMl: z.number(),
  volumeMlLower: z.number(),
  volumeMlUpper: z.number(),
  centroidLps: vec3Schema.nullable(),
  maxDiameterMm: num,
  /** Reaches the first or last slice: possibly cut off by the scan, the volume is a lower bound. */
  touchesScanEdge: z.boolean(),
  stats: statsSchema.nullable(),
  instances: z.array(instanceWireSchema),
});

export const measurementWireSchema = z.object({
  segmentationId: idSchema,
  runId: idSchema,
  /** The edit-journal position of the label map measured (0 = as stored): the figures describe that version only. */
  labelMapVersion: z.number().int().min(0),
  computationVersion: z.string(),
  connectivity: connectivitySchema,
  /** The series geometry report the numbers were computed under, with the grid facts they depend on. */
  geometry: geometryReportSchema.extend({
    spacingMm: vec3Schema,
    voxelVolumeMl: z.number(),
    /** Coded warnings that go with the numbers (shared/domain/geometryGate.ts OutputWarningCode). */
    warnings: z.array(warningSchema),
    /** The label map was on another grid and was resampled (resampleMethod says how). */
    labelMapResampled: z.boolean(),
    resampleMethod: z.string().nullable(),
    /** Fraction of the series covered by the label map's grid (1 on the same grid). */
    seriesCoveredFraction: z.number(),
  }),
  labels: z.array(labelMeasurementWireSchema),
});
export type MeasurementWire = z.infer<typeof measurementWireSchema>;

/** What a preview (classical tool or edge map) returns; its label map is served as binary 'labelmap-preview/<previewId>'. */
const previewResultSchema = z.object({
  previewId: idSchema,
  seriesId: idSchema,
  labels: z.array(labelWithVoxelsSchema),
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
        seriesId: idSchema,
        modelId: z.string().min(1).max(200),
        device: z.enum(['auto', 'cpu', 'gpu']).default('auto'),
        /** Run a model on a series of another modality/body region anyway (else MODALITY_MISMATCH); stored in params. */
        allowModalityMismatch: z.boolean().optional(),
      })
      .strict(),
    output: z.object({ jobId: idSchema }),
  },
  /** Stops a run; nothing of it is stored. False when the job already finished or never existed. */
  'segment.cancel': {
    input: z.object({ jobId: idSchema }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
  /** Provenance of every segmentation of a series: where it came from, which model and provider. */
  'segmentations.provenance': {
    input: z.object({ seriesId: idSchema }).strict(),
    output: z.object({
      segmentations: z.array(
        z.object({
          segmentationId: idSchema,
          name: z.string(),
          source: segmentationSourceSchema,
          createdAt: z.string(),
          model: z.object({ id: z.string(), version: z.string(), sha256: z.string() }).nullable(),
          provider: z.string().nullable(),
          seconds: z.number().nullable(),
          /** Set when the user ran the model on a series it was not made for (modality, region, orientation): why. */
          modalityOverride: z.string().nullable(),
        }),
      ),
    }),
  },
  /** Measures (and stores) a segmentation on its series volume; refused with UNSAFE_GEOMETRY when mm/mL are unknown. */
  'measure.segmentation': {
    input: z.object({ segmentationId: idSchema, connectivity: connectivitySchema.default(6) }).strict(),
    output: measurementWireSchema,
  },
  /**
   * Histogram of volume values (HU for CT) inside one label over [loValue, hiValue] (default: the label's own min..max);
   * voxels outside the range are counted in below/above.
   */
  'measure.histogram': {
    input: z
      .object({
        segmentationId: idSchema,
        labelValue: labelValueSchema.min(1),
        bins: z.number().int().min(2).max(512).default(64),
        loValue: modalityValueSchema.optional(),
        hiValue: modalityValueSchema.optional(),
      })
      .strict()
      .refine((r) => r.loValue === undefined || r.hiValue === undefined || r.hiValue > r.loValue, { message: 'hiValue must be above loValue' }),
    output: z.object({
      loValue: z.number(),
      binWidth: z.number(),
      counts: z.array(z.number().int()),
      voxels: z.number().int(),
      below: z.number().int(),
      above: z.number().int(),
    }),
  },
  /**
   * Whether a stored run still describes the label map: stale once the map was edited after it was measured
   * (labelMapVersion null: a run from before versions were recorded, always stale once edited).
   */
  'measure.freshness': {
    input: z.object({ segmentationId: idSchema, runId: idSchema }).strict(),
    output: z.object({ runId: idSchema, labelMapVersion: z.number().int().nullable(), currentLabelMapVersion: z.number().int(), stale: z.boolean() }),
  },
  /**
   * The latest stored measurement run of a segmentation as CSV or JSON text (measures first when none is stored).
   * Refused with STALE_RESULT when the label map was edited after that run: an export never carries old figures.
   */
  'measure.export': {
    input: z.object({ segmentationId: idSchema, format: z.enum(['csv', 'json']) }).strict(),
    output: z.object({ format: z.enum(['csv', 'json']), fileName: z.string(), text: z.string() }),
  },
  /** Runs a classical tool; the label map is served as binary 'labelmap-preview/<previewId>' (kept briefly, in memory). */
  'classical.preview': {
    input: z.object({ seriesId: idSchema, params: classicalToolSchema }).strict(),
    output: previewResultSchema,
  },
  /**
   * Edge map: Sobel gradient magnitude (value units per mm, HU/mm for CT) in four bands from minGradient up
   * (x1, x2, x4, x8), served like a preview ('labelmap-preview/<previewId>') to be shown as an overlay layer.
   */
  'classical.edgeMap': {
    input: z.object({ seriesId: idSchema, minGradientPerMm: z.number().finite().positive().max(1e6) }).strict(),
    output: previewResultSchema,
  },
  /** Runs the same tool and stores the result as a segmentation (source 'classical'). */
  'classical.apply': {
    input: z.object({ seriesId: idSchema, params: classicalToolSchema, name: z.string().min(1).max(200).optional() }).strict(),
    output: z.object({ segmentationId: idSchema }),
  },
  /**
   * Per-label Dice, IoU and HD95 and overall voxel accuracy of two different segmentations (a = b is refused).
   * Labels are paired by name (by value when names are missing: pairedBy and a warning say so); HD95 is in mm
   * only on geometry that passes the gate (else in voxels, hd95Unit 'voxels'; null on non-orthogonal grids).
   */
  'compare.segmentations': {
    input: z.object({ a: idSchema, b: idSchema }).strict(),
    output: z.object({
      pixelAccuracy: z.number(),
      pairedBy: z.enum(['name', 'value']),
      hd95Unit: z.enum(['mm', 'voxels']).nullable(),
      geometryStatus: z.enum(['ok', 'warning', 'unsafe']),
      warnings: z.array(warningSchema),
      labels: z.array(
        z.object({
          /** valueA, or valueB for a label only B has. */
          value: labelValueSchema,
          valueA: labelValueSchema.nullable(),
          valueB: labelValueSchema.nullable(),
          nameA: z.string().nullable(),
          nameB: z.string().nullable(),
          voxelsA: z.number().int(),
          voxelsB: z.number().int(),
          dice: z.number(),
          iou: z.number(),
          hd95Mm: num,
          hd95Voxels: num,
        }),
      ),
    }),
  },
} as const;

export const analysisEvents = {
  'segment.progress': z.object({ jobId: idSchema, tilesDone: z.number().int(), tilesTotal: z.number().int(), etaSeconds: z.number().nullable() }),
  'segment.done': z.object({
    jobId: idSchema,
    segmentationId: idSchema.optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
} as const;
