// Shared set-up of the browser tests: start `medseg serve` on a fresh DB, launch Debian Chromium headless.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const repo = path.resolve(import.meta.dirname, '../..');

/** The flags this machine needs (no sandbox as root, no GPU, no background network traffic). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

/** Generous: CI machines run several suites at once. */
export const POLL_MS = 15_000;

/** Starts `medseg serve` and resolves once it prints its one `medseg listening on URL` line. */
export function startServe(dbFile: string): Promise<{ server: ChildProcess; url: URL }> {
  const server = spawn(process.execPath, [path.join(repo, 'bin/medseg.js'), 'serve', '--db', dbFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    server.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const line = text.split('\n').find((l) => l.startsWith('medseg listening on '));
      if (line) resolve({ server, url: new URL(line.slice('medseg listening on '.length)) });
    });
    server.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    server.once('exit', (code) => reject(new Error(`medseg serve exited with ${code}: ${text}`)));
  });
}

/** Chromium with a fresh profile folder. */
export function launchChromium(profileDir: string, viewport: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, viewport });
}
