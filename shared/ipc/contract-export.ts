// Method-table entries of exchange exports (issue 13), spread into `methods` in contract.ts: a stored segmentation
// (with its committed edits) written as DICOM SEG, DICOM SR (+ its SEG), NIfTI (+ sidecar) or .seg.nrrd into a folder
// the user chose; the answer says where. deid adds its formats (pdf, csv, json) to the same entry.
import { z } from 'zod';
import { idSchema } from '../domain/schemas.js';

export const EXPORT_FORMATS = ['seg', 'sr', 'nifti', 'seg.nrrd'] as const;

export const exportResultSchema = z.object({
  format: z.string(),
  /** Absolute paths of the files written (atomically). */
  files: z.array(z.string()),
  bytes: z.number().int().nonnegative(),
  notes: z.array(z.string()),
});

export const exportMethods = {
  'export.segmentation': {
    input: z
      .object({
        segmentationId: idSchema,
        format: z.string().min(1).max(32),
        /** A folder the user picked (Electron: save dialog; browser mode: typed, the server writes there). */
        outDir: z.string().min(1).max(4096),
        /** File name without folder; default segmentation-<id>.<format extension>. */
        fileName: z
          .string()
          .min(1)
          .max(255)
          .regex(/^[^/\\]+$/)
          .optional(),
      })
      .strict(),
    output: exportResultSchema,
  },
} as const;
