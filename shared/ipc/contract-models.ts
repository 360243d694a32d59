// Method-table entries of model management, spread into `methods` in contract.ts: importing nnU-Net v2 results as a
// model folder, and the models that suit a series (modality, body region, slice orientation) for the UI to offer.
import { z } from 'zod';
import { idSchema, labelInfoSchema } from '../domain/schemas.js';

const labelIdentitySchema = labelInfoSchema.pick({ value: true, name: true, kind: true });

export const modelMethods = {
  /** Makes a model folder from an nnU-Net v2 results folder on the machine running the services (see `medseg models import`). */
  'models.import': {
    input: z
      .object({
        path: z.string().min(1).max(4096),
        id: z.string().max(100).optional(),
        modality: z.enum(['CT', 'MR', 'PT', 'US', 'OT']).optional(),
        folds: z
          .array(z.string().regex(/^(fold_)?(\d+|all)$/))
          .min(1)
          .max(20)
          .optional(),
      })
      .strict(),
    output: z.object({
      id: z.string(),
      dimensions: z.union([z.literal(2), z.literal(3)]),
      modality: z.string(),
      labels: z.array(labelIdentitySchema),
      folds: z.array(z.string()),
      configuration: z.string(),
    }),
  },
  /** Every valid model with whether it suits the series and why not; the suitable ones first. */
  'models.suggest': {
    input: z.object({ seriesId: idSchema }).strict(),
    output: z.object({
      seriesModality: z.string(),
      sliceOrientation: z.enum(['axial', 'coronal', 'sagittal', 'oblique']),
      models: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          modality: z.string(),
          dimensions: z.union([z.literal(2), z.literal(3)]),
          fits: z.boolean(),
          /** Why it does not suit the series (it can still be run with the explicit override), null when it does. */
          reason: z.string().nullable(),
        }),
      ),
    }),
  },
} as const;
