// Every CLI subcommand, one line each: name and summary here, the code loaded only when that command runs (so
// `medseg --help` or `medseg info` never loads onnxruntime, SQLite or the HTTP server). Areas add theirs here.
import type { CliCommand } from './types.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CliCommand>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'import',
    summary: 'Import DICOM files, folders, .zip archives or DICOMDIRs into the catalog',
    load: async () => (await import('./import.js')).command,
  },
  {
    name: 'info',
    summary: 'Show series, dimensions, spacing and geometry of DICOM data without importing it',
    load: async () => (await import('./info.js')).command,
  },
  {
    name: 'convert',
    summary: 'Convert a DICOM series (first, or --series UID) to NIfTI (int16 when exact, else float32), geometry status kept',
    load: async () => (await import('./convert.js')).command,
  },
  {
    name: 'measure',
    summary: 'Volumes (mL with partial-volume band), intensity statistics (HU for CT), centroids and lesion RECIST diameters per label',
    load: async () => (await import('./measure.js')).command,
  },
  {
    name: 'bodycomp',
    summary: 'Body composition: tissue volumes (mL) per vertebral level and tissue areas (cm²) with mean HU on one axial slice (L3)',
    load: async () => (await import('./bodycomp.js')).command,
  },
  {
    name: 'compare',
    summary: 'Compare two label maps on one grid: Dice, IoU, HD95 per label (paired by name), pixel accuracy',
    load: async () => (await import('./compare.js')).command,
  },
  {
    name: 'segment',
    summary: 'Segment a DICOM series or NIfTI volume with a U-Net model (default abdomen-ct); label map on the input grid',
    load: async () => (await import('./segment.js')).command,
  },
  {
    name: 'models',
    summary: 'List segmentation models (bundled + <userData>/models), or --validate an external model folder',
    load: async () => (await import('./models.js')).command,
  },
  {
    name: 'batch',
    summary: 'Segment and measure every series of a cohort (folders, zips, manifest CSV): one resumable table, local workers or Slurm',
    load: async () => (await import('./batch.js')).command,
  },
  {
    name: 'timeline',
    summary: "A patient's studies in a batch table: label volumes over time with their change, matched lesions and the RECIST 1.1 response",
    load: async () => (await import('./timeline.js')).command,
  },
  {
    name: 'mesh',
    summary: 'Surface meshes per label (smoothed, within a triangle budget) as binary STL, OBJ or PLY in LPS or RAS, with volume and area',
    load: async () => (await import('./mesh.js')).command,
  },
  {
    name: 'distance',
    summary: 'Minimum distance in mm between two labels (values or names) and the two closest points, from exact distance transforms',
    load: async () => (await import('./distance.js')).command,
  },
  {
    name: 'resect',
    summary: 'Virtual resection of an organ by a plane: resected and remnant mL, remnant % (future liver remnant) with bands, tumour margins',
    load: async () => (await import('./resect.js')).command,
  },
  {
    name: 'export',
    summary: 'Export a segmentation of a series: DICOM SEG or SR, NIfTI label map (+ label table sidecar) or Slicer .seg.nrrd',
    load: async () => (await import('./export.js')).command,
  },
  {
    name: 'serve',
    summary: 'Serve the viewer and its API on http://127.0.0.1 (token-protected) for use in a local browser',
    load: async () => (await import('./serve.js')).command,
  },
  {
    name: 'deid',
    summary: 'De-identified copies of DICOM files (PS3.15 Basic Profile; --shift-dates keeps intervals), UIDs remapped consistently',
    load: async () => (await import('./deid.js')).command,
  },
  {
    name: 'audit',
    summary: 'Verify (or list) the hash-chained audit log of imports, segmentations, edits, measurements, exports and de-identifications',
    load: async () => (await import('./audit.js')).command,
  },
  {
    name: 'send',
    summary: 'Send DICOM files (C-STORE) to a DICOM node you name: AET@HOST:PORT (the only network use)',
    load: async () => (await import('./send.js')).command,
  },
];
