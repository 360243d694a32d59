// zod schemas of the editing operations and their results, ready for the method table (shared/ipc/contract-edit.ts):
// the shapes only; limits that need the segmentation (grid, known labels) are checked by validateStroke.
import { z } from 'zod';
import { colorRgbSchema, labelKindSchema, labelValueSchema, vec3Schema, voxelBoxSchema, type TypesMatch } from '../schemas.js';
import type { ChangedRegion } from './delta.js';
import type { BrushStroke, DeleteInstanceStroke, EditStroke, FillStroke, IntensityRange, InterpolateStroke, RelabelStroke, VoxelPlane } from './strokes.js';

export const voxelPlaneSchema = z.enum(['axial', 'coronal', 'sagittal']);
const intensityRangeSchema = z.object({ lo: z.number(), hi: z.number() });
const paintOrErase = z.enum(['paint', 'erase']);

const brushStrokeSchema = z.object({
  kind: z.literal('brush'),
  mode: paintOrErase,
  label: labelValueSchema,
  pathIjk: z.array(vec3Schema).min(1).max(10_000),
  radiusMm: z.number().positive().max(500),
  shape: z.enum(['disc', 'sphere']),
  plane: voxelPlaneSchema.optional(),
  intensityRange: intensityRangeSchema.optional(),
  overwriteOtherLabels: z.boolean().optional(),
  onlyOverLabel: labelValueSchema.optional(),
});
const fillStrokeSchema = z.object({
  kind: z.literal('fill'),
  mode: paintOrErase,
  label: labelValueSchema,
  plane: voxelPlaneSchema,
  // Continuous like a pointer sample: validateStroke says "must be integer voxel indices" in the user's terms.
  seedIjk: vec3Schema,
  intensityRange: intensityRangeSchema.optional(),
});
const interpolateStrokeSchema = z.object({
  kind: z.literal('interpolate'),
  label: labelValueSchema,
  plane: voxelPlaneSchema,
  fromSlice: z.number().int().min(0),
  toSlice: z.number().int().min(0),
});
const deleteInstanceStrokeSchema = z.object({ kind: z.literal('deleteInstance'), seedIjk: vec3Schema });
const relabelStrokeSchema = z.object({ kind: z.literal('relabel'), fromLabel: labelValueSchema, toLabel: labelValueSchema });

export const editStrokeSchema = z.discriminatedUnion('kind', [
  brushStrokeSchema,
  fillStrokeSchema,
  interpolateStrokeSchema,
  deleteInstanceStrokeSchema,
  relabelStrokeSchema,
]);

/** What changed (for redraw) and where the journal stands after one edit, undo, redo or revert. */
export const editResultSchema = z.object({
  version: z.number().int().nonnegative(),
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  changedVoxels: z.number().int().nonnegative(),
  changedBoundsIjk: voxelBoxSchema.nullable(),
  changedSlicesK: z.array(z.number().int()),
  bytesStored: z.number().int().nonnegative().optional(),
});

export const editVersionSchema = z.object({ id: z.number().int().positive(), seq: z.number().int().nonnegative(), name: z.string(), createdAt: z.string() });

export const newLabelSchema = z.object({
  name: z.string().min(1).max(200),
  colorRgb: colorRgbSchema,
  /** Absent: CREATED_LABEL_KIND ('other'); a hand-made label is never a lesion unless the user says so. */
  kind: labelKindSchema.optional(),
});

// strokes.ts declares the stroke types with their meaning; these prove the wire shapes are exactly those types.
const planeMatches: TypesMatch<z.infer<typeof voxelPlaneSchema>, VoxelPlane> = true;
const rangeMatches: TypesMatch<z.infer<typeof intensityRangeSchema>, IntensityRange> = true;
const brushMatches: TypesMatch<z.infer<typeof brushStrokeSchema>, BrushStroke> = true;
const fillMatches: TypesMatch<z.infer<typeof fillStrokeSchema>, FillStroke> = true;
const interpolateMatches: TypesMatch<z.infer<typeof interpolateStrokeSchema>, InterpolateStroke> = true;
const deleteMatches: TypesMatch<z.infer<typeof deleteInstanceStrokeSchema>, DeleteInstanceStroke> = true;
const relabelMatches: TypesMatch<z.infer<typeof relabelStrokeSchema>, RelabelStroke> = true;
const strokeMatches: TypesMatch<z.infer<typeof editStrokeSchema>, EditStroke> = true;
const regionMatches: TypesMatch<Pick<z.infer<typeof editResultSchema>, keyof ChangedRegion>, ChangedRegion> = true;
void [planeMatches, rangeMatches, brushMatches, fillMatches, interpolateMatches, deleteMatches, relabelMatches, strokeMatches, regionMatches];
