// The shape of one CLI subcommand (each area adds its own file under main/headless/commands/ and a line in
// index.ts), and the light pieces the dispatcher needs before any command is loaded.
import { toErrorData } from '../../../shared/errors.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** True when stderr is an interactive terminal (progress bars are drawn only then). */
  stderrIsTty?: boolean;
}

export interface CliCommand {
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Exit codes: 0 ran, 1 ran but found nothing usable / failed, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A wrong command line: printed with the usage, exit status 2. */
export class UsageError extends Error {}

/** Prints an error the way every command does: JSON when --json, else one readable line. */
export function reportError(io: CliIo, err: unknown, json: boolean): void {
  const data = toErrorData(err);
  if (json) io.stdout(JSON.stringify({ error: data }) + '\n');
  io.stderr(`medseg: ${data.code}: ${data.message}\n`);
}
