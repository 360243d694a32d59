// Every CLI subcommand, one line each; areas add theirs here.
import type { CliCommand } from './types.js';
import { command as importCommand } from './import.js';
import { command as infoCommand } from './info.js';
import { command as convertCommand } from './convert.js';
import { command as measureCommand } from './measure.js';
import { command as compareCommand } from './compare.js';
import { command as segmentCommand } from './segment.js';
import { command as modelsCommand } from './models.js';
import { command as serveCommand } from './serve.js';

export const COMMANDS: CliCommand[] = [
  importCommand,
  infoCommand,
  convertCommand,
  measureCommand,
  compareCommand,
  segmentCommand,
  modelsCommand,
  serveCommand,
];
