// Reading tools end to end in Debian Chromium (no WebGL needed): `medseg serve` on a fresh DB and the real CT. A ruler
// drawn 60 mm along L (placed from the dcm2niix/nibabel grid) reads 60 mm, is stored (annotations.list), survives a
// page reload and is deleted for good; a freehand ROI stored through the method table is listed in the viewer with
// the HU mean numpy finds on the same voxel centres of the nibabel grid. Screenshots in test-output/reading.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  canvasOf,
  expectedCanvasPoint,
  openSeries1,
  POLL_MS,
  SAMPLE_DIR,
  startOnSampleCt,
  stopSession,
  type LiverReferenceGrid,
} from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';
import { lpsToIjk, type Vec3, type VolumeGeometry } from '../../shared/domain/volume.js';

const DATA = SAMPLE_DIR;
const OUT = path.join(REPO_DIR, 'test-output', 'reading');

interface Annotation {
  annotationId: number;
  kind: string;
  pointsLps: Vec3[];
  result: { lengthMm?: number | null; roi?: { mean: number; sd: number; voxelCount: number; areaMm2: number; unit: string } };
}

let tmp: string;
let server: ChildProcess;
let context: BrowserContext;
let page: Page;
let rpc: <T>(method: string, input: unknown) => Promise<T>;
let grid: LiverReferenceGrid;

/** The axial view 1×1, reset, on the liver's slice (by keyboard, a click would move the crosshair). */
async function toLiverSlice(): Promise<void> {
  await page.hover('[data-testid=view-axial]');
  await page.click('[data-testid=layout-1x1]');
  await page.hover('[data-testid=view-axial]');
  await page.keyboard.press('r');
  const axialSlice = Math.round((grid.liverLps[2] - grid.lpsMin[2]) / grid.spacingLps[2]) + 1;
  const now = Number(((await page.textContent('[data-testid=slice-axial]')) ?? '').split('/')[0]);
  for (let n = 0; n < Math.abs(axialSlice - now); n++) await page.keyboard.press(axialSlice > now ? 'ArrowUp' : 'ArrowDown');
  await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(`${axialSlice}/20`);
}

beforeAll(async () => {
  ({ tmp, server, rpc, context, page, grid } = await startOnSampleCt('medseg-e2e-reading-', OUT, { width: 1400, height: 900 }));
}, 240_000);

afterAll(() => stopSession(context, server, tmp));

describe('reading tools in the browser', () => {
  it('a ruler drawn 60 mm along L reads 60 mm, is stored, survives a reload, and its deletion is stored too', async () => {
    await toLiverSlice();
    const c = await canvasOf(page, 'axial');
    const a = expectedCanvasPoint(grid, 'axial', grid.liverLps, c);
    const b = expectedCanvasPoint(grid, 'axial', [grid.liverLps[0] + 60, grid.liverLps[1], grid.liverLps[2]], c);
    await page.click('[data-testid=tool-ruler]');
    await page.mouse.move(c.left + a.x, c.top + a.y);
    await page.mouse.down();
    for (let s = 1; s <= 8; s++) await page.mouse.move(c.left + a.x + ((b.x - a.x) * s) / 8, c.top + a.y + ((b.y - a.y) * s) / 8);
    await page.mouse.up();
    await page.click('[data-testid=tool-ruler]');
    await page.waitForSelector('[data-testid=ruler-list] li', { timeout: POLL_MS });
    const stored = (await rpc<{ annotations: Annotation[] }>('annotations.list', { seriesId: 1 })).annotations;
    expect(stored.map((x) => x.kind)).toEqual(['ruler']);
    const id = stored[0]!.annotationId;
    // Half a screen pixel at each end is about 0.3 mm here (≈ 1.6 px per mm in the 1×1 layout).
    expect(Math.abs(stored[0]!.result.lengthMm! - 60)).toBeLessThan(1);
    const text = (await page.textContent(`[data-testid=ruler-${id}-text]`)) ?? '';
    expect(Number(/([\d.]+) mm/.exec(text)?.[1])).toBeCloseTo(stored[0]!.result.lengthMm!, 1);
    // The stored ends lie where they were drawn: 60 mm apart along L, on the liver's axial plane.
    const [p, q] = stored[0]!.pointsLps;
    expect(Math.abs(q![0] - p![0] - 60)).toBeLessThan(1);
    expect(Math.abs(p![2] - grid.liverLps[2])).toBeLessThan(grid.spacingLps[2] / 2);

    await page.reload();
    await openSeries1(page);
    await toLiverSlice();
    await expect.poll(() => page.textContent(`[data-testid=ruler-${id}-text]`), { timeout: POLL_MS }).toBe(text);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(OUT, 'ruler-after-reload.png') });
    await page.click(`[data-testid=ruler-${id}-delete]`);
    await expect.poll(() => page.locator('[data-testid=ruler-list]').count(), { timeout: POLL_MS }).toBe(0);
    expect((await rpc<{ annotations: Annotation[] }>('annotations.list', { seriesId: 1 })).annotations).toEqual([]);
    await page.reload();
    await openSeries1(page);
    await page.waitForTimeout(500);
    expect(await page.locator('[data-testid=ruler-list]').count()).toBe(0);
  }, 120_000);

  it('a freehand ROI on the liver slice is listed with the HU mean numpy finds on the same voxels', async () => {
    const info = await rpc<VolumeGeometry>('volume.info', { seriesId: 1 });
    const L = grid.liverLps;
    // A square 30 mm wide around the deep-liver point, on its axial slice (the slice coordinate rounded to a voxel).
    const corners: Vec3[] = [
      [L[0] - 15, L[1] - 15, L[2]],
      [L[0] + 15, L[1] - 15, L[2]],
      [L[0] + 15, L[1] + 15, L[2]],
      [L[0] - 15, L[1] + 15, L[2]],
    ];
    const pointsIjk = corners.map((x) => lpsToIjk(info, x)).map((v): Vec3 => [v[0], v[1], Math.round(v[2])]);
    const roi = await rpc<Annotation>('annotations.create', { seriesId: 1, kind: 'freehand', pointsIjk });
    const ref = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/reference/roiReference.py'), DATA, tmp, JSON.stringify(roi.pointsLps)], {
        encoding: 'utf8',
      }),
    ) as { count: number; mean: number; sd: number; areaMm2: number };
    const stats = roi.result.roi!;
    expect(stats.unit).toBe('HU');
    expect(stats.voxelCount).toBe(ref.count);
    expect(stats.mean).toBeCloseTo(ref.mean, 6);
    expect(stats.sd).toBeCloseTo(ref.sd, 6);
    expect(stats.areaMm2).toBeCloseTo(900, 3);
    // Liver parenchyma on CT: a soft-tissue mean, not air or bone.
    expect(stats.mean).toBeGreaterThan(0);
    expect(stats.mean).toBeLessThan(200);

    await page.reload();
    await openSeries1(page);
    const line = (await page.waitForSelector(`[data-testid=annotation-${roi.annotationId}-text]`, { timeout: POLL_MS }).then((e) => e.textContent())) ?? '';
    const shown = /mean (-?[\d.]+) ± ([\d.]+) HU, ([\d.]+) mm²/.exec(line);
    expect(shown, line).not.toBeNull();
    expect(Math.abs(Number(shown![1]) - ref.mean)).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(Math.abs(Number(shown![3]) - 900)).toBeLessThan(0.1);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(OUT, 'roi-listed.png') });
    await page.click(`[data-testid=annotation-${roi.annotationId}-delete]`);
    await expect.poll(() => page.locator('[data-testid=annotation-list]').count(), { timeout: POLL_MS }).toBe(0);
  }, 120_000);

  it('the brush shows its outline (radius in mm on screen) under the cursor before painting; navigation shows none', async () => {
    await page.fill('[data-testid=nifti-path]', path.join(DATA, 'example_seg_dicom.nii.gz'));
    await page.fill('[data-testid=label-table-path]', path.join(DATA, 'labels_total.csv'));
    await page.click('[data-testid=add-nifti]');
    await page.waitForSelector('[data-testid=edit-state][data-ready=yes]', { timeout: 60_000 });
    await page.click('[data-testid=edit-tool-brush]');
    await page.fill('[data-testid=edit-radius]', '10');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await toLiverSlice();
    const c = await canvasOf(page, 'axial');
    const a = expectedCanvasPoint(grid, 'axial', grid.liverLps, c);
    const b = expectedCanvasPoint(grid, 'axial', [grid.liverLps[0] + 10, grid.liverLps[1], grid.liverLps[2]], c);
    const pxPer10Mm = Math.hypot(b.x - a.x, b.y - a.y);
    await page.mouse.move(c.left + a.x, c.top + a.y);
    const box = (await page.waitForSelector('[data-testid=brush-outline-axial]', { timeout: POLL_MS }).then((e) => e.boundingBox()))!;
    // Diameter 20 mm on screen, centred on the cursor (within a pixel).
    expect(Math.abs(box.width - 2 * pxPer10Mm)).toBeLessThan(1.5);
    expect(Math.abs(box.height - 2 * pxPer10Mm)).toBeLessThan(1.5);
    expect(Math.abs(box.x + box.width / 2 - (c.left + a.x))).toBeLessThan(1.5);
    expect(Math.abs(box.y + box.height / 2 - (c.top + a.y))).toBeLessThan(1.5);
    await page.screenshot({ path: path.join(OUT, 'brush-outline.png') });
    // Nothing was painted by showing the outline.
    expect(await page.getAttribute('[data-testid=edit-state]', 'data-version')).toBe('0');
    await page.click('[data-testid=edit-tool-navigate]');
    await page.mouse.move(c.left + a.x + 5, c.top + a.y);
    await expect.poll(() => page.locator('[data-testid=brush-outline-axial]').count(), { timeout: POLL_MS }).toBe(0);
  }, 120_000);
});
