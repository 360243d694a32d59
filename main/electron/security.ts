// Electron hardening that can be unit-tested without Electron: window options, navigation guards, session rules,
// and the trusted-sender check every IPC call passes before its payload is looked at.
import path from 'node:path';
import { DATA_SCHEME } from '../adapters/web.js';

/** The renderer is served from this origin (custom protocol, never http/file). */
export const APP_SCHEME = 'medseg-app';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
/** Voxel and label-map bytes: `medseg-data://local/data/<kind>/<id>`. */
export { DATA_SCHEME };
export const DATA_ORIGIN = `${DATA_SCHEME}://local`;
export const INVOKE_CHANNEL = 'medseg:invoke';
export const EVENT_CHANNEL = 'medseg:event';

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  navigateOnDragDrop: false;
  spellcheck: false;
}

export interface MainWindowOptions {
  width: number;
  height: number;
  show: boolean;
  backgroundColor: string;
  title: string;
  webPreferences: SecureWebPreferences;
}

export function mainWindowOptions(preloadPath: string): MainWindowOptions {
  if (!path.isAbsolute(preloadPath)) throw new Error('preload path must be absolute');
  return {
    width: 1600,
    height: 950,
    show: false,
    backgroundColor: '#111111',
    title: 'medseg',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      // A dropped file must not replace the app page; drops are handled by the page as paths.
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

interface PreventableEvent {
  preventDefault(): void;
}

/** The part of WebContents the guards touch. */
export interface GuardedContents {
  on(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', listener: (event: PreventableEvent, ...args: unknown[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** The page is a single-page app: it never navigates, never opens windows, never embeds webviews. */
export function installNavigationGuards(contents: GuardedContents): void {
  const block = (event: PreventableEvent): void => event.preventDefault();
  contents.on('will-navigate', block);
  contents.on('will-redirect', block);
  contents.on('will-attach-webview', block);
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** The part of Session the rules touch. */
export interface GuardedSession {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  webRequest: {
    onBeforeRequest(filter: { urls: string[] }, listener: (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void): void;
  };
}

/** No permission is ever granted and no request leaves the machine: only our two protocols load. */
export function hardenSession(session: GuardedSession): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  // Only patterns Chromium's match-pattern parser surely accepts: an invalid one throws at start-up.
  session.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (_details, callback) => callback({ cancel: true }));
}

/** IPC is accepted only from the app's own top-level frame. */
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined): boolean {
  if (!frame || frame.parent) return false;
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return false;
  }
  return `${url.protocol}//${url.host}` === APP_ORIGIN;
}
