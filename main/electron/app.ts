// The Electron shell's wiring, written against a minimal stand-in of the electron module so it can be unit-tested:
// privileged schemes, hardened session, the two protocols, IPC, one secure window, dialogs for pickers.
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { createServiceTable } from '../methods/index.js';
import { registerIpc, type IpcMainLike } from './ipc.js';
import { appProtocolResponse, dataProtocolResponse } from './protocols.js';
import {
  APP_ORIGIN,
  APP_SCHEME,
  DATA_SCHEME,
  EVENT_CHANNEL,
  hardenSession,
  installNavigationGuards,
  mainWindowOptions,
  type GuardedContents,
  type GuardedSession,
  type MainWindowOptions,
} from './security.js';
import type { EventName, EventPayload } from '../../shared/ipc/contract.js';

export interface WindowLike {
  webContents: GuardedContents & { send(channel: string, ...args: unknown[]): void };
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
}

interface SchemePrivileges {
  standard: boolean;
  secure: boolean;
  supportFetchAPI: boolean;
  corsEnabled: boolean;
  stream?: boolean;
}

/** The slice of the electron module the shell uses. */
export interface ElectronLike {
  app: {
    whenReady(): Promise<unknown>;
    on(event: 'window-all-closed', listener: () => void): unknown;
    on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
    quit(): void;
    getVersion(): string;
  };
  BrowserWindow: new (options: MainWindowOptions) => WindowLike;
  protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: SchemePrivileges }[]): void;
    handle(scheme: string, handler: (request: Request) => Promise<Response>): void;
  };
  ipcMain: IpcMainLike;
  dialog: {
    showOpenDialog(
      window: WindowLike,
      options: { properties: ('openFile' | 'openDirectory' | 'multiSelections')[] },
    ): Promise<{ canceled: boolean; filePaths: string[] }>;
  };
  session: { defaultSession: GuardedSession };
}

export interface ShellOptions {
  openDb(): Database;
  /** Absolute path of the compiled CommonJS preload (dist/main/preload.cjs). */
  preloadPath: string;
  /** The built renderer folder (dist-renderer). */
  rendererDir: string;
}

/** Must run before app 'ready': custom schemes get their privileges only then. */
export function registerSchemes(electron: ElectronLike): void {
  electron.protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false } },
    { scheme: DATA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } },
  ]);
}

export async function startElectronApp(electron: ElectronLike, opts: ShellOptions): Promise<WindowLike> {
  registerSchemes(electron);
  await electron.app.whenReady();
  hardenSession(electron.session.defaultSession);

  const windows: WindowLike[] = [];
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    for (const w of windows) w.webContents.send(EVENT_CHANNEL, event, payload);
  };
  const db = opts.openDb();
  const table = createServiceTable({
    db,
    mode: 'electron',
    appVersion: electron.app.getVersion(),
    pickPaths: async (kind) => {
      const owner = windows[0];
      if (!owner) return [];
      const r = await electron.dialog.showOpenDialog(owner, {
        properties: kind === 'folder' ? ['openDirectory', 'multiSelections'] : ['openFile', 'multiSelections'],
      });
      return r.canceled ? [] : r.filePaths;
    },
  });
  electron.protocol.handle(APP_SCHEME, (request) => appProtocolResponse(request, opts.rendererDir));
  electron.protocol.handle(DATA_SCHEME, (request) => dataProtocolResponse(request, table));
  registerIpc(electron.ipcMain, table, emit);

  const win = new electron.BrowserWindow(mainWindowOptions(path.resolve(opts.preloadPath)));
  windows.push(win);
  installNavigationGuards(win.webContents);
  win.once('ready-to-show', () => win.show());
  electron.app.on('window-all-closed', () => electron.app.quit());
  // Quit waits for the service table to close (model jobs cancelled, edit snapshots stored, DB closed), then quits
  // for real; the second 'before-quit' finds it closed and lets it through.
  let closed = false;
  let closing = false;
  electron.app.on('before-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    if (closing) return;
    closing = true;
    table
      .close()
      .catch((err: unknown) => console.error('medseg: closing the database failed:', err))
      .finally(() => {
        closed = true;
        electron.app.quit();
      });
  });
  await win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}
