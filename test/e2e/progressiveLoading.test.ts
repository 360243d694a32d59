// Progressive opening end to end (`medseg serve` on a fresh DB, Debian Chromium): a generated 256×256×160 CT opens to
// its first image before the volume is complete; while slices arrive and after, every axial slice on screen shows
// pydicom's values of that very slice (or is blank while loading, never another slice's pixels), coronal rows are
// each either their slice's row or blank, and the complete volume in the page equals pydicom's and the server's
// non-progressive volume voxel for voxel. Times printed; screenshots in test-output/progressive-loading/.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { POLL_MS, launchChromium, recordProgressBar, rpcClient, startServe, type Plane } from '../helpers/e2eHarness.js';
import { ensureLargeSeries, pydicomHuReference, type LargeSeries } from '../helpers/largeSeries.js';
import { REPO_DIR } from '../helpers/paths.js';

const OUT = path.join(REPO_DIR, 'test-output', 'progressive-loading');

let tmp: string;
let server: ChildProcess;
let serverUrl: URL;
let context: BrowserContext;
let page: Page;
let series: LargeSeries;
let seriesId: number;
/** pydicom: HU, i fastest, slices sorted by z; and the files' orientation. */
let ref: { hu: Int16Array; iop: number[] };

/** FNV-1a over little-endian bytes, as the page's medsegVolumeDigest computes it. */
function digestOf(bytes: Uint8Array, voxels: number): string {
  let h = 0x811c9dc5;
  for (let n = 0; n < bytes.length; n++) h = Math.imul(h ^ bytes[n], 0x01000193);
  return `${voxels}:${(h >>> 0).toString(16)}`;
}

/** cornerstone's linear VOI LUT, clamped to 8 bits. */
function greyFor(hu: number, width: number, centre: number): number {
  return Math.round(Math.min(255, Math.max(0, ((hu - centre) / width + 0.5) * 255)));
}

interface Shot {
  width: number;
  height: number;
  /** R, G, B of each pixel (alpha left out), row by row. */
  rgb: Uint8Array;
  imageId: string;
  complete: boolean;
  loading: boolean;
  ww: number;
  wc: number;
}

/** One view's canvas with what the page says it drew, read in one go (nothing can change in between). */
async function shotOf(plane: Plane): Promise<Shot> {
  const raw = await page.evaluate((p) => {
    const el = document.querySelector<HTMLElement>(`[data-testid=view-${p}]`)!;
    const c = el.querySelector('canvas')!;
    const viewer = document.querySelector<HTMLElement>('[data-testid=viewer]')!;
    return {
      width: c.width,
      height: c.height,
      // base64 of R, G, B: a plain number array of a 2 MB canvas would be slow to hand over
      rgb: (() => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const rgb = new Uint8Array((d.length / 4) * 3);
        for (let n = 0, m = 0; n < d.length; n += 4, m += 3) ((rgb[m] = d[n]), (rgb[m + 1] = d[n + 1]), (rgb[m + 2] = d[n + 2]));
        let bin = '';
        for (let n = 0; n < rgb.length; n += 0x8000) bin += String.fromCharCode(...rgb.subarray(n, n + 0x8000));
        return btoa(bin);
      })(),
      imageId: el.dataset.renderedImageId ?? '',
      complete: el.dataset.renderedComplete === 'true',
      loading: viewer.dataset.loading === 'true',
      ww: Number(viewer.dataset.ww),
      wc: Number(viewer.dataset.wc),
    };
  }, plane);
  return { ...raw, rgb: new Uint8Array(Buffer.from(raw.rgb, 'base64')) };
}

/**
 * Canvas pixels whose voxel is unambiguous (centre within 0.3 voxel of a voxel centre), with that voxel's (column,
 * row) in the view: the image fit to the canvas with equal mm per pixel, centred (no zoom, no pan). Axial: column = i,
 * row = j. Coronal: column = i, row = k counted from the top (superior, the highest k). Only grey pixels count (the
 * crosshair is hidden; the scale bar's bottom strip is left out).
 */
function voxelsOnCanvas(shot: Shot, plane: Plane, step: number, rowStep = step): { x: number; y: number; a: number; b: number; grey: number }[] {
  const [nx, ny, nz] = series.dims;
  const s = series.spacingMm;
  const cols = nx;
  const rows = plane === 'axial' ? ny : nz;
  const pxPerVoxel = Math.min(shot.width / (cols * s), shot.height / (rows * s)) * s;
  const left = (shot.width - cols * pxPerVoxel) / 2;
  const top = (shot.height - rows * pxPerVoxel) / 2;
  const out: { x: number; y: number; a: number; b: number; grey: number }[] = [];
  for (let y = 0; y < shot.height * 0.85; y += rowStep)
    for (let x = 0; x < shot.width; x += step) {
      const u = (x + 0.5 - left) / pxPerVoxel - 0.5;
      const v = (y + 0.5 - top) / pxPerVoxel - 0.5;
      const a = Math.round(u);
      const b = Math.round(v);
      if (Math.abs(u - a) > 0.3 || Math.abs(v - b) > 0.3 || a < 0 || b < 0 || a >= cols || b >= rows) continue;
      const o = 3 * (y * shot.width + x);
      const [r, g, bl] = [shot.rgb[o], shot.rgb[o + 1], shot.rgb[o + 2]];
      if (r !== g || g !== bl) continue;
      out.push({ x, y, a, b: plane === 'axial' ? b : rows - 1 - b, grey: r });
    }
  return out;
}

const sliceLen = (): number => series.dims[0] * series.dims[1];
const huAt = (i: number, j: number, k: number): number => ref.hu[i + series.dims[0] * (j + series.dims[1] * k)];

/** Mean |grey − expected| over the sampled pixels if the axial view showed slice k. */
function axialError(pixels: ReturnType<typeof voxelsOnCanvas>, k: number, shot: Shot): number {
  let sum = 0;
  for (const p of pixels) sum += Math.abs(p.grey - greyFor(huAt(p.a, p.b, k), shot.ww, shot.wc));
  return sum / pixels.length;
}

/** The axial view shows slice k exactly (complete), or only blank (still loading): never another slice. */
function checkAxial(shot: Shot, k: number): 'slice' | 'blank' {
  expect(shot.imageId.split(':').slice(0, 4).join(':'), shot.imageId).toBe(`medseg:${seriesId}:axial:${k}`);
  const pixels = voxelsOnCanvas(shot, 'axial', 3);
  expect(pixels.length).toBeGreaterThan(1000);
  if (!shot.complete) {
    expect(shot.loading).toBe(true);
    expect(Math.max(...pixels.map((p) => p.grey)), `slice ${k} not yet received must be blank`).toBe(0);
    return 'blank';
  }
  const own = axialError(pixels, k, shot);
  expect(own, `slice ${k}`).toBeLessThan(0.6);
  for (const other of [k - 3, k - 1, k + 1, k + 3].filter((o) => o >= 0 && o < series.dims[2])) {
    expect(axialError(pixels, other, shot), `slice ${k} vs ${other}`).toBeGreaterThan(own + 1);
  }
  return 'slice';
}

/** Coronal (row j through the centre): each slice's row is that slice's values or blank, and at least one is data. */
function checkCoronal(shot: Shot, j: number): { dataRows: number; blankRows: number } {
  const byK = new Map<number, { err: number; max: number; n: number }>();
  for (const p of voxelsOnCanvas(shot, 'coronal', 3, 1)) {
    const e = byK.get(p.b) ?? { err: 0, max: 0, n: 0 };
    e.err += Math.abs(p.grey - greyFor(huAt(p.a, j, p.b), shot.ww, shot.wc));
    e.max = Math.max(e.max, p.grey);
    e.n++;
    byK.set(p.b, e);
  }
  let dataRows = 0;
  let blankRows = 0;
  for (const [k, e] of byK) {
    if (e.max === 0 && shot.loading) blankRows++;
    else {
      expect(e.err / e.n, `coronal row of slice ${k}`).toBeLessThan(0.6);
      dataRows++;
    }
  }
  expect(dataRows).toBeGreaterThan(0);
  return { dataRows, blankRows };
}

async function axialSlice(): Promise<number> {
  const text = (await page.textContent('[data-testid=slice-axial]')) ?? '';
  return Number(text.split('/')[0]) - 1;
}

/** Waits until the axial view has drawn slice k (any generation). */
function axialDrawn(k: number): Promise<unknown> {
  return page.waitForFunction(
    ([id, kk]) =>
      (document.querySelector<HTMLElement>('[data-testid=view-axial]')?.dataset.renderedImageId ?? '').split(':').slice(0, 4).join(':') ===
      `medseg:${id}:axial:${kk}`,
    [seriesId, k] as const,
    { timeout: POLL_MS },
  );
}

/** Waits until the axial view has drawn slice k (any generation) and reads it. */
async function axialShot(k: number): Promise<Shot> {
  await axialDrawn(k);
  return shotOf('axial');
}

let profiles = 0;

async function openPage(): Promise<void> {
  await context?.close();
  context = await launchChromium(path.join(tmp, `profile-${++profiles}`), { width: 2400, height: 1000 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
  await page.goto(serverUrl.href);
  await page.waitForSelector(`[data-testid=series-${seriesId}]`, { timeout: 60_000 });
}

/** Opens the series; resolves with the time to its first drawn image (ms) once the axial view shows the middle slice. */
async function openSeries(): Promise<number> {
  const t0 = Date.now();
  await page.click(`[data-testid=series-${seriesId}]`);
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=view-axial]')?.dataset.renderedImageId, null, { timeout: 60_000 });
  return Date.now() - t0;
}

async function waitComplete(): Promise<void> {
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=viewer]')?.dataset.loading === 'false', null, { timeout: 120_000 });
}

/** Hovers the axial view (keys go to it) and hides the crosshair (its colour is not grey). */
async function prepareAxial(): Promise<void> {
  await page.locator('[data-testid=view-axial]').hover();
  await page.keyboard.press('x');
}

const dbFile = (): string => path.join(tmp, 'catalog.db');

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-progressive-'));
  mkdirSync(OUT, { recursive: true });
  series = ensureLargeSeries({ slices: 160, size: 256, syntaxes: ['raw'] });
  ref = pydicomHuReference(series.dirs.raw, path.join(tmp, 'ref.bin'));
  ({ server, url: serverUrl } = await startServe(dbFile()));
  seriesId = (await rpcClient(serverUrl)<{ seriesIds: number[] }>('import.paths', { paths: [series.dirs.raw] })).seriesIds[0];
}, 120_000);

afterAll(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('progressive loading of a 160-slice CT in Chromium', () => {
  it('cold open at full speed: first image (the middle slice) before the volume is complete; afterwards every slice is itself and the volume equals pydicom and the non-progressive path', async () => {
    expect(ref.iop).toEqual([1, 0, 0, 0, 1, 0]);
    const nz = series.dims[2];
    await openPage();
    const progressSeen = await recordProgressBar(page, 'volume-progress');
    const t0 = Date.now();
    const firstImageMs = await openSeries();
    const first = await shotOf('axial');
    await page.screenshot({ path: path.join(OUT, '1-first-image.png') });
    expect(await axialSlice()).toBe(Math.floor(nz / 2));
    expect(first.loading, 'the first image came only after the whole volume').toBe(true);
    await prepareAxial();
    // Scrolling ahead while loading: the last slice (its turn in the fill order is last) is fetched as soon as it is
    // shown, drawn at its own position while the rest is still arriving.
    for (let n = 0; n < 8; n++) await page.keyboard.press('PageUp');
    expect(await axialSlice()).toBe(nz - 1);
    await page.waitForFunction(
      ([id, k]) => {
        const el = document.querySelector<HTMLElement>('[data-testid=view-axial]');
        return (el?.dataset.renderedImageId ?? '').split(':').slice(0, 4).join(':') === `medseg:${id}:axial:${k}` && el?.dataset.renderedComplete === 'true';
      },
      [seriesId, nz - 1] as const,
      { timeout: 60_000 },
    );
    const ahead = await shotOf('axial');
    expect(ahead.loading, 'the last slice came only at the end of loading').toBe(true);
    expect(checkAxial(ahead, nz - 1)).toBe('slice');
    for (let n = 0; n < 8; n++) await page.keyboard.press('PageDown');
    await page.keyboard.press('ArrowUp');
    expect(await axialSlice()).toBe(Math.floor(nz / 2));
    await waitComplete();
    const completeMs = Date.now() - t0;
    const seen = await progressSeen();
    expect(
      seen.some((v) => Number(v.split('/')[0]) < nz && v.endsWith(`/${nz}`)),
      `progress seen: ${seen.join(' ')}`,
    ).toBe(true);
    expect(await page.locator('[data-testid=volume-progress]').count()).toBe(0);
    // The first image, already checked against pydicom's middle slice.
    expect(checkAxial(first.complete ? first : await axialShot(Math.floor(nz / 2)), Math.floor(nz / 2))).toBe('slice');
    // After loading: slices across the range, each exactly itself; the coronal view has no blank row left.
    for (const key of [
      'PageDown',
      'PageDown',
      'PageDown',
      'PageDown',
      'PageDown',
      'PageDown',
      'PageDown',
      'PageDown',
      'PageDown',
      'ArrowUp',
      'PageUp',
      'PageUp',
    ]) {
      await page.keyboard.press(key);
      const k = await axialSlice();
      expect(checkAxial(await axialShot(k), k)).toBe('slice');
    }
    const coronalDone = checkCoronal(await shotOf('coronal'), Math.floor(series.dims[1] / 2));
    expect(coronalDone.blankRows).toBe(0);
    expect(coronalDone.dataRows).toBeGreaterThan(nz * 0.9);
    await page.screenshot({ path: path.join(OUT, '3-complete.png') });

    // The page's complete volume = pydicom's values = the server's non-progressive volume, voxel for voxel.
    const pageDigest = await page.evaluate((id) => (window as unknown as { medsegVolumeDigest(id: number): string | null }).medsegVolumeDigest(id), seriesId);
    const refBytes = new Uint8Array(ref.hu.buffer, ref.hu.byteOffset, ref.hu.byteLength);
    expect(pageDigest).toBe(digestOf(refBytes, ref.hu.length));
    const res = await fetch(`http://127.0.0.1:${serverUrl.port}/data/volume/${seriesId}`, {
      headers: { Authorization: `Bearer ${serverUrl.searchParams.get('token')}` },
    });
    expect(res.headers.get('x-medseg-dtype')).toBe('int16');
    const whole = new Uint8Array(await res.arrayBuffer());
    expect(digestOf(whole, whole.length / 2)).toBe(pageDigest);
    expect(sliceLen() * nz).toBe(ref.hu.length);
    console.log(`progressive 256x256x160 in Chromium, cold server (contended machine): first image ${firstImageMs} ms, complete volume ${completeMs} ms`);
  }, 180_000);

  it('slices held back in the browser: only received slices are drawn, each at its own position, the rest blank; scrolling and the three views work meanwhile', async () => {
    const nz = series.dims[2];
    // A fresh server (nothing decoded yet) and a fresh page; the test decides when each slice response may arrive.
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    ({ server, url: serverUrl } = await startServe(dbFile()));
    await openPage();
    const held: Route[] = [];
    let allowance = 1;
    await page.route(/\/data\/volume-slice\//, (route) => {
      if (allowance > 0) {
        allowance--;
        void route.continue();
      } else held.push(route);
    });
    const release = (n: number): void => {
      allowance += n;
      while (allowance > 0 && held.length > 0) {
        allowance--;
        void held.shift()!.continue();
      }
    };
    const waitSlices = (n: number): Promise<unknown> =>
      page.waitForFunction((want) => Number(document.querySelector<HTMLProgressElement>('[data-testid=volume-progress]')?.value) >= want, n, {
        timeout: POLL_MS,
      });
    const waitCoronal = (generation: number): Promise<unknown> =>
      page.waitForFunction((g) => document.querySelector<HTMLElement>('[data-testid=view-coronal]')?.dataset.renderedImageId?.endsWith(`:${g}`), generation, {
        timeout: POLL_MS,
      });

    await openSeries();
    await prepareAxial();
    const mid = Math.floor(nz / 2);
    expect(checkAxial(await axialShot(mid), mid)).toBe('slice');
    // Only the middle slice is here: the coronal view shows exactly its row, every other row blank.
    await waitCoronal(1);
    expect(checkCoronal(await shotOf('coronal'), Math.floor(series.dims[1] / 2)).dataRows).toBe(1);

    // The next 30 are the spread ones: for 160 slices every multiple of 5 from 5 to 155.
    release(30);
    await waitSlices(31);
    await waitCoronal(31);
    const spread = new Set(Array.from({ length: 31 }, (_, n) => 5 * (n + 1)));
    expect(checkCoronal(await shotOf('coronal'), Math.floor(series.dims[1] / 2)).dataRows).toBe(spread.size);
    await page.screenshot({ path: path.join(OUT, '2-during-loading.png') });
    const kinds: string[] = [];
    for (const key of [
      'PageUp',
      'PageUp',
      'PageUp',
      'ArrowUp',
      'ArrowUp',
      'PageDown',
      'PageDown',
      'PageDown',
      'PageDown',
      'ArrowDown',
      'PageDown',
      'PageDown',
    ]) {
      await page.keyboard.press(key);
      const k = await axialSlice();
      const kind = checkAxial(await axialShot(k), k);
      expect(kind, `slice ${k}`).toBe(spread.has(k) ? 'slice' : 'blank');
      kinds.push(`${k}:${kind}`);
    }
    // Scrolling while loading: each step waits for its slice to be drawn.
    const t0 = Date.now();
    const steps = 30;
    for (let n = 0; n < steps; n++) {
      await page.keyboard.press('ArrowUp');
      await axialDrawn(await axialSlice());
    }
    const stepsPerSecond = (steps / (Date.now() - t0)) * 1000;
    // W/L still answers while loading.
    const wwBefore = (await shotOf('axial')).ww;
    await page.keyboard.press('3');
    await expect.poll(async () => (await shotOf('axial')).ww, { timeout: POLL_MS }).not.toBe(wwBefore);

    release(1_000_000);
    await waitComplete();
    for (const key of ['ArrowDown', 'PageDown']) {
      await page.keyboard.press(key);
      const k = await axialSlice();
      expect(checkAxial(await axialShot(k), k)).toBe('slice');
    }
    console.log(`held-back slices (contended machine): axial checks ${kinds.join(' ')}; ${stepsPerSecond.toFixed(1)} drawn scroll steps/s while loading`);
  }, 180_000);
});
