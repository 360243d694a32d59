// The export entries of the method table: a stored segmentation (committed edits included) through the same
// context and format handlers as `medseg export`.
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { exportMethods } from '../../shared/ipc/contract-export.js';
import { appendAudit } from '../db/audit.js';
import { loadExportContext } from '../services/export/context.js';
import { exportFormat, exportFormatNames } from '../services/export/formats.js';
import type { MethodImpls } from './types.js';
import type { Database } from 'better-sqlite3';

type ExportMethodName = keyof typeof exportMethods;

export function createExportService(db: Database): { methods: Pick<MethodImpls, ExportMethodName> } {
  return {
    methods: {
      'export.segmentation': async ({ segmentationId, format, outDir, fileName }) => {
        if (!exportFormatNames().includes(format))
          throw new AppError('INVALID_INPUT', `Unknown export format '${format}'; known: ${exportFormatNames().join(', ')}.`);
        if (!isAbsolute(outDir)) throw new AppError('INVALID_INPUT', `The export folder must be an absolute path: ${outDir}`);
        const dir = resolve(outDir);
        const info = await stat(dir).catch(() => null);
        if (!info?.isDirectory()) throw new AppError('NOT_FOUND', `The export folder does not exist: ${dir}`);
        const handler = await exportFormat(format);
        const ctx = await loadExportContext({ labels: segmentationId, db });
        const outPath = join(dir, fileName ?? `segmentation-${segmentationId}${handler.extension}`);
        const result = await handler.write(ctx, { outPath });
        appendAudit(db, {
          action: 'export',
          subject: `segmentation ${segmentationId}`,
          details: { format: result.format, files: result.files, provenance: ctx.provenance },
        });
        return { format: result.format, files: result.files, bytes: result.bytes, notes: [...new Set([...ctx.notes, ...result.notes])] };
      },
    },
  };
}
