// Benchmark: the viewer in Debian Chromium against `medseg serve` — frames per second over 200 axial slice changes
// on the 512×512 example_ct_dicom series, and time from "open series" to the first rendered image (cold and warm).
/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, startServe } from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';

const REPO = REPO_DIR;
const SERIES_DIR = resolve(REPO, '../shared/data/totalsegmentator_example/example_ct_dicom');
const CHANGES = 200;

/** Click the series and wait for the axial view's first render; milliseconds measured inside the page. */
async function openSeriesMs(page: Page): Promise<number> {
  await page.waitForSelector('[data-testid=series-1]');
  return page.evaluate(
    () =>
      new Promise<number>((resolveMs) => {
        const t0 = performance.now();
        const poll = (): void => {
          const el = document.querySelector<HTMLElement>('[data-testid=view-axial]');
          if (el?.dataset.renderedImageId) resolveMs(performance.now() - t0);
          else requestAnimationFrame(poll);
        };
        document.querySelector<HTMLButtonElement>('[data-testid=series-1]')!.click();
        poll();
      }),
  );
}

/** Scroll the axial view back and forth `changes` times; each change waits for cornerstone's render event. */
async function scrollFps(page: Page, changes: number): Promise<{ fps: number; medianMs: number; p95Ms: number }> {
  return page.evaluate(async (n) => {
    const el = document.querySelector<HTMLElement>('[data-testid=view-axial]')!;
    el.dispatchEvent(new MouseEvent('mouseenter', { bubbles: false }));
    const slices = Number(/\/(\d+)/.exec(document.querySelector('[data-testid=slice-axial]')!.textContent ?? '')![1]);
    let slice = Number(el.dataset.slice);
    let dir = 1;
    const times: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (slice + dir < 0 || slice + dir >= slices) dir = -dir;
      slice += dir;
      const want = `:axial:${slice}`;
      const t = performance.now();
      const rendered = new Promise<void>((r) => {
        const on = (e: Event): void => {
          const id = (e as CustomEvent<{ image: { imageId: string } }>).detail.image.imageId;
          if (id.endsWith(want)) {
            el.removeEventListener('cornerstoneimagerendered', on);
            r();
          }
        };
        el.addEventListener('cornerstoneimagerendered', on);
      });
      window.dispatchEvent(new KeyboardEvent('keydown', { key: dir > 0 ? 'ArrowUp' : 'ArrowDown' }));
      await rendered;
      times.push(performance.now() - t);
    }
    const total = performance.now() - t0;
    times.sort((a, b) => a - b);
    return { fps: (n / total) * 1000, medianMs: times[Math.floor(n / 2)], p95Ms: times[Math.floor(n * 0.95)] };
  }, changes);
}

export async function runViewerBench(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-viewer-'));
  const started = await startServe(join(tmp, 'cat.db'));
  const serve = { url: started.url, stop: () => started.server.kill('SIGTERM') };
  const context = await launchChromium(join(tmp, 'profile'), { width: 1600, height: 900 });
  try {
    const token = serve.url.searchParams.get('token')!;
    const base = `http://127.0.0.1:${serve.url.port}`;
    const imported = await fetch(`${base}/rpc/import.paths`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify({ paths: [SERIES_DIR] }),
    });
    if (!imported.ok) throw new Error(`import failed: HTTP ${imported.status}`);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(serve.url.href);
    const coldMs = await openSeriesMs(page); // server decodes the J2K series on this first request
    await page.goto(`${base}/`); // token kept in sessionStorage for this tab
    const warmMs = await openSeriesMs(page); // server volume cache warm, page fresh
    const scroll = await scrollFps(page, CHANGES);
    const figures = {
      changes: CHANGES,
      fps: scroll.fps,
      medianMsPerChange: scroll.medianMs,
      p95MsPerChange: scroll.p95Ms,
      openToFirstImageColdMs: coldMs,
      openToFirstImageWarmMs: warmMs,
    };
    console.log(
      `viewer: ${CHANGES} axial slice changes (512×512) at ${scroll.fps.toFixed(1)} fps (median ${scroll.medianMs.toFixed(1)} ms, p95 ${scroll.p95Ms.toFixed(1)} ms per change); ` +
        `open series -> first image ${coldMs.toFixed(0)} ms cold (server decodes 20 J2K slices), ${warmMs.toFixed(0)} ms warm`,
    );
    const out = join(REPO, 'test-output', 'bench');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'viewer.json'), JSON.stringify(figures, null, 2));
  } finally {
    await context.close();
    serve.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
