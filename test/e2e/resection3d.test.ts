// The resection cut placed in 3D and the painted resection region, end to end in Debian Chromium with software WebGL
// (SwiftShader): `medseg serve` on a fresh DB, the sample CT and its TotalSegmentator map, 2×2 layout. The cut plane
// starts through the liver's centre and shows in the 3D view as a polygon inside the liver's box; the offset and tilt
// controls give the plane planePose.adjustPlane computes, and the saved plan holds that normal. A region painted with
// a brush much wider than the liver is confined to it (resected mL = painted voxels × voxel volume), is listed as a
// region plan and shows again from the plan. Screenshots in test-output/resection.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
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
  type V3,
} from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';
import { adjustPlane } from '../../shared/domain/planning/planePose.js';

const DATA = SAMPLE_DIR;
const SEG = SAMPLE_SEG;
const OUT = path.join(REPO_DIR, 'test-output', 'resection');
const LIVER = 5;

let tmp: string;
let server: ChildProcess;
let context: BrowserContext;
let page: Page;
let rpc: <T>(method: string, input: unknown) => Promise<T>;
let grid: LiverReferenceGrid;
let yellowWithPlane = 0;

interface PlanRow {
  planId: number;
  mode: 'plane' | 'region';
  plane: { pointLps: V3; normalLps: V3 } | null;
  regionVoxels: number | null;
  result: { resectedMl: number; remnantMl: number; organMl: number; remnantPercent: number };
}

const shownPlane = async (): Promise<{ pointLps: V3; normalLps: V3 }> => JSON.parse((await page.getAttribute('[data-testid=resection-plane]', 'data-plane'))!);
const cutPolygon = async (): Promise<V3[]> => {
  const text = (await page.getAttribute('[data-testid=view-3d]', 'data-cut-polygon')) ?? '';
  return text === '' ? [] : text.split(';').map((p) => p.split(',').map(Number) as V3);
};
const signed = (p: { pointLps: V3; normalLps: V3 }, x: V3): number => [0, 1, 2].reduce((s, q) => s + (x[q] - p.pointLps[q]) * p.normalLps[q], 0);

/** Pixels of the 3D view's screenshot within 40 of the cut outline's yellow (255, 225, 77), decoded by the page. */
async function yellowPixels(png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    let n = 0;
    for (let o = 0; o < data.length; o += 4) if (Math.hypot(data[o] - 255, data[o + 1] - 225, data[o + 2] - 77) < 40) n++;
    return n;
  }, png.toString('base64'));
}

async function pointOn(plane: 'axial' | 'coronal', lps: V3): Promise<{ x: number; y: number }> {
  const c = await canvasOf(page, plane);
  const p = expectedCanvasPoint(grid, plane, lps, c);
  return { x: c.left + p.x, y: c.top + p.y };
}

beforeAll(async () => {
  ({ tmp, server, rpc, context, page, grid } = await startOnSampleCt(
    'medseg-e2e-resect3d-',
    OUT,
    { width: 1400, height: 1000 },
    { webgl: true, labelMap: true },
  ));
}, 240_000);

afterAll(() => stopSession(context, server, tmp));

describe('resection cut placed in 3D, and a painted region', () => {
  it('the plane through the liver shows in 3D; offset and tilts give adjustPlane’s plane, saved with that normal', async () => {
    await page.click('[data-testid=layout-2x2]');
    await page.waitForFunction(() => (document.querySelector<HTMLElement>('[data-testid=view-3d]')?.dataset.surfaces ?? '').includes(':5'), null, {
      timeout: 120_000,
    });
    // the axial view to the liver's slice (a click on the coronal view)
    const at = await pointOn('coronal', grid.liverLps);
    await page.mouse.click(at.x, at.y);
    await page.click('[data-testid=tool-resection]');
    await page.waitForSelector('[data-testid=resection-plane][data-source=organ]', { timeout: POLL_MS });
    const base = await shownPlane();
    expect(base.normalLps).toEqual([1, 0, 0]);
    // the organ's centre lies inside the grid's extent
    for (let q = 0; q < 3; q++) {
      expect(base.pointLps[q]).toBeGreaterThan(Math.min(grid.lpsMin[q], grid.lpsMax[q]));
      expect(base.pointLps[q]).toBeLessThan(Math.max(grid.lpsMin[q], grid.lpsMax[q]));
    }
    await expect.poll(async () => (await cutPolygon()).length, { timeout: POLL_MS }).toBeGreaterThanOrEqual(3);
    for (const v of await cutPolygon()) expect(Math.abs(signed(base, v))).toBeLessThan(0.02);
    // the 3D controls out of the way, and the camera turned to look down on the slab (a drag, not a click: no pick)
    await page.click('[data-testid=view3d-controls-toggle]');
    const box = (await page.locator('[data-testid=view-3d]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 10, box.y + box.height / 2 + 60, { steps: 6 });
    await page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2 + 120, { steps: 6 });
    await page.mouse.up();
    const untilted = await page.locator('[data-testid=view-3d]').screenshot({ path: path.join(OUT, 'plane-3d-untilted.png') });

    const adjustment = { offsetMm: 12.5, tiltUDeg: 20, tiltVDeg: -15 };
    await page.fill('[data-testid=resection-offset]', String(adjustment.offsetMm));
    await page.fill('[data-testid=resection-tilt-u]', String(adjustment.tiltUDeg));
    await page.fill('[data-testid=resection-tilt-v]', String(adjustment.tiltVDeg));
    const expected = adjustPlane(base, adjustment);
    await expect.poll(async () => (await shownPlane()).normalLps[2], { timeout: POLL_MS }).toBeCloseTo(expected.normalLps[2], 9);
    const plane = await shownPlane();
    for (let q = 0; q < 3; q++) {
      expect(plane.normalLps[q]).toBeCloseTo(expected.normalLps[q], 9);
      expect(plane.pointLps[q]).toBeCloseTo(expected.pointLps[q], 6);
    }
    // the 3D polygon follows the tilted plane
    await expect.poll(async () => Math.max(...(await cutPolygon()).map((v) => Math.abs(signed(expected, v)))), { timeout: POLL_MS }).toBeLessThan(0.02);
    const tilted = await page.locator('[data-testid=view-3d]').screenshot({ path: path.join(OUT, 'plane-3d-tilted.png') });
    // the plane's outline is drawn in the 3D view (yellow), and it is gone once the cut is no plane
    expect(await yellowPixels(untilted)).toBeGreaterThan(50);
    expect(await yellowPixels(tilted)).toBeGreaterThan(50);
    yellowWithPlane = await yellowPixels(tilted);

    await page.click('[data-testid=resection-compute]');
    await page.waitForSelector('[data-testid=resection-result]', { timeout: 60_000 });
    const plans = (await rpc<{ plans: PlanRow[] }>('planning.plans', { segmentationId: 1 })).plans;
    expect(plans).toHaveLength(1);
    expect(plans[0].mode).toBe('plane');
    for (let q = 0; q < 3; q++) expect(plans[0].plane!.normalLps[q]).toBeCloseTo(expected.normalLps[q], 9);
    expect(plans[0].result.remnantPercent).toBeGreaterThan(0);
    expect(plans[0].result.remnantPercent).toBeLessThan(100);
    const row = page.locator(`[data-testid=plan-${plans[0].planId}]`);
    await expect.poll(() => row.getAttribute('data-mode'), { timeout: POLL_MS }).toBe('plane');
    // the 2D preview of the resected side: the organ voxels beyond the plane, close to the resected volume
    const previewVoxels = Number(await page.getAttribute('[data-testid=resection-preview-voxels]', 'data-voxels'));
    const voxelMl = (grid.spacingLps[0] * grid.spacingLps[1] * grid.spacingLps[2]) / 1000;
    expect(Math.abs(previewVoxels * voxelMl - plans[0].result.resectedMl)).toBeLessThan(0.02 * plans[0].result.resectedMl);
    await page.screenshot({ path: path.join(OUT, 'plane-tilted.png') });
  }, 300_000);

  it('a region painted with a brush wider than the liver is confined to it; the region plan is listed and shows again', async () => {
    await page.selectOption('[data-testid=resection-mode]', 'region');
    await expect.poll(async () => (await cutPolygon()).length, { timeout: POLL_MS }).toBe(0);
    const noPlane = await page.locator('[data-testid=view-3d]').screenshot({ path: path.join(OUT, 'region-3d-no-plane.png') });
    expect(await yellowPixels(noPlane)).toBeLessThan(yellowWithPlane / 4);
    await page.click('[data-testid=resection-paint]');
    await page.fill('[data-testid=resection-radius]', '40');
    const from = await pointOn('axial', [grid.liverLps[0] - 20, grid.liverLps[1], grid.liverLps[2]]);
    const to = await pointOn('axial', [grid.liverLps[0] + 20, grid.liverLps[1] + 10, grid.liverLps[2]]);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid=resection-region-voxels]', 'data-voxels')), { timeout: POLL_MS })
      .toBeGreaterThan(0);
    const painted = Number(await page.getAttribute('[data-testid=resection-region-voxels]', 'data-voxels'));
    await page.screenshot({ path: path.join(OUT, 'region-painted.png') });
    await page.click('[data-testid=resection-compute]');
    await expect.poll(async () => (await rpc<{ plans: PlanRow[] }>('planning.plans', { segmentationId: 1 })).plans.length, { timeout: 60_000 }).toBe(2);
    const [regionPlan] = (await rpc<{ plans: PlanRow[] }>('planning.plans', { segmentationId: 1 })).plans;
    expect(regionPlan.mode).toBe('region');
    expect(regionPlan.regionVoxels).toBe(painted);
    // every painted voxel is liver: the resected volume is exactly the painted voxels (a 40 mm brush covers more)
    const voxelMl = (grid.spacingLps[0] * grid.spacingLps[1] * grid.spacingLps[2]) / 1000;
    expect(Math.abs(regionPlan.result.resectedMl - painted * voxelMl)).toBeLessThan(1e-6 * painted * voxelMl + 1e-9);
    expect(regionPlan.result.resectedMl).toBeGreaterThan(0);
    expect(regionPlan.result.remnantMl).toBeGreaterThan(0);
    const row = page.locator(`[data-testid=plan-${regionPlan.planId}]`);
    await expect.poll(() => row.getAttribute('data-mode'), { timeout: POLL_MS }).toBe('region');
    expect(Number(await row.getAttribute('data-resected-ml'))).toBe(regionPlan.result.resectedMl);
    await page.click('[data-testid=resection-clear]');
    expect(Number(await page.getAttribute('[data-testid=resection-region-voxels]', 'data-voxels'))).toBe(0);
    await page.click(`[data-testid=plan-${regionPlan.planId}-show]`);
    await expect.poll(async () => Number(await page.getAttribute('[data-testid=resection-region-voxels]', 'data-voxels')), { timeout: POLL_MS }).toBe(painted);
    await page.screenshot({ path: path.join(OUT, 'region-plan.png') });
  }, 300_000);
});
