// Small helpers shared by CLI subcommands: argument parsing with clear usage errors, DB opening, progress bar.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError } from '../../../shared/errors.js';
import type { Database } from '../../db/database.js';
import { UsageError, reportError, type CliIo } from './types.js';

/** A value that starts like a negative number: HU ranges (-1000:-250) and offsets are often negative. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * node:util parseArgs reads `--threshold -1000:-250` as an option followed by an unknown option `-1000:-250`.
 * No option of ours starts with a digit, so a token that looks like a negative number after an option that
 * takes a value is that option's value: it is joined as `--threshold=-1000:-250` (the `=` form keeps working).
 */
export function joinNegativeValues(args: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let n = 0; n < args.length; n++) {
    const a = args[n];
    if (a === '--') {
      out.push(...args.slice(n));
      break;
    }
    const next = args[n + 1];
    if (takesValue.has(a) && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(a.startsWith('--') ? `${a}=${next}` : `${a}${next}`);
      n++;
    } else {
      out.push(a);
    }
  }
  return out;
}

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${usage}`);
  }
}

/** Opens the catalog; SQLite is loaded here, on first use, so commands that never open it start without it. */
export async function openCatalogDb(dbOption: string | undefined): Promise<Database> {
  const [{ openDatabase }, { resolveDbPath }] = await Promise.all([import('../../db/database.js'), import('../../db/appPaths.js')]);
  return openDatabase(resolveDbPath(dbOption));
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

export { AppError, UsageError, reportError };
