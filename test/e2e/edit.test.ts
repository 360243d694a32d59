// Mask editing end to end: `medseg serve` on a fresh DB, Debian Chromium via playwright-core. Import the CT, add the
// TotalSegmentator map, create a label, paint a brush stroke on the axial view where there is no label, and check the
// pixels there (painted, undone with Ctrl+Z, redone with Ctrl+Shift+Z, still painted after a page reload) and the
// voxel count the API reports against the disc computed here from the reference grid (dcm2niix + nibabel). Then a
// lesion is painted and measured: a click on it draws its RECIST axes on its slice, and a stroke marks the figures
// out of date until measured again.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { POLL_MS, launchChromium, startServe, rpcClient } from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';

const repo = REPO_DIR;
const DATA = path.resolve(repo, '../shared/data/totalsegmentator_example');
const OUT = path.join(repo, 'test-output', 'edit');
const PAINT_RGB = [255, 0, 255];
const RADIUS_MM = 6;

type V3 = [number, number, number];
interface Reference {
  lpsMin: V3;
  lpsMax: V3;
  spacingLps: V3;
}
interface VolumeInfo {
  dims: V3;
  spacingMm: V3;
  originLps: V3;
  directionLps: [V3, V3, V3];
}

let ref: Reference;
let tmp: string;
let server: ChildProcess;
let base: string;
let token: string;
let context: BrowserContext;
let page: Page;
/** The axial stroke of the second test: its middle (canvas px) and the view's scale. */
let stroke1: { x: number; y: number; pxPerMm: number; left: number; top: number };

let rpc: <T>(method: string, input: unknown) => Promise<T>;

async function labelMapBytes(id: number): Promise<Uint8Array> {
  const res = await fetch(`${base}/data/labelmap/${id}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.headers.get('x-medseg-dtype')).toBe('uint8');
  return new Uint8Array(await res.arrayBuffer());
}

async function labelVoxels(name: string): Promise<number> {
  const r = await rpc<{ segmentations: { labels: { name: string; voxels?: number }[] }[] }>('segmentations.list', { seriesId: 1 });
  return r.segmentations[0].labels.find((l) => l.name === name)?.voxels ?? 0;
}

async function canvasOf(): Promise<{ width: number; height: number; left: number; top: number }> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid=view-axial] canvas')!;
    const r = c.getBoundingClientRect();
    return { width: c.width, height: c.height, left: r.left, top: r.top };
  });
}

async function pixelAt(x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([px, py]) => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid=view-axial] canvas')!;
      return Array.from(c.getContext('2d')!.getImageData(Math.floor(px), Math.floor(py), 1, 1).data).slice(0, 3);
    },
    [x, y] as const,
  );
}

/**
 * Axial view fitted to the canvas (radiological: right = L, down = P), equal mm per pixel, centred: the LPS x/y of
 * a canvas point. From the reference grid only, not the app's code (same convention as the viewer e2e test).
 */
function canvasToLpsXY(canvas: { width: number; height: number }, x: number, y: number): [number, number] {
  const lo = (a: number): number => ref.lpsMin[a] - ref.spacingLps[a] / 2;
  const ext = (a: number): number => ref.lpsMax[a] + ref.spacingLps[a] / 2 - lo(a);
  const pxPerMm = Math.min(canvas.width / ext(0), canvas.height / ext(1));
  const left = (canvas.width - ext(0) * pxPerMm) / 2;
  const top = (canvas.height - ext(1) * pxPerMm) / 2;
  return [lo(0) + (x - left) / pxPerMm, lo(1) + (y - top) / pxPerMm];
}

async function openSeriesWithOverlay(): Promise<void> {
  await page.click('[data-testid=series-1]');
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=view-axial]')?.dataset.renderedImageId, null, { timeout: 60_000 });
  await page.waitForSelector('[data-testid=legend-1] >> text=liver', { timeout: 60_000 });
  await page.locator('[data-testid=overlay-opacity]').fill('1');
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-e2e-edit-'));
  mkdirSync(OUT, { recursive: true });
  ref = JSON.parse(execFileSync('/usr/bin/python3', [`${REPO_DIR}/test/reference/viewerReference.py`, DATA, tmp], { encoding: 'utf8' })) as Reference;
  const started = await startServe(path.join(tmp, 'catalog.db'));
  server = started.server;
  const url = started.url;
  rpc = rpcClient(url);
  base = `http://127.0.0.1:${url.port}`;
  token = url.searchParams.get('token')!;
  context = await launchChromium(path.join(tmp, 'profile'), { width: 1500, height: 760 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
  await page.goto(url.href);
}, 120_000);

afterAll(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('mask editing in Chromium against medseg serve', () => {
  it('imports the CT, adds the TotalSegmentator map, opens an edit session and creates a label', async () => {
    await page.fill('[data-testid=import-path]', path.join(DATA, 'example_ct_dicom'));
    await page.click('[data-testid=import-button]');
    await page.waitForSelector('[data-testid=series-1]', { timeout: 60_000 });
    await page.click('[data-testid=series-1]');
    await page.fill('[data-testid=nifti-path]', path.join(DATA, 'example_seg_dicom.nii.gz'));
    await page.fill('[data-testid=label-table-path]', path.join(DATA, 'labels_total.csv'));
    await page.click('[data-testid=add-nifti]');
    await openSeriesWithOverlay();
    await page.waitForSelector('[data-testid=edit-state][data-ready=yes]', { timeout: 60_000 });
    expect(await page.getAttribute('[data-testid=edit-state]', 'data-version')).toBe('0');
    await page.click('[data-testid=edit-more]');
    // A new label starts as kind 'other' (never lesion by default), whatever its name.
    expect(await page.inputValue('[data-testid=edit-new-label-kind]')).toBe('other');
    await page.fill('[data-testid=edit-new-label-name]', 'test lesion');
    await page.locator('[data-testid=edit-new-label-colour]').fill('#ff00ff');
    await page.click('[data-testid=edit-new-label]');
    await expect.poll(() => page.locator('[data-testid=edit-label] option:checked').textContent(), { timeout: POLL_MS }).toContain('test lesion');
  });

  it('paints a brush stroke on the axial view; Ctrl+Z, Ctrl+Shift+Z and a reload show the right pixels; the API count matches the disc', async () => {
    await page.click('[data-testid=edit-tool-brush]');
    await page.fill('[data-testid=edit-radius]', String(RADIUS_MM));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const c = await canvasOf();
    // A horizontal drag 40 mm in from the anterior-right corner (air, no label), integer page positions so every
    // sample lies on the segment; the check pixel is halfway.
    const lo0 = ref.lpsMin[0] - ref.spacingLps[0] / 2;
    const pxPerMm = Math.min(c.width / (ref.lpsMax[0] + ref.spacingLps[0] / 2 - lo0), c.height / (ref.lpsMax[1] - ref.lpsMin[1] + ref.spacingLps[1]));
    const left = (c.width - (ref.lpsMax[0] + ref.spacingLps[0] / 2 - lo0) * pxPerMm) / 2;
    const top = (c.height - (ref.lpsMax[1] - ref.lpsMin[1] + ref.spacingLps[1]) * pxPerMm) / 2;
    const y = Math.round(c.top + top + 40 * pxPerMm);
    const x1 = Math.round(c.left + left + 40 * pxPerMm);
    const x2 = x1 + 24;
    const mid = { x: (x1 + x2) / 2 - c.left, y: y - c.top };
    stroke1 = { ...mid, pxPerMm, left: c.left, top: c.top };
    const before = await pixelAt(mid.x, mid.y);
    expect(before[0]).toBe(before[1]); // grey: no label colour there
    expect(before[1]).toBe(before[2]);
    const mapBefore = await labelMapBytes(1);
    const countBefore = await labelVoxels('test lesion');
    expect(countBefore).toBe(0);
    // The views take only the changed box after an edit, not the whole map again.
    const mapRequests: string[] = [];
    const onRequest = (r: { url(): string }): void => {
      if (r.url().includes('/data/labelmap/')) mapRequests.push(new URL(r.url()).pathname + new URL(r.url()).search);
    };
    page.on('request', onRequest);

    await page.mouse.move(x1, y);
    await page.mouse.down();
    await page.mouse.move(x2, y, { steps: 6 });
    await page.mouse.up();
    await expect.poll(() => pixelAt(mid.x, mid.y), { message: 'painted colour', timeout: POLL_MS }).toEqual(PAINT_RGB);
    await expect.poll(() => page.getAttribute('[data-testid=edit-state]', 'data-version'), { timeout: POLL_MS }).toBe('1');
    await page.locator('.view[data-plane=axial]').screenshot({ path: path.join(OUT, 'painted.png') });
    page.off('request', onRequest);
    expect(mapRequests).toHaveLength(1);
    expect(mapRequests[0]).toMatch(/^\/data\/labelmap\/1\?box=\d+,\d+,\d+,\d+,\d+,\d+$/);

    // Voxel count from the API against the disc swept along the drag, computed here in mm from the reference grid.
    const info = await rpc<VolumeInfo>('volume.info', { seriesId: 1 });
    const sliceText = (await page.textContent('[data-testid=slice-axial]')) ?? '';
    const sliceIndex = Number(sliceText.split('/')[0]) - 1;
    const zAxis = [0, 1, 2].reduce((best, a) => (Math.abs(info.directionLps[a][2]) > Math.abs(info.directionLps[best][2]) ? a : best), 0);
    const [ax, ay] = canvasToLpsXY(c, x1 - c.left, y - c.top);
    const [bx] = canvasToLpsXY(c, x2 - c.left, y - c.top);
    const mapAfter = await labelMapBytes(1);
    const listed = await rpc<{ segmentations: { labels: { name: string; value: number }[] }[] }>('segmentations.list', { seriesId: 1 });
    const lesionValue = listed.segmentations[0].labels.find((l) => l.name === 'test lesion')!.value;
    let must = 0;
    let may = 0;
    let changed = 0;
    const [nx, ny, nz] = info.dims;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const n = i + nx * (j + ny * k);
          const ijk = [i, j, k];
          let d = Infinity;
          if (ijk[zAxis] === sliceIndex) {
            const lps = [0, 1, 2].map((c3) => info.originLps[c3] + ijk.reduce((s, v, a) => s + v * info.spacingMm[a] * info.directionLps[a][c3], 0));
            const t = Math.min(1, Math.max(0, (lps[0] - ax) / (bx - ax)));
            d = Math.hypot(lps[0] - (ax + t * (bx - ax)), lps[1] - ay);
          }
          if (mapAfter[n] !== mapBefore[n]) {
            changed++;
            expect(mapAfter[n]).toBe(lesionValue);
            expect(d, `voxel ${ijk} painted ${d.toFixed(2)} mm from the drag`).toBeLessThanOrEqual(RADIUS_MM + 0.1);
          } else if (d <= RADIUS_MM - 0.1) {
            throw new Error(`voxel ${ijk} is ${d.toFixed(2)} mm from the drag but was not painted`);
          }
          if (d <= RADIUS_MM - 0.1) must++;
          if (d <= RADIUS_MM + 0.1) may++;
          if (d <= RADIUS_MM + 0.1) expect(mapBefore[n]).toBe(0); // the stroke was on background only
        }
    const countAfter = await labelVoxels('test lesion');
    expect(countAfter - countBefore).toBe(changed);
    expect(changed).toBeGreaterThanOrEqual(must);
    expect(changed).toBeLessThanOrEqual(may);
    expect(must).toBeGreaterThan(200); // a 12 mm wide, ~30 mm long stroke at ~1 mm voxels

    // Existing shortcuts still work while a tool is active: 2 = lung preset.
    await page.keyboard.press('2');
    await expect.poll(() => page.textContent('[data-testid=info-axial]'), { timeout: POLL_MS }).toContain('W 1500 L -600');
    await page.keyboard.press('1');
    await expect.poll(() => pixelAt(mid.x, mid.y), { timeout: POLL_MS }).toEqual(PAINT_RGB);

    await page.keyboard.press('Control+z');
    await expect.poll(() => pixelAt(mid.x, mid.y), { message: 'undo restores the prior colour', timeout: POLL_MS }).toEqual(before);
    await expect.poll(() => labelVoxels('test lesion'), { timeout: POLL_MS }).toBe(0);
    await page.locator('.view[data-plane=axial]').screenshot({ path: path.join(OUT, 'undone.png') });

    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => pixelAt(mid.x, mid.y), { message: 'redo paints again', timeout: POLL_MS }).toEqual(PAINT_RGB);
    await expect.poll(() => labelVoxels('test lesion'), { timeout: POLL_MS }).toBe(changed);
    expect(Buffer.compare(Buffer.from(await labelMapBytes(1)), Buffer.from(mapAfter))).toBe(0);

    await page.reload();
    await openSeriesWithOverlay();
    await page.waitForSelector('[data-testid=edit-state][data-ready=yes]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=slice-axial]')).toBe(sliceText);
    await expect.poll(() => pixelAt(mid.x, mid.y), { message: 'the mask survives a reload', timeout: POLL_MS }).toEqual(PAINT_RGB);
    // Just outside the brush (radius + 3 mm below the drag) the pixel keeps its grey.
    const outside = await pixelAt(mid.x, mid.y + (RADIUS_MM + 3) * pxPerMm);
    expect(outside[0] === outside[1] && outside[1] === outside[2]).toBe(true);
    expect(await page.getAttribute('[data-testid=edit-state]', 'data-version')).toBe('1');
    await page.screenshot({ path: path.join(OUT, 'after-reload.png') });
    await page.locator('[data-testid=edit-panel]').screenshot({ path: path.join(OUT, 'edit-panel.png') });
  });

  it('paints in the coronal view too: the voxels land on the shown coronal slice; the Undo button takes them back', async () => {
    await page.click('[data-testid=edit-tool-brush]');
    await page.fill('[data-testid=edit-radius]', '3');
    const listed = await rpc<{ segmentations: { labels: { name: string; value: number }[] }[] }>('segmentations.list', { seriesId: 1 });
    await page.selectOption('[data-testid=edit-label]', String(listed.segmentations[0].labels.find((l) => l.name === 'test lesion')!.value));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const c = await page.evaluate(() => {
      const el = document.querySelector<HTMLCanvasElement>('[data-testid=view-coronal] canvas')!;
      const r = el.getBoundingClientRect();
      return { width: el.width, height: el.height, left: r.left, top: r.top };
    });
    // Coronal: right = L, down = inferior; 40 mm in from the patient's right edge (air), mid-height of the stack.
    const lo = (a: number): number => ref.lpsMin[a] - ref.spacingLps[a] / 2;
    const ext = (a: number): number => ref.lpsMax[a] + ref.spacingLps[a] / 2 - lo(a);
    const pxPerMm = Math.min(c.width / ext(0), c.height / ext(2));
    const x = Math.round(c.left + (c.width - ext(0) * pxPerMm) / 2 + 40 * pxPerMm);
    const y = Math.round(c.top + c.height / 2);
    const before = await labelMapBytes(1);
    const versionBefore = Number(await page.getAttribute('[data-testid=edit-state]', 'data-version'));
    await page.mouse.click(x, y);
    await expect.poll(() => page.getAttribute('[data-testid=edit-state]', 'data-version'), { timeout: POLL_MS }).toBe(String(versionBefore + 1));
    const after = await labelMapBytes(1);
    const info = await rpc<VolumeInfo>('volume.info', { seriesId: 1 });
    const yAxis = [0, 1, 2].reduce((best, a) => (Math.abs(info.directionLps[a][1]) > Math.abs(info.directionLps[best][1]) ? a : best), 0);
    const coronalSlice = Number(((await page.textContent('[data-testid=slice-coronal]')) ?? '').split('/')[0]) - 1;
    const [nx, ny] = info.dims;
    let changed = 0;
    for (let n = 0; n < after.length; n++) {
      if (after[n] === before[n]) continue;
      changed++;
      const ijk = [n % nx, Math.floor(n / nx) % ny, Math.floor(n / (nx * ny))];
      expect(ijk[yAxis]).toBe(coronalSlice);
    }
    expect(changed).toBeGreaterThan(5);
    const colour = (): Promise<number[]> =>
      page.evaluate(
        ([px, py]) => {
          const el = document.querySelector<HTMLCanvasElement>('[data-testid=view-coronal] canvas')!;
          return Array.from(el.getContext('2d')!.getImageData(px, py, 1, 1).data).slice(0, 3);
        },
        [Math.floor(x - c.left), Math.floor(y - c.top)] as const,
      );
    await expect.poll(colour, { message: 'painted colour in the coronal view', timeout: POLL_MS }).toEqual(PAINT_RGB);
    await page.locator('.view[data-plane=coronal]').screenshot({ path: path.join(OUT, 'coronal-painted.png') });
    await page.click('[data-testid=edit-undo]');
    await expect.poll(() => page.getAttribute('[data-testid=edit-state]', 'data-version'), { timeout: POLL_MS }).toBe(String(versionBefore));
    expect(Buffer.compare(Buffer.from(await labelMapBytes(1)), Buffer.from(before))).toBe(0);
  });

  it('names a version, paints again, goes back to the named version from the list; Ctrl+Z and Ctrl+Y walk over the revert', async () => {
    await page.fill('[data-testid=edit-version-name]', 'reviewed by e2e');
    await page.click('[data-testid=edit-name-version]');
    await expect.poll(() => page.textContent('[data-testid=edit-versions]'), { timeout: POLL_MS }).toContain('reviewed by e2e');
    await page.click('[data-testid=edit-tool-brush]');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    // A second dab 25 mm below the first stroke (still air).
    const second = { x: stroke1.x, y: stroke1.y + 25 * stroke1.pxPerMm };
    const grey = await pixelAt(second.x, second.y);
    expect(grey[0] === grey[1] && grey[1] === grey[2]).toBe(true);
    await page.mouse.click(Math.round(stroke1.left + second.x), Math.round(stroke1.top + second.y));
    await expect.poll(() => pixelAt(second.x, second.y), { timeout: POLL_MS }).toEqual(PAINT_RGB);
    await page.locator('[data-testid=edit-versions] li', { hasText: 'reviewed by e2e' }).locator('button').click();
    await expect.poll(() => pixelAt(second.x, second.y), { message: 'back at the named version', timeout: POLL_MS }).toEqual(grey);
    expect(await pixelAt(stroke1.x, stroke1.y)).toEqual(PAINT_RGB); // the first stroke is part of that version
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Control+z');
    await expect.poll(() => pixelAt(second.x, second.y), { message: 'undo of the revert', timeout: POLL_MS }).toEqual(PAINT_RGB);
    await page.keyboard.press('Control+y');
    await expect.poll(() => pixelAt(second.x, second.y), { message: 'redo of the revert', timeout: POLL_MS }).toEqual(grey);
    await page.locator('[data-testid=edit-panel]').screenshot({ path: path.join(OUT, 'versions.png') });
  });

  it('measures a painted lesion: a click draws its RECIST axes on its slice; a stroke marks the figures out of date', async () => {
    // A lesion-kind label, an elongated dab in air: a 30 mm drag of a 6 mm brush, 60 mm below the first stroke.
    const open = await page.evaluate(() => (document.querySelector('[data-testid=edit-more]')?.parentElement as HTMLDetailsElement | null)?.open ?? false);
    if (!open) await page.click('[data-testid=edit-more]');
    await page.fill('[data-testid=edit-new-label-name]', 'e2e tumour');
    await page.locator('[data-testid=edit-new-label-colour]').fill('#00ff00');
    await page.selectOption('[data-testid=edit-new-label-kind]', 'lesion');
    await page.click('[data-testid=edit-new-label]');
    await expect.poll(() => page.locator('[data-testid=edit-label] option:checked').textContent(), { timeout: POLL_MS }).toContain('e2e tumour');
    await page.click('[data-testid=edit-tool-brush]');
    await page.fill('[data-testid=edit-radius]', String(RADIUS_MM));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const y = Math.round(stroke1.top + stroke1.y + 60 * stroke1.pxPerMm);
    const x1 = Math.round(stroke1.left + stroke1.x - 15 * stroke1.pxPerMm);
    const x2 = Math.round(stroke1.left + stroke1.x + 15 * stroke1.pxPerMm);
    const version = Number(await page.getAttribute('[data-testid=edit-state]', 'data-version'));
    await page.mouse.move(x1, y);
    await page.mouse.down();
    await page.mouse.move(x2, y, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => page.getAttribute('[data-testid=edit-state]', 'data-version'), { timeout: POLL_MS }).not.toBe(String(version));
    const paintedSlice = (await page.textContent('[data-testid=slice-axial]')) ?? '';
    // Navigate away (another slice), so the click must bring the view back to the lesion's slice.
    await page.click('[data-testid=edit-tool-navigate]'); // clicks and keys navigate
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('PageDown');
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).not.toBe(paintedSlice);

    await page.click('[data-testid=measure-button]');
    const listed = await rpc<{ segmentations: { labels: { name: string; value: number }[] }[] }>('segmentations.list', { seriesId: 1 });
    const tumour = listed.segmentations[0].labels.find((l) => l.name === 'e2e tumour')!.value;
    const lesionButton = page.locator(`[data-testid=lesion-list] [data-testid^=lesion-${tumour}-]`);
    await expect.poll(() => lesionButton.count(), { timeout: 60_000 }).toBe(1);
    const measuredVersion = await page.getAttribute('[data-testid=measure-version]', 'data-version');
    expect(measuredVersion).toBe(await page.getAttribute('[data-testid=edit-state]', 'data-version'));
    expect(await lesionButton.textContent()).toMatch(/RECIST \d+\.\d × \d+\.\d mm/);
    await lesionButton.click();

    // The axial view goes back to the painted slice and draws both axes there.
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(paintedSlice);
    const axial = '[data-testid=view-axial]';
    await page.waitForFunction((sel) => document.querySelector<HTMLElement>(sel)?.dataset.recistLong, axial, { timeout: POLL_MS });
    const ends = async (which: 'recistLong' | 'recistShort'): Promise<number[]> =>
      (await page.evaluate(([sel, key]) => document.querySelector<HTMLElement>(sel)!.dataset[key] ?? '', [axial, which] as const)).split(',').map(Number);
    const long = await ends('recistLong');
    const short = await ends('recistShort');
    expect(long).toHaveLength(4);
    expect(short).toHaveLength(4);
    // Long axis along the drag (horizontal, about 30 + 12 mm); short axis across it (about the 12 mm brush width).
    const longMm = Math.hypot(long[2] - long[0], long[3] - long[1]) / stroke1.pxPerMm;
    const shortMm = Math.hypot(short[2] - short[0], short[3] - short[1]) / stroke1.pxPerMm;
    expect(Math.abs(long[3] - long[1])).toBeLessThan(0.1 * Math.abs(long[2] - long[0]));
    expect(longMm).toBeGreaterThan(36);
    expect(longMm).toBeLessThan(44);
    expect(shortMm).toBeGreaterThan(9);
    expect(shortMm).toBeLessThan(13);
    // The drawn lines are on the canvas where the app says: yellow along the long axis, magenta along the short one.
    const at = (seg: number[], f: number): [number, number] => [seg[0] + f * (seg[2] - seg[0]), seg[1] + f * (seg[3] - seg[1])];
    // Where the short axis crosses, the pixel is magenta: check the long axis away from it.
    const clearOfShort = (f: number): boolean => Math.abs(at(long, f)[0] - short[0]) > 4;
    const longChecks = [0.15, 0.3, 0.45, 0.6, 0.75, 0.9].filter(clearOfShort);
    expect(longChecks.length).toBeGreaterThanOrEqual(4);
    for (const f of longChecks) {
      const [r, g, b] = await pixelAt(...at(long, f));
      expect(r, `long axis pixel at ${f}`).toBeGreaterThan(200);
      expect(g).toBeGreaterThan(150);
      expect(b).toBeLessThan(90);
    }
    for (const f of [0.25, 0.75]) {
      const [r, g, b] = await pixelAt(...at(short, f));
      expect(r, `short axis pixel at ${f}`).toBeGreaterThan(200);
      expect(g).toBeLessThan(120);
      expect(b).toBeGreaterThan(200);
    }
    await page.locator('.view[data-plane=axial]').screenshot({ path: path.join(OUT, 'recist-axes.png') });

    // One more stroke (anywhere): the figures are marked out of date, the axes leave the view, export is refused.
    await page.click('[data-testid=edit-tool-brush]');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.mouse.click(x1, Math.round(y + 25 * stroke1.pxPerMm));
    await page.waitForSelector('[data-testid=measure-stale]', { timeout: POLL_MS });
    expect(await page.textContent('[data-testid=measure-stale]')).toMatch(/Out of date.*version \d+.*edited since/);
    await expect
      .poll(() => page.evaluate((sel) => document.querySelector<HTMLElement>(sel)!.dataset.recistLong ?? null, axial), { timeout: POLL_MS })
      .toBeNull();
    // The same canvas points no longer show the axis colour: the yellow was the drawn axis, not the image or label.
    for (const f of longChecks) {
      const [r, g, b] = await pixelAt(...at(long, f));
      expect(r > 200 && g > 150 && b < 90, `long axis gone at ${f}: ${[r, g, b]}`).toBe(false);
    }
    await page.click('[data-testid=export-csv]');
    await expect.poll(() => page.textContent('[data-testid=measure-error]'), { timeout: POLL_MS }).toMatch(/out of date/);
    await page.locator('[data-testid=measure-stale]').scrollIntoViewIfNeeded();
    await page.locator('[data-testid=measure-stale]').screenshot({ path: path.join(OUT, 'measure-out-of-date.png') });

    // Measuring again clears the mark and carries the new version; the first lesion keeps its number, the dab
    // (a second lesion) gets the next one.
    const id = (await lesionButton.getAttribute('data-testid'))!;
    await page.click('[data-testid=measure-again]');
    await expect
      .poll(() => page.getAttribute('[data-testid=measure-version]', 'data-version'), { timeout: 60_000 })
      .toBe(await page.getAttribute('[data-testid=edit-state]', 'data-version'));
    await expect.poll(() => page.locator('[data-testid=measure-stale]').count(), { timeout: POLL_MS }).toBe(0);
    await expect.poll(() => lesionButton.count(), { timeout: POLL_MS }).toBe(2);
    const ids = await lesionButton.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(ids[0]).toBe(id);
    expect(Number(ids[1]!.split('-').at(-1))).toBe(Number(id.split('-').at(-1)) + 1);
  });
});
