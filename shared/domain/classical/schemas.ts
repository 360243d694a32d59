// zod schema of a classical tool request (threshold, region growing, k-means) for the method table; it is proven
// equal to the domain's ClassicalToolRequest, so the service passes the parsed input straight to runClassicalTool.
import { z } from 'zod';
import { voxelBoxSchema, voxelIjkSchema, type TypesMatch } from '../schemas.js';
import type { ClassicalToolRequest } from './runTool.js';

/** Modality values (HU for CT): finite and within what any scanner stores. */
export const modalityValueSchema = z.number().finite().min(-1e6).max(1e6);
const roiSchema = voxelBoxSchema.strict();

export const connectivitySchema = z.union([z.literal(6), z.literal(26)]);

export const classicalToolSchema = z.discriminatedUnion('tool', [
  z.object({ tool: z.literal('threshold'), loValue: modalityValueSchema, hiValue: modalityValueSchema, roi: roiSchema.optional() }).strict(),
  z
    .object({
      tool: z.literal('regionGrow'),
      seedIjk: voxelIjkSchema,
      loValue: modalityValueSchema.optional(),
      hiValue: modalityValueSchema.optional(),
      tolerance: z.number().finite().nonnegative().max(1e6).optional(),
      connectivity: connectivitySchema.optional(),
      maxVoxels: z.number().int().positive().max(1e9).optional(),
    })
    .strict(),
  z.object({ tool: z.literal('kmeans'), k: z.number().int().min(1).max(16), roi: roiSchema.optional() }).strict(),
]);

const requestMatches: TypesMatch<z.infer<typeof classicalToolSchema>, ClassicalToolRequest> = true;
void requestMatches;
