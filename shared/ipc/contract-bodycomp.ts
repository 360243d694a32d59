// Method-table entry of body composition (issue 11), spread into `methods` in contract.ts: a series' tissue map and
// vertebra map (two stored segmentations, or one holding both, told apart by label names) measured by the same service
// as `medseg bodycomp`; the answer is the CLI's JSON plus which label-map versions it was computed from.
import { z } from 'zod';
import { idSchema } from '../domain/schemas.js';

/** A level (L3, vertebrae_L3), a slice index k, or an LPS z in mm (the nearest slice): `--slice L3|K|z=MM`. */
export const sliceChoiceSchema = z.union([
  z.object({ level: z.string().regex(/^(vertebrae?_)?[CTLS]\d{1,2}$/i) }).strict(),
  z.object({ k: z.number().int().nonnegative() }).strict(),
  z.object({ zLpsMm: z.number().finite() }).strict(),
]);

const tissueVolumeSchema = z.object({
  name: z.string(),
  voxels: z.number().int().nonnegative(),
  volumeMl: z.number(),
  volumeMlLower: z.number(),
  volumeMlUpper: z.number(),
});

/** The JSON of `medseg bodycomp --json` (main/services/measure/bodyComposition.ts BodyCompositionReport). */
export const bodyCompositionReportSchema = z.object({
  levels: z.array(
    z.object({
      level: z.string(),
      sliceRange: z.tuple([z.number().int(), z.number().int()]),
      extentSMm: z.tuple([z.number(), z.number()]),
      centreSMm: z.number(),
      truncated: z.boolean(),
      tissues: z.array(tissueVolumeSchema),
    }),
  ),
  slice: z.object({
    level: z.string().nullable(),
    k: z.number().int(),
    zLps: z.number(),
    tissues: z.array(z.object({ name: z.string(), voxels: z.number().int().nonnegative(), areaCm2: z.number(), meanHu: z.number().nullable() })),
  }),
  geometryStatus: z.enum(['ok', 'warning', 'unsafe']),
  voxelVolumeMl: z.number(),
  pixelAreaCm2: z.number(),
  intensityUnit: z.enum(['HU', 'a.u.', 'unknown']),
  resampled: z.object({ tissues: z.boolean(), vertebrae: z.boolean() }),
  warnings: z.array(z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.number()).optional() })),
});
export type BodyCompositionReportWire = z.infer<typeof bodyCompositionReportSchema>;

export const bodycompMethods = {
  /**
   * Tissue volumes (mL with band) per vertebral level and tissue areas (cm²) / mean HU on one axial slice. Without
   * vertebraeSegmentationId the tissue map holds both: its vertebra-named labels are the levels, the others the tissues.
   * Refused: unsafe geometry (UNSAFE_GEOMETRY), non-axial slices (INVALID_INPUT), a missing level (NOT_FOUND).
   */
  'bodycomp.compute': {
    input: z
      .object({
        seriesId: idSchema,
        tissuesSegmentationId: idSchema,
        vertebraeSegmentationId: idSchema.optional(),
        /** Default: the slice nearest L3's centre. */
        slice: sliceChoiceSchema.optional(),
      })
      .strict(),
    output: bodyCompositionReportSchema.extend({
      /** The label-map versions (edit journal cursors) the figures were computed from: a later edit makes them stale. */
      provenance: z.object({
        tissuesSegmentationId: idSchema,
        tissuesLabelMapVersion: z.number().int().nonnegative(),
        vertebraeSegmentationId: idSchema,
        vertebraeLabelMapVersion: z.number().int().nonnegative(),
      }),
    }),
  },
} as const;
