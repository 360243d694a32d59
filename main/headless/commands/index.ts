// Every CLI subcommand, one line each; areas add theirs here.
import type { CliCommand } from './types.js';
import { command as importCommand } from './import.js';
import { command as infoCommand } from './info.js';
import { command as convertCommand } from './convert.js';
import { command as serveCommand } from './serve.js';

export const COMMANDS: CliCommand[] = [
  importCommand,
  infoCommand,
  convertCommand,
  serveCommand,
];
