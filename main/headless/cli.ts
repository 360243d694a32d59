// The `medseg` command line: dispatches to subcommands that call the same services as the app. Only the command
// that runs is loaded (see commands/index.ts): keep this file's imports light.
import { AppError } from '../../shared/errors.js';
import { COMMANDS } from './commands/index.js';
import { EXIT_USAGE, UsageError, reportError, type CliIo } from './commands/types.js';

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'medseg — offline medical imaging workstation',
    '',
    'usage: medseg <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Database: --db FILE, else $MEDSEG_DB, else the app-data folder (e.g. ~/.config/medseg/medseg.db).',
    "Run 'medseg <command> --help' for a command's options.",
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(helpText() + '\n');
    return name ? 0 : EXIT_USAGE;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`medseg: unknown command '${name}'\n\n${helpText()}\n`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`usage: ${command.usage}\n${entry.summary}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`medseg ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    reportError(io, err, rest.includes('--json'));
    return err instanceof AppError && err.code === 'INVALID_INPUT' ? EXIT_USAGE : 1;
  }
}

function defaultIo(): CliIo {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stderrIsTty: Boolean(process.stderr.isTTY),
  };
}
