// zod schemas of the editing operations and their results, ready for the method table (shared/ipc/contract.ts):
// the shapes only; limits that need the segmentation (grid, known labels) are checked by validateStroke.
import { z } from 'zod';
import { LABEL_KINDS } from '../labelTable.js';

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const label = z.number().int().min(0).max(65535);
const plane = z.enum(['axial', 'coronal', 'sagittal']);
const intensityRange = z.object({ lo: z.number(), hi: z.number() });

export const editStrokeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('brush'),
    mode: z.enum(['paint', 'erase']),
    label,
    pathIjk: z.array(vec3).min(1).max(10_000),
    radiusMm: z.number().positive().max(500),
    shape: z.enum(['disc', 'sphere']),
    plane: plane.optional(),
    intensityRange: intensityRange.optional(),
    overwriteOtherLabels: z.boolean().optional(),
  }),
  z.object({ kind: z.literal('fill'), mode: z.enum(['paint', 'erase']), label, plane, seedIjk: vec3, intensityRange: intensityRange.optional() }),
  z.object({ kind: z.literal('interpolate'), label, plane, fromSlice: z.number().int().min(0), toSlice: z.number().int().min(0) }),
  z.object({ kind: z.literal('deleteInstance'), seedIjk: vec3 }),
  z.object({ kind: z.literal('relabel'), fromLabel: label, toLabel: label }),
]);

export const editResultSchema = z.object({
  version: z.number().int().nonnegative(),
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  changedVoxels: z.number().int().nonnegative(),
  changedBoundsIjk: z.object({ minIjk: vec3, maxIjk: vec3 }).nullable(),
  changedSlicesK: z.array(z.number().int()),
  bytesStored: z.number().int().nonnegative().optional(),
});

export const editVersionSchema = z.object({ id: z.number().int().positive(), seq: z.number().int().nonnegative(), name: z.string(), createdAt: z.string() });

export const newLabelSchema = z.object({
  name: z.string().min(1).max(200),
  colorRgb: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]),
  /** Absent: CREATED_LABEL_KIND ('other'); a hand-made label is never a lesion unless the user says so. */
  kind: z.enum(LABEL_KINDS).optional(),
});
