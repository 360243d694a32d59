// The export formats: one handler per format, registered by name. `medseg export` and the method table both go
// through this map; an area adds its format with registerExportFormat (seg|sr|nifti|seg.nrrd here; pdf|csv|json: deid).
import { AppError } from '../../../shared/errors.js';
import type { ExportContext } from './context.js';

export interface ExportRequest {
  /** Output file (or folder, for a handler that says so); written atomically (temp + rename). */
  outPath: string;
  /** Free options a handler may read (e.g. { pseudonym }, { sourcePath }). */
  options?: Record<string, unknown>;
}

export interface ExportResult {
  format: string;
  /** Files written, final paths. */
  files: string[];
  bytes: number;
  /** What the user should know (derived UIDs, resampling, skipped labels, dciodvfy-relevant choices). */
  notes: string[];
  /** Anything format-specific worth printing with --json (segment count, frames …). */
  details?: Record<string, unknown>;
}

export interface ExportFormatHandler {
  /** One line for --help. */
  summary: string;
  /** Default file name ending, e.g. '.seg.dcm', '.nii.gz'. */
  extension: string;
  write(ctx: ExportContext, req: ExportRequest): Promise<ExportResult>;
}

const handlers = new Map<string, () => Promise<ExportFormatHandler>>();

/** Registers a format lazily (its code is loaded only when that format is exported). */
export function registerExportFormat(name: string, load: () => Promise<ExportFormatHandler>): void {
  handlers.set(name, load);
}

export function exportFormatNames(): string[] {
  return [...handlers.keys()];
}

export async function exportFormat(name: string): Promise<ExportFormatHandler> {
  const load = handlers.get(name);
  if (!load) throw new AppError('INVALID_INPUT', `Unknown export format '${name}'; known: ${exportFormatNames().join(', ')}.`);
  return load();
}

registerExportFormat('seg', async () => (await import('./dicomSeg.js')).dicomSegFormat);
registerExportFormat('sr', async () => (await import('./dicomSr.js')).dicomSrFormat);
registerExportFormat('nifti', async () => (await import('./labelFiles.js')).niftiLabelFormat);
registerExportFormat('seg.nrrd', async () => (await import('./labelFiles.js')).segNrrdFormat);
registerExportFormat('pdf', async () => (await import('./pdfReport.js')).pdfReportFormat);
registerExportFormat('csv', async () => (await import('./tabular.js')).csvFormat);
registerExportFormat('json', async () => (await import('./tabular.js')).jsonFormat);
