// Small helpers shared by CLI subcommands: argument parsing with clear usage errors, DB opening, progress bar.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError, toErrorData } from '../../../shared/errors.js';
import { openDatabase, type Database } from '../../db/database.js';
import { resolveDbPath } from '../../db/appPaths.js';
import type { CliIo } from './types.js';

export class UsageError extends Error {}

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${usage}`);
  }
}

export function openCatalogDb(dbOption: string | undefined): Database {
  return openDatabase(resolveDbPath(dbOption));
}

/** Prints an error the way every command does: JSON when --json, else one readable line. */
export function reportError(io: CliIo, err: unknown, json: boolean): void {
  const data = toErrorData(err);
  if (json) io.stdout(JSON.stringify({ error: data }) + '\n');
  io.stderr(`medseg: ${data.code}: ${data.message}\n`);
}

/** A one-line progress bar redrawn in place on an interactive stderr. */
export function progressBar(io: CliIo, label: string): { update(done: number, total: number): void; finish(): void } {
  let last = -1;
  return {
    update(done, total) {
      if (!io.stderrIsTty || total === 0) return;
      const pct = Math.floor((100 * done) / total);
      if (pct === last && done !== total) return;
      last = pct;
      const width = 30;
      const filled = Math.round((width * done) / total);
      io.stderr(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${pct}%`);
    },
    finish() {
      if (io.stderrIsTty && last >= 0) io.stderr('\n');
    },
  };
}

export { AppError };
