// The shape of one CLI subcommand; each area adds its own file under main/headless/commands/.
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** True when stderr is an interactive terminal (progress bars are drawn only then). */
  stderrIsTty?: boolean;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Exit codes: 0 ran, 1 ran but found nothing usable / failed, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
