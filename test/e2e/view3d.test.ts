// The 3D view end to end in Debian Chromium with software WebGL (SwiftShader): `medseg serve` on a fresh DB, the real
// CT and its TotalSegmentator map; the 2×2 layout shows the liver surface in the liver's colour, a drag rotates it, a
// click on the liver surface moves the 2D crosshair to the liver voxel nibabel finds nearest to the picked point;
// layouts switch, a double-click maximises a view, cine plays. Screenshots in test-output/view3d.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  canvasOf,
  expectedCanvasPoint,
  POLL_MS,
  SAMPLE_DIR,
  SAMPLE_SEG,
  startOnSampleCt,
  stopSession,
  type LiverReferenceGrid,
} from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';

const DATA = SAMPLE_DIR;
const SEG = SAMPLE_SEG;
const OUT = path.join(REPO_DIR, 'test-output', 'view3d');
const LIVER = 5;

let tmp: string;
let server: ChildProcess;
let context: BrowserContext;
let page: Page;
let rpc: <T>(method: string, input: unknown) => Promise<T>;
let liverRgb: [number, number, number];
let grid: LiverReferenceGrid;

interface Shot {
  png: Buffer;
  width: number;
  height: number;
}

/** Screenshot of the 3D view (CSS pixels = device pixels here: deviceScaleFactor 1). */
async function shot3d(name: string): Promise<Shot> {
  const png = await page.locator('[data-testid=view-3d]').screenshot();
  writeFileSync(path.join(OUT, `${name}.png`), png);
  const box = (await page.locator('[data-testid=view-3d]').boundingBox())!;
  return { png, width: Math.round(box.width), height: Math.round(box.height) };
}

/**
 * Pixels of a screenshot (decoded by the page itself) whose colour is the label colour under some shading: a
 * multiple k of it (0.3 ≤ k ≤ 1.3) within a small residual. Returns their count and the one deepest inside the
 * liver-coloured region near its centre (all of a 9×9 neighbourhood matches), for a click that cannot land on an edge.
 */
async function colourPixels(s: Shot, rgb: [number, number, number]): Promise<{ count: number; pick: { x: number; y: number } | null }> {
  return page.evaluate(
    async ([b64, c]) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const { data, width, height } = ctx.getImageData(0, 0, img.width, img.height);
      const cc = (c as number[])[0] ** 2 + (c as number[])[1] ** 2 + (c as number[])[2] ** 2;
      const hit = new Uint8Array(width * height);
      let count = 0;
      let sx = 0;
      let sy = 0;
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const o = 4 * (y * width + x);
          const p = [data[o], data[o + 1], data[o + 2]];
          const k = (p[0] * (c as number[])[0] + p[1] * (c as number[])[1] + p[2] * (c as number[])[2]) / cc;
          if (k < 0.3 || k > 1.3) continue;
          const res = Math.hypot(p[0] - k * (c as number[])[0], p[1] - k * (c as number[])[1], p[2] - k * (c as number[])[2]);
          if (res > 18) continue;
          hit[y * width + x] = 1;
          count++;
          sx += x;
          sy += y;
        }
      if (count === 0) return { count, pick: null };
      const cx = sx / count;
      const cy = sy / count;
      let pick: { x: number; y: number } | null = null;
      let best = Infinity;
      for (let y = 4; y < height - 4; y++)
        for (let x = 4; x < width - 4; x++) {
          if (!hit[y * width + x]) continue;
          const d = (x - cx) ** 2 + (y - cy) ** 2;
          if (d >= best) continue;
          let inside = true;
          for (let dy = -4; dy <= 4 && inside; dy++) for (let dx = -4; dx <= 4 && inside; dx++) inside = hit[(y + dy) * width + x + dx] === 1;
          if (inside) {
            best = d;
            pick = { x, y };
          }
        }
      return { count, pick };
    },
    [s.png.toString('base64'), rgb] as const,
  );
}

/** Fraction of pixels that differ (any channel by more than 24) between two screenshots of the same size. */
async function changedFraction(a: Shot, b: Shot): Promise<number> {
  return page.evaluate(
    async ([pa, pb]) => {
      const read = async (b64: string): Promise<ImageData> => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        return ctx.getImageData(0, 0, img.width, img.height);
      };
      const [x, y] = [await read(pa), await read(pb)];
      let changed = 0;
      for (let n = 0; n < x.data.length; n += 4) {
        if (Math.abs(x.data[n] - y.data[n]) > 24 || Math.abs(x.data[n + 1] - y.data[n + 1]) > 24 || Math.abs(x.data[n + 2] - y.data[n + 2]) > 24) changed++;
      }
      return changed / (x.data.length / 4);
    },
    [a.png.toString('base64'), b.png.toString('base64')] as const,
  );
}

async function rendersOf3d(): Promise<number> {
  return Number((await page.getAttribute('[data-testid=view-3d]', 'data-renders')) ?? '0');
}

beforeAll(async () => {
  ({ tmp, server, rpc, context, page, grid } = await startOnSampleCt('medseg-e2e-3d-', OUT, { width: 1400, height: 900 }, { webgl: true, labelMap: true }));
  const listed = await rpc<{ segmentations: { labels: { value: number; colorRgb: [number, number, number] }[] }[] }>('segmentations.list', { seriesId: 1 });
  liverRgb = listed.segmentations[0].labels.find((l) => l.value === LIVER)!.colorRgb;
}, 240_000);

afterAll(() => stopSession(context, server, tmp));

describe('3D view and layouts in the browser (software WebGL)', () => {
  it('2×2 shows three planes and the 3D view; the liver surface is drawn in the liver colour, and only by the liver', async () => {
    await page.click('[data-testid=layout-2x2]');
    expect(await page.getAttribute('[data-testid=viewer]', 'data-views')).toBe('axial,coronal,sagittal,3d');
    await page.waitForFunction(
      (key) => (document.querySelector<HTMLElement>('[data-testid=view-3d]')?.dataset.surfaces ?? '').split(',').includes(key),
      `1:${LIVER}`,
      {
        timeout: 120_000,
      },
    );
    // Only the liver stays visible: every other label's checkbox is cleared.
    await page.evaluate((liverKey) => {
      for (const box of Array.from(document.querySelectorAll<HTMLInputElement>('[data-testid^=view3d-visible-]'))) {
        if (box.dataset.testid !== `view3d-visible-${liverKey}` && box.checked) box.click();
      }
    }, `1:${LIVER}`);
    await page.click('[data-testid=view3d-controls-toggle]');
    await page.click('[data-testid=view3d-reset]');
    await page.mouse.move(0, 0);
    const shown = await colourPixels(await shot3d('liver-anterior'), liverRgb);
    // The liver seen from the front covers a good part of a 700×430 view; a few hundred pixels could be chance.
    expect(shown.count).toBeGreaterThan(5000);
    await page.click('[data-testid=view3d-controls-toggle]');
    await page.click(`[data-testid=view3d-visible-1\\:${LIVER}]`);
    await page.click('[data-testid=view3d-controls-toggle]');
    const hidden = await colourPixels(await shot3d('liver-hidden'), liverRgb);
    expect(hidden.count).toBeLessThan(shown.count / 50);
    await page.click('[data-testid=view3d-controls-toggle]');
    await page.click(`[data-testid=view3d-visible-1\\:${LIVER}]`);
    await page.click('[data-testid=view3d-controls-toggle]');
  });

  it('a drag rotates the view (the image changes) and the orientation cube turns with it', async () => {
    await page.click('[data-testid=view3d-reset]');
    await page.mouse.move(0, 0);
    const before = await shot3d('before-rotate');
    const box = (await page.locator('[data-testid=view-3d]').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const frames = await rendersOf3d();
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let s = 1; s <= 10; s++) await page.mouse.move(cx + s * 15, cy + s * 4);
    await page.mouse.up();
    expect(await rendersOf3d()).toBeGreaterThan(frames);
    await page.mouse.move(0, 0);
    const after = await shot3d('after-rotate');
    expect(await changedFraction(before, after)).toBeGreaterThan(0.05);
  });

  it('a click on the liver surface moves the 2D crosshair to the liver voxel nearest the picked point', async () => {
    await page.click('[data-testid=view3d-reset]');
    // Start on the first axial slice, away from where the click will take the views.
    await page.hover('[data-testid=view-axial]');
    for (let n = 0; n < 3; n++) await page.keyboard.press('PageDown');
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe('1/20');
    await page.mouse.move(0, 0);
    const s = await shot3d('before-pick');
    const { pick } = await colourPixels(s, liverRgb);
    expect(pick).not.toBeNull();
    const box = (await page.locator('[data-testid=view-3d]').boundingBox())!;
    await page.mouse.click(box.x + pick!.x + 0.5, box.y + pick!.y + 0.5);
    await page.waitForFunction(() => (document.querySelector<HTMLElement>('[data-testid=view-3d]')?.dataset.lastPick ?? '').startsWith('1:'), null, {
      timeout: POLL_MS,
    });
    const lastPick = (await page.getAttribute('[data-testid=view-3d]', 'data-last-pick'))!;
    expect(lastPick.split('@')[0]).toBe(`1:${LIVER}`);
    const pointLps = lastPick.split('@')[1].split(',').map(Number);
    const ref = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/reference/view3dReference.py'), SEG, String(LIVER), JSON.stringify([pointLps])], {
        encoding: 'utf8',
      }),
    ) as {
      distanceMm: number[];
      nearestK: number[];
      anteriorDepthMm: number[];
      slices: number;
    };
    // On the liver surface: within a voxel diagonal (0.98 × 0.98 × 2 mm) of a liver voxel centre.
    expect(ref.distanceMm[0]).toBeLessThan(2.5);
    // Seen from the front, the picked point is on the anterior side of the liver.
    expect(ref.anteriorDepthMm[0]).toBeLessThan(6);
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(`${ref.nearestK[0] + 1}/${ref.slices}`);
    await page.mouse.move(0, 0);
    await shot3d('after-pick');
    await page.screenshot({ path: path.join(OUT, 'page-after-pick.png') });
  });

  it('layouts switch (1×1, 1×3, 2×2), a double-click maximises a view and restores it, cine plays and pauses', async () => {
    const views = (): Promise<string | null> => page.getAttribute('[data-testid=viewer]', 'data-views');
    await page.click('[data-testid=layout-1x3]');
    expect(await views()).toBe('axial,coronal,sagittal');
    expect(await page.locator('[data-testid=view-3d]').count()).toBe(0);
    await page.hover('[data-testid=view-coronal]');
    await page.click('[data-testid=layout-1x1]');
    expect(await views()).toBe('coronal');
    const single = (await page.locator('[data-testid=view-coronal]').boundingBox())!;
    const viewer = (await page.locator('[data-testid=viewer]').boundingBox())!;
    expect(single.width).toBeGreaterThan(viewer.width * 0.95);
    await page.click('[data-testid=layout-2x2]');
    expect(await views()).toBe('axial,coronal,sagittal,3d');
    await page.dblclick('[data-testid=view-sagittal]');
    expect(await views()).toBe('sagittal');
    expect(await page.getAttribute('[data-testid=viewer]', 'data-layout')).toBe('max-sagittal');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=view-sagittal]')?.dataset.renderedImageId, null, { timeout: POLL_MS });
    await page.screenshot({ path: path.join(OUT, 'maximised-sagittal.png') });
    await page.dblclick('[data-testid=view-sagittal]');
    expect(await views()).toBe('axial,coronal,sagittal,3d');
    // On the left edge: the 3D controls sit top-right and the orientation cube bottom-left.
    const at = { x: 30, y: 120 };
    await page.dblclick('[data-testid=view-3d]', { position: at });
    expect(await views()).toBe('3d');
    await page.dblclick('[data-testid=view-3d]', { position: at });
    await page.screenshot({ path: path.join(OUT, 'layout-2x2.png') });

    // Cine on the axial view at 20 fps: the slice advances by itself, wraps, and stops on pause.
    await page.hover('[data-testid=view-axial]');
    await page.fill('[data-testid=cine-fps]', '20');
    const start = await page.textContent('[data-testid=slice-axial]');
    await page.click('[data-testid=cine-play]');
    const seen = new Set<string>();
    for (let n = 0; n < 40 && seen.size < 20; n++) {
      seen.add((await page.textContent('[data-testid=slice-axial]')) ?? '');
      await page.waitForTimeout(50);
    }
    await page.click('[data-testid=cine-play]');
    expect(seen.size).toBeGreaterThan(5);
    expect(seen.has(start ?? '')).toBe(true);
    const paused = await page.textContent('[data-testid=slice-axial]');
    await page.waitForTimeout(400);
    expect(await page.textContent('[data-testid=slice-axial]')).toBe(paused);
  });

  it('the ruler gives the right mm on a known distance (60 mm along L, placed from the reference grid), is listed and deletable', async () => {
    await page.hover('[data-testid=view-axial]');
    await page.click('[data-testid=layout-1x1]');
    await page.hover('[data-testid=view-axial]');
    await page.keyboard.press('r');
    // A click in the coronal view would move the slice; go to the liver's axial slice through the keyboard instead.
    const axialSlice = Math.round((grid.liverLps[2] - grid.lpsMin[2]) / grid.spacingLps[2]) + 1;
    const now = Number(((await page.textContent('[data-testid=slice-axial]')) ?? '').split('/')[0]);
    for (let n = 0; n < Math.abs(axialSlice - now); n++) await page.keyboard.press(axialSlice > now ? 'ArrowUp' : 'ArrowDown');
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(`${axialSlice}/20`);
    const c = await canvasOf(page, 'axial');
    const a = expectedCanvasPoint(grid, 'axial', grid.liverLps, c);
    const b = expectedCanvasPoint(grid, 'axial', [grid.liverLps[0] + 60, grid.liverLps[1], grid.liverLps[2]], c);
    await page.click('[data-testid=tool-ruler]');
    await page.mouse.move(c.left + a.x, c.top + a.y);
    await page.mouse.down();
    for (let s = 1; s <= 8; s++) await page.mouse.move(c.left + a.x + ((b.x - a.x) * s) / 8, c.top + a.y + ((b.y - a.y) * s) / 8);
    await page.mouse.up();
    await page.click('[data-testid=tool-ruler]');
    const text = (await page.textContent('[data-testid=ruler-1-text]')) ?? '';
    const mm = Number(/([\d.]+) mm/.exec(text)?.[1]);
    // Half a screen pixel at each end is about 0.3 mm here (≈ 1.6 px per mm in the 1×1 layout).
    expect(Math.abs(mm - 60)).toBeLessThan(1);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(OUT, 'ruler.png') });
    await page.click('[data-testid=ruler-1-delete]');
    // The deletion is stored first (annotations.delete), then the list drops it.
    await expect.poll(() => page.locator('[data-testid=ruler-list]').count(), { timeout: POLL_MS }).toBe(0);
  });

  it('reading aids: the probe names the label under the cursor, one click hides a whole label map (2D and 3D), ? lists the shortcuts', async () => {
    const c = await canvasOf(page, 'axial');
    const a = expectedCanvasPoint(grid, 'axial', grid.liverLps, c);
    await page.mouse.move(c.left + a.x, c.top + a.y);
    await expect.poll(() => page.textContent('[data-testid=probe-label]'), { timeout: POLL_MS }).toContain('liver');
    await page.mouse.move(0, 0);

    await page.click('[data-testid=layout-2x2]');
    await page.waitForFunction(() => (document.querySelector<HTMLElement>('[data-testid=view-3d]')?.dataset.surfaces ?? '').length > 0, null, {
      timeout: 60_000,
    });
    await page.click('[data-testid=view3d-controls-toggle]');
    await page.click('[data-testid=view3d-reset]');
    await page.mouse.move(0, 0);
    const before = await colourPixels(await shot3d('map-shown'), liverRgb);
    expect(before.count).toBeGreaterThan(5000);
    await page.click('[data-testid=hide-map-1]');
    expect(await page.textContent('[data-testid=hide-map-1]')).toBe('show all');
    await page.mouse.move(0, 0);
    const hidden = await colourPixels(await shot3d('map-hidden'), liverRgb);
    expect(hidden.count).toBeLessThan(before.count / 50);
    await page.click('[data-testid=hide-map-1]');
    await page.click('[data-testid=view3d-controls-toggle]');

    await page.hover('[data-testid=view-axial]');
    await page.keyboard.press('?');
    await expect.poll(() => page.textContent('[data-testid=shortcuts-overlay]'), { timeout: POLL_MS }).toContain('cine');
    await page.screenshot({ path: path.join(OUT, 'shortcuts.png') });
    await page.keyboard.press('Escape');
    expect(await page.locator('[data-testid=shortcuts-overlay]').count()).toBe(0);
  });

  it('CT volume rendering: the bone preset draws the skeleton (bright voxels in the middle of the view), off draws nothing', async () => {
    await page.click('[data-testid=layout-2x2]');
    await page.waitForSelector('[data-testid=view3d-preset]', { timeout: 60_000 });
    await page.click('[data-testid=hide-map-1]');
    await page.hover('[data-testid=view-axial]');
    await page.keyboard.press('x'); // no crosshair lines: only the volume is left in the scene
    await page.selectOption('[data-testid=view3d-preset]', 'bone');
    await page.click('[data-testid=view3d-controls-toggle]');
    await page.click('[data-testid=view3d-reset]');
    await page.mouse.move(0, 0);
    const bone = await brightCentrePixels(await shot3d('volume-bone'));
    await page.click('[data-testid=view3d-controls-toggle]');
    await page.selectOption('[data-testid=view3d-preset]', 'off');
    await page.click('[data-testid=view3d-controls-toggle]');
    await page.mouse.move(0, 0);
    const off = await brightCentrePixels(await shot3d('volume-off'));
    expect(bone).toBeGreaterThan(2000);
    expect(off).toBeLessThan(50);
    await page.click('[data-testid=view3d-controls-toggle]');
    await page.click('[data-testid=hide-map-1]');
    await page.keyboard.press('x');
  });

  it('exports the liver surface as binary STL in RAS: numpy-stl reads it, the header names RAS, and it spans the liver as nibabel places it', async () => {
    await page.click('[data-testid=layout-2x2]');
    await page.waitForSelector(`[data-testid=view3d-export-1\\:${LIVER}]`, { timeout: 180_000 });
    await page.selectOption('[data-testid=view3d-export-format]', 'stl');
    await page.selectOption('[data-testid=view3d-export-space]', 'ras');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=view3d-export-1\\:${LIVER}]`)]);
    const file = path.join(tmp, 'liver.stl');
    await download.saveAs(file);
    const got = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/reference/stlBounds.py'), file, SEG, String(LIVER)], { encoding: 'utf8' }),
    ) as {
      header: string;
      triangles: number;
      min: number[];
      max: number[];
      labelMinRas: number[];
      labelMaxRas: number[];
    };
    expect(got.header).toContain('SPACE=RAS');
    expect(got.triangles).toBeGreaterThan(1000);
    // The surface runs about half a voxel outside the outer voxel centres (0.98 × 0.98 × 2 mm; smoothing rounds edges).
    for (let a = 0; a < 3; a++) {
      expect(Math.abs(got.min[a] - got.labelMinRas[a])).toBeLessThan(2.5);
      expect(Math.abs(got.max[a] - got.labelMaxRas[a])).toBeLessThan(2.5);
    }
  });
});

/** Pixels brighter than 80 in every channel in the middle 80 % × 70 % of a screenshot (away from labels and the cube). */
async function brightCentrePixels(s: Shot): Promise<number> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, img.width, img.height);
    let n = 0;
    for (let y = Math.floor(height * 0.15); y < height * 0.85; y++)
      for (let x = Math.floor(width * 0.1); x < width * 0.9; x++) {
        const o = 4 * (y * width + x);
        if (data[o] > 80 && data[o + 1] > 80 && data[o + 2] > 80) n++;
      }
    return n;
  }, s.png.toString('base64'));
}
