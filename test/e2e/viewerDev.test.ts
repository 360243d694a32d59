// React StrictMode (development) mounts effects twice; cornerstone state must survive that. The same series with its
// label map, opened from the Vite dev server and from the built bundle, must draw identical pixels in all views.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, rpcClient, startServe } from '../helpers/e2eHarness.js';
import { createServer, type ViteDevServer } from 'vite';
import { REPO_DIR } from '../helpers/paths.js';

const repo = REPO_DIR;
const DATA = path.resolve(repo, '../shared/data/totalsegmentator_example');

let tmp: string;
let server: ChildProcess;
let vite: ViteDevServer;
let context: BrowserContext;
let apiUrl: URL;

let rpc: <T>(method: string, input: unknown) => Promise<T>;

/** Opens the series in a fresh page and returns a checksum per view once the drawing has stopped changing. */
async function viewChecksums(url: string): Promise<number[]> {
  const page: Page = await context.newPage();
  try {
    await page.goto(url);
    await page.click('[data-testid=series-1]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=legend-1] >> text=liver', { timeout: 60_000 });
    for (const plane of ['axial', 'coronal', 'sagittal']) {
      await page.waitForFunction((p) => document.querySelector<HTMLElement>(`[data-testid=view-${p}]`)?.dataset.renderedImageId, plane, { timeout: 60_000 });
      // the label map's overlay is drawn in this view (it arrives after the image; on a busy machine much later)
      await page.waitForFunction((p) => document.querySelector<HTMLElement>(`[data-testid=view-${p}]`)?.dataset.renderedSegmentations === '1', plane, {
        timeout: 60_000,
      });
    }
    const sums = (): Promise<number[]> =>
      page.evaluate(() =>
        ['axial', 'coronal', 'sagittal'].map((p) => {
          const c = document.querySelector<HTMLCanvasElement>(`[data-testid=view-${p}] canvas`)!;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let h = 0;
          for (let n = 0; n < d.length; n += 4) h = (h * 31 + d[n] + 7 * d[n + 1] + 13 * d[n + 2]) | 0;
          return h;
        }),
      );
    let last = await sums();
    for (let n = 0; n < 20; n++) {
      await page.waitForTimeout(150);
      const now = await sums();
      if (now.every((v, i) => v === last[i])) return now;
      last = now;
    }
    return last;
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-e2e-dev-'));
  ({ server, url: apiUrl } = await startServe(path.join(tmp, 'cat.db')));
  rpc = rpcClient(apiUrl);
  await rpc('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] });
  await rpc('segmentations.addFromNifti', {
    seriesId: 1,
    path: path.join(DATA, 'example_seg_dicom.nii.gz'),
    labelTablePath: path.join(DATA, 'labels_total.csv'),
  });
  process.env.MEDSEG_API = `http://127.0.0.1:${apiUrl.port}`;
  vite = await createServer({ configFile: path.join(repo, 'renderer/vite.config.ts'), server: { port: 0, strictPort: false }, logLevel: 'error' });
  await vite.listen();
  context = await launchChromium(path.join(tmp, 'profile'), { width: 1400, height: 700 });
});

afterAll(async () => {
  await context?.close();
  await vite?.close();
  server?.kill('SIGTERM');
  delete process.env.MEDSEG_API;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('viewer in development mode (StrictMode) vs the built bundle', () => {
  it('draws the same pixels in all three views, overlay included', async () => {
    const token = apiUrl.searchParams.get('token')!;
    const built = await viewChecksums(apiUrl.href);
    const devBase = vite.resolvedUrls!.local[0];
    const dev = await viewChecksums(`${devBase}?token=${token}`);
    expect(new Set(built).size).toBe(3); // three different, non-empty views
    expect(dev).toEqual(built);
  });
});
