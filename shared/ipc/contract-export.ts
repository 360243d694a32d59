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
  /** Re-checks the hash chain of the audit log (and its stored head): a changed, removed or reordered entry is found. */
  'audit.verify': {
    input: z.object({}).strict(),
    output: z.object({ ok: z.boolean(), entries: z.number().int().nonnegative(), firstBadEntry: z.number().int().nullable(), reason: z.string().optional() }),
  },
  /** De-identified copies (PS3.15 Basic Profile) of a catalogued series' files, written flat into a folder the user chose. */
  'deid.series': {
    input: z
      .object({
        seriesId: idSchema,
        outDir: z.string().min(1).max(4096),
        shiftDates: z.boolean().default(false),
        /** Write files that state BurnedInAnnotation = YES (the user has checked the pixels); refused otherwise. */
        allowBurnedIn: z.boolean().default(false),
      })
      .strict(),
    output: z.object({
      outDir: z.string(),
      files: z.array(z.string()),
      written: z.number().int().nonnegative(),
      skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
      patients: z.number().int().nonnegative(),
      burnedInOverridden: z.number().int().nonnegative(),
    }),
  },
  /** C-STORE to a DICOM node the user names (AET@HOST:PORT): a catalogued series or an exported file/folder. Only on this explicit call. */
  'send.series': {
    input: z
      .object({
        seriesId: idSchema.optional(),
        /** An exported file or folder (absolute path), instead of seriesId. */
        path: z.string().min(1).max(4096).optional(),
        node: z.string().min(3).max(300),
        callingAet: z.string().min(1).max(16).optional(),
        timeoutS: z.number().positive().max(3600).default(30),
      })
      .strict()
      .refine((v) => (v.seriesId === undefined) !== (v.path === undefined), { message: 'give exactly one of seriesId or path' }),
    output: z.object({
      node: z.string(),
      sent: z.number().int().nonnegative(),
      failed: z.array(z.object({ path: z.string(), status: z.string() })),
      skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
    }),
  },
} as const;
