// Method-table entries of the reading annotations of a series: ruler (mm), angle (degrees), ellipse and freehand ROI
// (mean/SD/min/max in the series' intensity unit, area in mm²) and text, stored per series. Points are continuous
// voxel coordinates (i, j, k) of the series grid, as picked on a view; figures in mm pass the geometry gate (null
// where it refuses).
import { z } from 'zod';
import { idSchema, vec3Schema } from '../domain/schemas.js';

export const annotationKindSchema = z.enum(['ruler', 'angle', 'ellipse', 'freehand', 'text']);
export type AnnotationKind = z.infer<typeof annotationKindSchema>;

export const annotationResultSchema = z.object({
  /** ruler: patient-space length. */
  lengthMm: z.number().nullable().optional(),
  /** angle: at the middle point, between the arms to the first and third points. */
  angleDeg: z.number().nullable().optional(),
  /** ellipse/freehand: statistics of the voxels whose centres lie inside the shape on its slice. */
  roi: z
    .object({
      sliceAxis: z.union([z.literal(0), z.literal(1), z.literal(2)]),
      sliceIndex: z.number().int(),
      voxelCount: z.number().int().nonnegative(),
      mean: z.number().nullable(),
      sd: z.number().nullable(),
      min: z.number().nullable(),
      max: z.number().nullable(),
      areaMm2: z.number().nullable(),
      /** 'HU' for CT, else 'stored value'. */
      unit: z.string(),
    })
    .optional(),
  /** Why a figure is missing (unsafe geometry). */
  note: z.string().optional(),
});
export type AnnotationResult = z.infer<typeof annotationResultSchema>;

export const annotationWireSchema = z.object({
  annotationId: idSchema,
  seriesId: idSchema,
  kind: annotationKindSchema,
  pointsIjk: z.array(vec3Schema),
  pointsLps: z.array(vec3Schema),
  text: z.string().nullable(),
  computationVersion: z.string(),
  result: annotationResultSchema,
  createdAt: z.string(),
});
export type AnnotationWire = z.infer<typeof annotationWireSchema>;

export const annotationMethods = {
  /**
   * Stores an annotation and returns it with its figures. Points: ruler 2, angle 3 (vertex in the middle), ellipse 2
   * opposite corners of its box on one slice, freehand 3..2000 on one slice, text 1 (its anchor) with text.
   */
  'annotations.create': {
    input: z
      .object({
        seriesId: idSchema,
        kind: annotationKindSchema,
        pointsIjk: z.array(vec3Schema).min(1).max(2000),
        text: z.string().min(1).max(2000).optional(),
      })
      .strict(),
    output: annotationWireSchema,
  },
  /** The stored annotations of a series, in the order they were drawn. */
  'annotations.list': {
    input: z.object({ seriesId: idSchema }).strict(),
    output: z.object({ annotations: z.array(annotationWireSchema) }),
  },
  'annotations.delete': {
    input: z.object({ annotationId: idSchema }).strict(),
    output: z.object({ deleted: z.boolean() }),
  },
} as const;
