// The Electron shell's wiring with a stand-in electron module (no Electron binary here): secure window options,
// navigation guards, session rules, the IPC sender check, and the two custom protocols.
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startElectronApp, type ElectronLike, type WindowLike } from '../../../main/electron/app.js';
import { APP_ORIGIN, EVENT_CHANNEL, INVOKE_CHANNEL, isTrustedSender, mainWindowOptions, type MainWindowOptions } from '../../../main/electron/security.js';
import { openDatabase, type Database } from '../../../main/db/database.js';
import type { InvokeEventLike } from '../../../main/electron/ipc.js';
import type { RpcReply } from '../../../shared/ipc/contract.js';

type Listener = (event: { preventDefault(): void }, ...args: unknown[]) => void;

function standIn() {
  const calls: string[] = [];
  const listeners = new Map<string, Listener>();
  let openHandler: ((d: { url: string }) => { action: string }) | null = null;
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  const protocolHandlers = new Map<string, (r: Request) => Promise<Response>>();
  let permissionHandler: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
  let requestFilter: { urls: string[] } | null = null;
  let windowOptions: MainWindowOptions | null = null;
  const sent: unknown[][] = [];
  class FakeWindow implements WindowLike {
    webContents = {
      on: (event: string, l: Listener) => {
        listeners.set(event, l);
        return this.webContents;
      },
      setWindowOpenHandler: (h: (d: { url: string }) => { action: 'deny' }) => {
        openHandler = h;
      },
      send: (...args: unknown[]) => void sent.push(args),
    };
    constructor(options: MainWindowOptions) {
      windowOptions = options;
      calls.push('new BrowserWindow');
    }
    loadURL = async (url: string) => void calls.push(`loadURL ${url}`);
    once = () => this;
    show = () => undefined;
  }
  const appListeners = new Map<string, ((event: { preventDefault(): void }) => void)[]>();
  const electron: ElectronLike = {
    app: {
      whenReady: async () => void calls.push('whenReady'),
      on: (event: string, l: (event: { preventDefault(): void }) => void) => void appListeners.set(event, [...(appListeners.get(event) ?? []), l]),
      // As Electron does: quit() emits 'before-quit', and quits only when no listener prevented it.
      quit: () => {
        let prevented = false;
        for (const l of appListeners.get('before-quit') ?? []) l({ preventDefault: () => void (prevented = true) });
        calls.push(prevented ? 'quit prevented' : 'quit');
      },
      getVersion: () => '9.9.9',
    },
    BrowserWindow: FakeWindow,
    protocol: {
      registerSchemesAsPrivileged: (schemes) => void calls.push(`privileged ${schemes.map((s) => `${s.scheme}:${s.privileges.secure}`).join(',')}`),
      handle: (scheme, h) => void protocolHandlers.set(scheme, h),
    },
    ipcMain: { handle: (channel, l) => void handlers.set(channel, l) },
    dialog: { showOpenDialog: async () => ({ canceled: false, filePaths: ['/picked'] }) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h) => void (permissionHandler = h),
        webRequest: { onBeforeRequest: (f) => void (requestFilter = f) },
      },
    },
  };
  return {
    electron,
    appListeners,
    calls,
    listeners,
    handlers,
    protocolHandlers,
    sent,
    get openHandler() {
      return openHandler;
    },
    get permissionHandler() {
      return permissionHandler;
    },
    get requestFilter() {
      return requestFilter;
    },
    get windowOptions() {
      return windowOptions;
    },
  };
}

async function started() {
  const dir = mkdtempSync(path.join(tmpdir(), 'medseg-electron-'));
  const rendererDir = path.join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>medseg</title>');
  writeFileSync(path.join(dir, 'secret.txt'), 'not for the page');
  const s = standIn();
  const opened: Database[] = [];
  const openDb = (): Database => {
    const db = openDatabase(path.join(dir, 'cat.db'));
    opened.push(db);
    return db;
  };
  await startElectronApp(s.electron, { openDb, preloadPath: path.join(dir, 'preload.cjs'), rendererDir });
  return { ...s, db: () => opened[0], dir };
}

const appFrame = { senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: null } };

describe('Electron shell (stand-in electron module)', () => {
  it('creates one window with isolation, sandbox, no node integration, and loads the app protocol', async () => {
    const s = await started();
    const wp = s.windowOptions!.webPreferences;
    expect(wp).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
    });
    expect(path.isAbsolute(wp.preload)).toBe(true);
    expect(s.calls[0]).toBe('privileged medseg-app:true,medseg-data:true'); // before ready, as Electron requires
    expect(s.calls.indexOf('whenReady')).toBeGreaterThan(0);
    expect(s.calls.at(-1)).toBe(`loadURL ${APP_ORIGIN}/index.html`);
    expect(() => mainWindowOptions('relative/preload.cjs')).toThrow();
  });

  it('blocks navigation, redirects, webviews and new windows; denies permissions; cancels every remote request', async () => {
    const s = await started();
    for (const ev of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const preventDefault = vi.fn();
      s.listeners.get(ev)!({ preventDefault }, 'https://example.com/');
      expect(preventDefault, ev).toHaveBeenCalled();
    }
    expect(s.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    const granted = vi.fn();
    s.permissionHandler!(null, 'media', granted);
    expect(granted).toHaveBeenCalledWith(false);
    expect(s.requestFilter!.urls).toEqual(expect.arrayContaining(['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']));
  });

  it('answers IPC only from the app top frame, checks method and input before any service', async () => {
    const s = await started();
    const invoke = s.handlers.get(INVOKE_CHANNEL)!;
    expect(await invoke(appFrame, 'app.info', {})).toEqual({ ok: true, result: { name: 'medseg', version: '9.9.9', mode: 'electron', canPickPaths: true } });
    const refused = (r: unknown): string => ((r as RpcReply<unknown>).ok ? 'ok' : (r as { error: { code: string } }).error.code);
    expect(refused(await invoke({ senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: {} } }, 'app.info', {}))).toBe('UNAUTHORIZED');
    expect(refused(await invoke({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'app.info', {}))).toBe('UNAUTHORIZED');
    expect(refused(await invoke({ senderFrame: { url: 'file:///etc/passwd', parent: null } }, 'app.info', {}))).toBe('UNAUTHORIZED');
    expect(refused(await invoke({ senderFrame: null }, 'app.info', {}))).toBe('UNAUTHORIZED');
    expect(refused(await invoke(appFrame, 'shell.exec', {}))).toBe('NOT_FOUND');
    expect(refused(await invoke(appFrame, 42, {}))).toBe('INVALID_INPUT');
    expect(refused(await invoke(appFrame, 'import.paths', { paths: ['relative/path'] }))).toBe('INVALID_INPUT');
    expect(refused(await invoke(appFrame, 'import.paths', { paths: ['/definitely/not/here'] }))).toBe('NOT_FOUND');
    expect(refused(await invoke(appFrame, 'volume.info', { seriesId: -1 }))).toBe('INVALID_INPUT');
    expect(await invoke(appFrame, 'dialog.pickPaths', { kind: 'folder' })).toEqual({ ok: true, result: { paths: ['/picked'] } });
    expect(isTrustedSender({ url: 'medseg-app://app.evil/index.html', parent: null })).toBe(false);
  });

  it('serves the renderer with a CSP and nothing outside its folder; voxel data only by id', async () => {
    const s = await started();
    const app = s.protocolHandlers.get('medseg-app')!;
    const page = await app(new Request(`${APP_ORIGIN}/index.html`));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await app(new Request(`${APP_ORIGIN}/../secret.txt`))).status).toBe(404);
    expect((await app(new Request(`${APP_ORIGIN}/%2e%2e/secret.txt`))).status).toBe(404);
    const data = s.protocolHandlers.get('medseg-data')!;
    expect((await data(new Request('medseg-data://local/data/volume/1'))).status).toBe(404); // empty catalog
    expect((await data(new Request('medseg-data://local/etc/passwd'))).status).toBe(404);
    expect(s.sent).toEqual([]);
    expect(EVENT_CHANNEL).toBe('medseg:event');
  });

  it('on quit closes the service table (DB closed) before the app really quits; IPC after that is refused', async () => {
    const s = await started();
    const invoke = s.handlers.get(INVOKE_CHANNEL)!;
    expect(s.db().open).toBe(true);
    for (const l of s.appListeners.get('window-all-closed') ?? []) l({ preventDefault: () => undefined });
    expect(s.calls.at(-1)).toBe('quit prevented'); // held back while the table closes
    const t0 = Date.now();
    while (s.calls.at(-1) !== 'quit' && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    expect(s.calls.slice(-2)).toEqual(['quit prevented', 'quit']);
    expect(s.db().open).toBe(false);
    const after = (await invoke(appFrame, 'app.info', {})) as RpcReply<unknown>;
    expect(after.ok ? 'ok' : after.error.code).toBe('CANCELLED');
  });
});
