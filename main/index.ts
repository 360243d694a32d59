// Electron entry (`npm start`): hands the real electron module to the testable shell in electron/app.ts.
import * as electron from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from './db/database.js';
import { resolveDbPath } from './db/appPaths.js';
import { startElectronApp, type ElectronLike } from './electron/app.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/main

// The real module is a superset of ElectronLike; its overloaded event methods defeat structural assignment.
startElectronApp(electron as unknown as ElectronLike, {
  openDb: () => openDatabase(resolveDbPath(undefined)),
  preloadPath: path.join(here, 'preload.cjs'),
  rendererDir: path.resolve(here, '../../dist-renderer'),
}).catch((err: unknown) => {
  console.error('medseg failed to start:', err);
  electron.app.quit();
});
