// `medseg serve [--port N] [--db F]`: the workstation UI and its method table over HTTP on 127.0.0.1, token-gated.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHttpServer } from '../http.js';
import { createServiceTable } from '../../methods/index.js';
import { openCatalogDb, parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage = 'medseg serve [--port N] [--db FILE] [--renderer DIR]';

/** Repository (or installed package) root: this file is dist/main/headless/commands/serve.js once built. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { port: { type: 'string' }, db: { type: 'string' }, renderer: { type: 'string' } }, usage);
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535\nusage: ${usage}`);
    const root = packageRoot();
    const rendererDir = values.renderer ? path.resolve(values.renderer) : path.join(root, 'dist-renderer');
    if (!existsSync(path.join(rendererDir, 'index.html'))) {
      io.stderr(`medseg: warning: no renderer bundle in ${rendererDir} (run npm run build); serving the API only\n`);
    }
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const table = createServiceTable({ db: await openCatalogDb(values.db), mode: 'http', appVersion: version });
    let server;
    try {
      server = await startHttpServer({ table, port, rendererDir });
    } catch (err) {
      await table.close(); // e.g. the port is taken: the database still closes cleanly
      throw err;
    }
    io.stdout(`medseg listening on ${server.url}\n`);
    // Run until SIGINT/SIGTERM, then stop taking requests, cancel model jobs, store edit snapshots, close the DB.
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const stop = (sig: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(sig);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    io.stderr(`medseg: ${signal}: shutting down\n`);
    await server.close();
    await table.close();
    io.stderr('medseg: closed cleanly\n');
    return EXIT_OK;
  },
};
