// Method-table entries of mask editing (issue 6), spread into `methods` in contract.ts: the renderer sends strokes,
// main applies and journals them and answers with the changed region plus the new undo/redo state.
import { z } from 'zod';
import { editResultSchema, editStrokeSchema, editVersionSchema, newLabelSchema } from '../domain/editing/schemas.js';
import { idSchema, labelInfoSchema } from '../domain/schemas.js';

const segmentation = z.object({ segmentationId: idSchema }).strict();

/** Where the journal stands: the version (stroke sequence number; 0 = as stored) and what undo/redo would do. */
export const editStateSchema = z.object({
  segmentationId: idSchema,
  version: z.number().int().nonnegative(),
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  /** Whether threshold-limited tools can run (the image values are on the segmentation's grid). */
  hasImageValues: z.boolean(),
  labels: z.array(labelInfoSchema),
});

/** The changed region (for redraw) and the new state after one edit, undo, redo or revert. */
export const editChangeSchema = editResultSchema.extend({ segmentationId: idSchema });

export const editMethods = {
  /** Opens (or joins) the edit session of any segmentation (AI, classical, imported, edited). */
  'edit.open': { input: segmentation, output: editStateSchema },
  /** Applies one stroke (one undo step). The label map at binary 'labelmap/<id>' reflects it once this returns. */
  'edit.stroke': { input: z.object({ segmentationId: idSchema, stroke: editStrokeSchema }).strict(), output: editChangeSchema },
  'edit.undo': { input: segmentation, output: editChangeSchema },
  'edit.redo': { input: segmentation, output: editChangeSchema },
  'edit.versions': { input: segmentation, output: z.object({ versions: z.array(editVersionSchema), current: z.number().int().nonnegative() }) },
  /** Names the current state (a journal position, not a copy). */
  'edit.nameVersion': { input: z.object({ segmentationId: idSchema, name: z.string().min(1).max(200) }).strict(), output: editVersionSchema },
  /** Returns to a named version (0 = the map as stored before any edit) as a new undoable edit: nothing is discarded. */
  'edit.revertTo': { input: z.object({ segmentationId: idSchema, versionId: z.number().int().nonnegative() }).strict(), output: editChangeSchema },
  'edit.createLabel': { input: z.object({ segmentationId: idSchema, label: newLabelSchema }).strict(), output: labelInfoSchema },
} as const;

export type EditState = z.infer<typeof editStateSchema>;
export type EditChange = z.infer<typeof editChangeSchema>;
