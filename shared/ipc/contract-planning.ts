// Method-table entries of surgical planning: surface meshes per label (their buffers travel as binary resources
// 'mesh-vertices/<meshId>' and 'mesh-triangles/<meshId>'), minimum distances between labels and virtual resections.
import { z } from 'zod';
import { colorRgbSchema, dimsSchema, idSchema, labelKindSchema, labelValueSchema, vec3Schema } from '../domain/schemas.js';

const warningSchema = z.object({ code: z.string(), message: z.string() });

/** One label's surface: figures here, buffers as binary resources keyed by meshId. */
export const labelMeshWireSchema = z.object({
  value: labelValueSchema,
  name: z.string(),
  colorRgb: colorRgbSchema,
  kind: labelKindSchema,
  /**
   * Key of the buffers: binary 'mesh-vertices/<meshId>' = float32 x,y,z per vertex in LPS mm; binary
   * 'mesh-triangles/<meshId>' = uint32, three vertex indices per triangle, counter-clockwise seen from outside
   * (right-hand normals point out of the label). Valid while the label map keeps labelMapVersion.
   */
  meshId: idSchema,
  vertices: z.number().int().nonnegative(),
  triangles: z.number().int().nonnegative(),
  /** Volume enclosed by the mesh (divergence theorem) and the label's voxel-count volume, in mL. */
  meshVolumeMl: z.number(),
  voxelVolumeMl: z.number(),
  areaCm2: z.number(),
  /** Axis-aligned LPS bounds of the vertices (mm); null for an empty label. */
  boundsLps: z.object({ min: vec3Schema, max: vec3Schema }).nullable(),
});
export type LabelMeshWire = z.infer<typeof labelMeshWireSchema>;

export const meshResultWireSchema = z.object({
  segmentationId: idSchema,
  /** The edit-journal position of the label map the meshes were made from. */
  labelMapVersion: z.number().int().min(0),
  computationVersion: z.string(),
  /** Always 'LPS' on the wire; exports may convert to RAS (shared/domain/mesh/meshFormats.ts). */
  space: z.literal('LPS'),
  geometryStatus: z.enum(['ok', 'warning']),
  labels: z.array(labelMeshWireSchema),
});
export type MeshResultWire = z.infer<typeof meshResultWireSchema>;

/** A label, or one lesion instance of it. */
/** instanceId: the lesion number of the latest measure.segmentation run (its anchor voxel picks the component). */
const labelRefSchema = z.object({ labelValue: labelValueSchema.min(1), instanceId: z.number().int().positive().optional() }).strict();

const planeSchema = z.object({ pointLps: vec3Schema, normalLps: vec3Schema }).strict();

/**
 * A painted resection region on the label map's grid: run lengths of its 0/1 mask in voxel order (i fastest),
 * zeros first and alternating, adding up to the map's voxel count (shared/domain/planning/resectionRegion.ts).
 */
const regionRunsSchema = z.array(z.number().int().nonnegative()).min(1).max(1_000_000);

export const resectionResultWireSchema = z.object({
  organLabel: labelValueSchema,
  organMl: z.number(),
  organMlLower: z.number(),
  organMlUpper: z.number(),
  resectedMl: z.number(),
  remnantMl: z.number(),
  remnantPercent: z.number(),
  remnantPercentLower: z.number(),
  remnantPercentUpper: z.number(),
  /**
   * Per lesion instance: plane mode, min distance (mm) from its voxels to the plane, negative when it reaches into the
   * remnant; region mode, min distance between its voxel centres and the remnant's (exact distance transform), 0 when
   * it touches the remnant (not enclosed by the region).
   */
  marginsMm: z.array(z.object({ label: labelValueSchema, name: z.string(), instance: z.number().int(), marginMm: z.number() })),
  warnings: z.array(warningSchema),
});
export type ResectionResultWire = z.infer<typeof resectionResultWireSchema>;

const planSummarySchema = z.object({
  planId: idSchema,
  segmentationId: idSchema,
  name: z.string(),
  createdAt: z.string(),
  labelMapVersion: z.number().int().min(0),
  /** True once the label map was edited after the plan was computed: its figures describe an older map. */
  stale: z.boolean(),
  /** plane: cut by `plane`, the `keep` side is the remnant; region: a painted region (planning.planRegion) resected. */
  mode: z.enum(['plane', 'region']),
  plane: planeSchema.nullable(),
  keep: z.enum(['positive', 'negative']).nullable(),
  /** Painted voxels of a region plan (organ or not: the organ part is what was resected); null for a plane plan. */
  regionVoxels: z.number().int().nonnegative().nullable(),
  result: resectionResultWireSchema,
});
export type PlanSummaryWire = z.infer<typeof planSummarySchema>;

export const planningMethods = {
  /**
   * Surface meshes of a segmentation's labels (default: every label present) in LPS mm, smoothed without shrinking
   * and reduced to at most targetTriangles per label; cached per label-map version. Refused on unsafe geometry.
   */
  'planning.mesh': {
    input: z
      .object({
        segmentationId: idSchema,
        labelValues: z.array(labelValueSchema.min(1)).max(1000).optional(),
        targetTriangles: z.number().int().min(1000).max(2_000_000).default(100_000),
      })
      .strict(),
    output: meshResultWireSchema,
  },
  /** Minimum Euclidean distance (mm) between two labels or lesion instances and the two closest voxel centres. */
  'planning.distance': {
    input: z.object({ segmentationId: idSchema, from: labelRefSchema, to: labelRefSchema }).strict(),
    output: z.object({
      labelMapVersion: z.number().int().min(0),
      minDistanceMm: z.number(),
      fromPointLps: vec3Schema,
      toPointLps: vec3Schema,
    }),
  },
  /**
   * Virtual resection of an organ label by a plane (the kept side is the remnant) or by a painted region (resected =
   * organ ∩ region, remnant = organ − region); stored as a plan with the label map version when save is true.
   * Exactly one of plane and region. Refused on unsafe geometry.
   */
  'planning.resect': {
    input: z
      .object({
        segmentationId: idSchema,
        organLabel: labelValueSchema.min(1),
        plane: planeSchema.optional(),
        keep: z.enum(['positive', 'negative']).default('positive'),
        region: z.object({ runs: regionRunsSchema }).strict().optional(),
        save: z.boolean().default(false),
        name: z.string().min(1).max(200).optional(),
      })
      .strict()
      .refine((v) => (v.plane === undefined) !== (v.region === undefined), { message: 'give exactly one of plane and region' }),
    output: z.object({ planId: idSchema.nullable(), labelMapVersion: z.number().int().min(0), result: resectionResultWireSchema }),
  },
  /** The stored plans of a segmentation, newest first, each flagged stale when the map changed since. */
  'planning.plans': {
    input: z.object({ segmentationId: idSchema }).strict(),
    output: z.object({ plans: z.array(planSummarySchema) }),
  },
  /** The painted region of a region plan, as given (run lengths on the label map's grid at the plan's version). */
  'planning.planRegion': {
    input: z.object({ planId: idSchema }).strict(),
    output: z.object({ planId: idSchema, labelMapVersion: z.number().int().min(0), dims: dimsSchema, runs: regionRunsSchema }),
  },
  'planning.deletePlan': {
    input: z.object({ planId: idSchema }).strict(),
    output: z.object({ deleted: z.boolean() }),
  },
} as const;
