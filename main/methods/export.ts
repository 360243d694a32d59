// The export entries of the method table: a stored segmentation (committed edits included) through the same
// context and format handlers as `medseg export`.
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { exportMethods } from '../../shared/ipc/contract-export.js';
import { appendAudit, verifyAuditLog } from '../db/audit.js';
import { getSeriesRecord, seriesInstanceSources } from '../db/catalog.js';
import { deidentifyToFolder } from '../services/deid/deidentify.js';
import { parseDicomNode, sendToDicomNode } from '../services/deid/dicomSend.js';
import { loadExportContext } from '../services/export/context.js';
import { exportFormat, exportFormatNames } from '../services/export/formats.js';
import type { MethodImpls } from './types.js';
import type { Database } from 'better-sqlite3';

type ExportMethodName = keyof typeof exportMethods;

/** An absolute, existing folder (the user's choice) or a coded refusal. */
async function existingFolder(outDir: string): Promise<string> {
  if (!isAbsolute(outDir)) throw new AppError('INVALID_INPUT', `The export folder must be an absolute path: ${outDir}`);
  const dir = resolve(outDir);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new AppError('NOT_FOUND', `The export folder does not exist: ${dir}`);
  return dir;
}

/** The plain files of a catalogued series (getSeriesRecord refuses an unknown id); instances inside a zip are refused. */
function seriesFiles(db: Database, seriesId: number): string[] {
  getSeriesRecord(db, seriesId);
  const sources = seriesInstanceSources(db, seriesId);
  const zipped = sources.filter((s) => s.archiveMember !== undefined);
  if (zipped.length > 0)
    throw new AppError('INVALID_INPUT', `Series ${seriesId} was imported from an archive (${zipped[0].path}): extract it and import the files to export them.`);
  if (sources.length === 0) throw new AppError('NOT_FOUND', `Series ${seriesId} has no catalogued files.`);
  return [...new Set(sources.map((s) => s.path))];
}

export function createExportService(db: Database): { methods: Pick<MethodImpls, ExportMethodName> } {
  return {
    methods: {
      'export.segmentation': async ({ segmentationId, format, outDir, fileName }) => {
        if (!exportFormatNames().includes(format))
          throw new AppError('INVALID_INPUT', `Unknown export format '${format}'; known: ${exportFormatNames().join(', ')}.`);
        const dir = await existingFolder(outDir);
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
      'audit.verify': async () => {
        const v = verifyAuditLog(db);
        return { ok: v.ok, entries: v.entries, firstBadEntry: v.firstBadEntry, ...(v.reason === undefined ? {} : { reason: v.reason }) };
      },
      'deid.series': async ({ seriesId, outDir, shiftDates, allowBurnedIn }) => {
        const files = seriesFiles(db, seriesId);
        const dir = await existingFolder(outDir);
        const result = await deidentifyToFolder({ inputPath: dirname(files[0]), inputFiles: files, outDir: dir, shiftDates, allowBurnedIn });
        appendAudit(db, {
          action: 'deid',
          subject: dir,
          details: {
            series: seriesId,
            written: result.written.length,
            skipped: result.skipped.length,
            shiftDates,
            burnedInOverridden: result.burnedInOverridden.length,
          },
        });
        return {
          outDir: dir,
          files: result.written.map((w) => w.output),
          written: result.written.length,
          skipped: result.skipped,
          patients: result.patients,
          burnedInOverridden: result.burnedInOverridden.length,
        };
      },
      'send.series': async ({ seriesId, path, node, callingAet, timeoutS }) => {
        const target = parseDicomNode(node);
        let input: string | string[];
        if (seriesId !== undefined) input = seriesFiles(db, seriesId);
        else {
          if (!path || !isAbsolute(path)) throw new AppError('INVALID_INPUT', `The file or folder to send must be an absolute path: ${path ?? ''}`);
          if (!(await stat(path).catch(() => null))) throw new AppError('NOT_FOUND', `Nothing to send at ${path}`);
          input = path;
        }
        const result = await sendToDicomNode(input, target, callingAet ?? 'MEDSEG', timeoutS * 1000);
        const nodeText = `${target.aet}@${target.host}:${target.port}`;
        appendAudit(db, {
          action: 'send',
          subject: nodeText,
          details: {
            input: seriesId !== undefined ? `series ${seriesId}` : path,
            sent: result.sent.length,
            failed: result.failed.length,
            skipped: result.skipped.length,
          },
        });
        return { node: nodeText, sent: result.sent.length, failed: result.failed, skipped: result.skipped };
      },
    },
  };
}
