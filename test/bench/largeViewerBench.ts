// Benchmark: opening the generated 512×512×500 CT (test/helpers/largeSeries.ts) in the viewer (`medseg serve`, Debian
// Chromium, software rendering), uncompressed and J2K: time from the click to the first image drawn, to the 31 spread
// slices, to the complete volume, and the frame rate while scrolling during loading and after. Each syntax gets a
// fresh server and catalog (imported first, as a user would).
/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, rpcClient, startServe } from '../helpers/e2eHarness.js';
import { ensureLargeSeries, type LargeSyntax } from '../helpers/largeSeries.js';
import { REPO_DIR } from '../helpers/paths.js';

export interface ViewerFigures {
  firstImageMs: number;
  /** Until the 31 slices spread over the range (middle, quartiles, …) are in the page. */
  spreadMs: number;
  completeMs: number;
  fpsWhileLoading: number;
  stillLoadingAfterScroll: boolean;
  fps: number;
}

/** The first slices the server sends: 1 + 2 + 4 + 8 + 16 spread over the range (shared/domain/progressive). */
const SPREAD_SLICES = 31;

export async function openInChromium(seriesDir: string): Promise<ViewerFigures> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-large-viewer-'));
  const started = await startServe(join(tmp, 'cat.db'));
  const context = await launchChromium(join(tmp, 'profile'), { width: 1400, height: 900 });
  try {
    const seriesId = (await rpcClient(started.url)<{ seriesIds: number[] }>('import.paths', { paths: [seriesDir] })).seriesIds[0];
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(started.url.href);
    await page.waitForSelector(`[data-testid=series-${seriesId}]`);
    // Everything timed in the page against one clock: the click, the first drawn image, the spread slices, the end.
    await page.evaluate(
      ([id, spread]) => {
        const w = window as unknown as Record<string, number>;
        const t0 = performance.now();
        const poll = (): void => {
          const el = document.querySelector<HTMLElement>('[data-testid=view-axial]');
          const viewer = document.querySelector<HTMLElement>('[data-testid=viewer]');
          const bar = document.querySelector<HTMLProgressElement>('[data-testid=volume-progress]');
          const now = performance.now() - t0;
          if (w.benchFirstImageMs === undefined && el?.dataset.renderedImageId) w.benchFirstImageMs = now;
          if (w.benchSpreadMs === undefined && ((bar && bar.value >= spread) || viewer?.dataset.loading === 'false')) w.benchSpreadMs = now;
          if (viewer?.dataset.loading === 'false' && el?.dataset.renderedImageId) w.benchCompleteMs = now;
          else setTimeout(poll, 5);
        };
        document.querySelector<HTMLButtonElement>(`[data-testid=series-${id}]`)!.click();
        poll();
      },
      [seriesId, SPREAD_SLICES] as const,
    );
    await page.waitForFunction(() => (window as unknown as Record<string, number>).benchFirstImageMs !== undefined, null, { timeout: 600_000 });
    // Scrolling right after the first image: the slices are still arriving (progressive loading).
    const scrollFps = (): Promise<number> =>
      page.evaluate(async () => {
        const el = document.querySelector<HTMLElement>('[data-testid=view-axial]')!;
        el.dispatchEvent(new MouseEvent('mouseenter', { bubbles: false }));
        const n = 60;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const rendered = new Promise<void>((r) => el.addEventListener('cornerstoneimagerendered', () => r(), { once: true }));
          window.dispatchEvent(new KeyboardEvent('keydown', { key: i < n / 2 ? 'ArrowUp' : 'ArrowDown' }));
          await rendered;
        }
        return (n / (performance.now() - t0)) * 1000;
      });
    const fpsWhileLoading = await scrollFps();
    const stillLoadingAfterScroll = (await page.getAttribute('[data-testid=viewer]', 'data-loading')) === 'true';
    await page.waitForFunction(() => (window as unknown as Record<string, number>).benchCompleteMs !== undefined, null, { timeout: 600_000 });
    const times = await page.evaluate(() => {
      const w = window as unknown as Record<string, number>;
      return { firstImageMs: w.benchFirstImageMs, spreadMs: w.benchSpreadMs, completeMs: w.benchCompleteMs };
    });
    const fps = await scrollFps();
    return { ...times, fpsWhileLoading, stillLoadingAfterScroll, fps };
  } finally {
    await context.close();
    started.server.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}

const fmt = (x: number, d = 0): string => x.toFixed(d);

export async function runLargeViewerBench(): Promise<void> {
  const series = ensureLargeSeries();
  const [nx, ny, nz] = series.dims;
  console.log(`\n== viewer: open the ${nx}×${ny}×${nz} CT in Chromium (software rendering; shared, contended machine) ==`);
  console.log('syntax | first image ms (goal < 1000) | 31 spread slices ms | complete volume ms | scrolling while loading fps | after fps');
  const figures: Partial<Record<LargeSyntax, ViewerFigures>> = {};
  for (const syntax of ['raw', 'j2k'] as const) {
    const v = await openInChromium(series.dirs[syntax]);
    figures[syntax] = v;
    console.log(
      [
        syntax === 'raw' ? 'uncompressed' : 'J2K lossless',
        `${fmt(v.firstImageMs)} (${v.firstImageMs < 1000 ? 'met' : 'NOT met'})`,
        fmt(v.spreadMs),
        fmt(v.completeMs),
        `${fmt(v.fpsWhileLoading, 1)}${v.stillLoadingAfterScroll ? '' : ' (loading ended during the scroll)'}`,
        fmt(v.fps, 1),
      ].join(' | '),
    );
  }
  const dir = join(REPO_DIR, 'test-output', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'largeViewer.json'), JSON.stringify({ dims: series.dims, ...figures }, null, 2));
}
