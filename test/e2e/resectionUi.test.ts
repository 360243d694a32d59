// The resection and distance panel end to end in Debian Chromium (1×3 layout, no WebGL): `medseg serve` on a fresh DB,
// the sample CT and its TotalSegmentator map; a cut through the liver from two clicks on the axial view gives the same
// remnant % as planning.resect called directly with that plane (strictly between 0 and 100), the plan is listed again
// after a reload; the liver↔aorta distance shown equals the `medseg distance` CLI answer and "go to A/B" moves the
// crosshair onto the closest points. Screenshots in test-output/resection.
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
import { runCliCaptured } from '../helpers/cli.js';
import { REPO_DIR } from '../helpers/paths.js';

const DATA = SAMPLE_DIR;
const SEG = SAMPLE_SEG;
const OUT = path.join(REPO_DIR, 'test-output', 'resection');
const LIVER = 5;

let tmp: string;
let server: ChildProcess;
let context: BrowserContext;
let page: Page;
let rpc: <T>(method: string, input: unknown) => Promise<T>;
let aorta: number;
let grid: LiverReferenceGrid;

async function openSeries(): Promise<void> {
  await page.click('[data-testid=series-1]');
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=view-axial]')?.dataset.renderedImageId, null, { timeout: 60_000 });
  await page.waitForSelector('[data-testid=legend-1] >> text=liver', { timeout: 60_000 });
}

/** Clicks the view of `plane` at an LPS point (the canvas position the grid gives for it). */
async function clickAt(plane: 'axial' | 'coronal', lps: V3): Promise<void> {
  const c = await canvasOf(page, plane);
  const p = expectedCanvasPoint(grid, plane, lps, c);
  await page.mouse.click(c.left + p.x, c.top + p.y);
}

beforeAll(async () => {
  ({ tmp, server, rpc, context, page, grid } = await startOnSampleCt('medseg-e2e-resect-', OUT, { width: 1400, height: 900 }, { labelMap: true }));
  const listed = await rpc<{ segmentations: { labels: { value: number; name: string }[] }[] }>('segmentations.list', { seriesId: 1 });
  aorta = listed.segmentations[0].labels.find((l) => l.name === 'aorta')!.value;
}, 240_000);

afterAll(() => stopSession(context, server, tmp));

describe('resection and distance panel in the browser', () => {
  it('a cut through the liver from two axial clicks: the remnant % equals planning.resect with that plane; the plan survives a reload', async () => {
    expect(await page.getAttribute('[data-testid=viewer]', 'data-layout')).toBe('1x3');
    // The axial view goes to the liver's slice (a click on the coronal view), then the cut: a line along P through it.
    await clickAt('coronal', grid.liverLps);
    await page.click('[data-testid=tool-resection]');
    await page.waitForSelector('[data-testid=resection-panel]');
    expect(Number(await page.inputValue('[data-testid=resection-organ]'))).toBe(LIVER);
    await page.click('[data-testid=resection-pick]');
    const a: V3 = [grid.liverLps[0], grid.liverLps[1] - 40, grid.liverLps[2]];
    const b: V3 = [grid.liverLps[0], grid.liverLps[1] + 40, grid.liverLps[2]];
    await clickAt('axial', a);
    await clickAt('axial', b);
    await page.waitForSelector('[data-testid=resection-plane][data-source=clicks]', { timeout: POLL_MS });
    const plane = JSON.parse((await page.getAttribute('[data-testid=resection-plane]', 'data-plane'))!) as { pointLps: V3; normalLps: V3 };
    // The plane holds the first click (within the voxel a click lands in, plus a screen pixel: the 1×3 axial canvas
    // shows about 1 mm per pixel) and, perpendicular to an axial view of this axis-aligned grid with a line along P,
    // its normal is along L.
    const c = await canvasOf(page, 'axial');
    const ext = (q: number): number => grid.lpsMax[q] - grid.lpsMin[q] + grid.spacingLps[q];
    const mmPerPx = 1 / Math.min(c.width / ext(0), c.height / ext(1));
    for (let q = 0; q < 2; q++) expect(Math.abs(plane.pointLps[q] - a[q])).toBeLessThanOrEqual(grid.spacingLps[q] + 1.5 * mmPerPx);
    expect(Math.abs(plane.pointLps[2] - a[2])).toBeLessThanOrEqual(grid.spacingLps[2] / 2 + 1e-6);
    expect(Math.abs(plane.normalLps[0])).toBeGreaterThan(0.999);
    await page.click('[data-testid=resection-compute]');
    await page.waitForSelector('[data-testid=resection-result]', { timeout: 60_000 });
    const shown = Number(await page.getAttribute('[data-testid=resection-result]', 'data-remnant-percent'));
    const direct = await rpc<{ result: { remnantPercent: number } }>('planning.resect', { segmentationId: 1, organLabel: LIVER, plane, keep: 'positive' });
    expect(shown).toBe(direct.result.remnantPercent);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(100);
    expect(await page.textContent('[data-testid=resection-remnant-percent]')).toContain(`${shown.toFixed(1)} %`);
    const rows = page.locator('[data-testid=plan-table] tbody tr');
    await expect.poll(() => rows.count(), { timeout: POLL_MS }).toBe(1);
    await page.screenshot({ path: path.join(OUT, 'resection.png') });

    await page.reload();
    await openSeries();
    await page.click('[data-testid=tool-resection]');
    await page.waitForSelector('[data-testid=plan-table]', { timeout: POLL_MS });
    expect(await rows.count()).toBe(1);
    expect(Number(await rows.first().getAttribute('data-remnant-percent'))).toBe(shown);
    expect(await rows.first().getAttribute('data-stale')).toBe('false');
    await page.locator('[data-testid=resection-panel]').screenshot({ path: path.join(OUT, 'plans-after-reload.png') });
  });

  it('the liver↔aorta distance equals the `medseg distance` CLI answer; go to A/B puts the crosshair on the closest points', async () => {
    await page.selectOption('[data-testid=distance-from]', String(LIVER));
    await page.selectOption('[data-testid=distance-to]', String(aorta));
    await page.click('[data-testid=distance-measure]');
    await page.waitForSelector('[data-testid=distance-result]', { timeout: 60_000 });
    const shownMm = Number(await page.getAttribute('[data-testid=distance-result]', 'data-mm'));
    const cli = await runCliCaptured(['distance', SEG, '--from', String(LIVER), '--to', String(aorta), '--json']);
    expect(cli.code).toBe(0);
    const ref = JSON.parse(cli.stdout) as { minDistanceMm: number; fromPointLps: V3; toPointLps: V3 };
    expect(shownMm).toBeCloseTo(ref.minDistanceMm, 6);
    expect(shownMm).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=distance-result]')).toBe(`${ref.minDistanceMm.toFixed(1)} mm`);
    const crosshairLps = async (): Promise<number[]> => ((await page.getAttribute('[data-testid=viewer]', 'data-crosshair-lps')) ?? '').split(',').map(Number);
    for (const [button, point] of [
      ['distance-goto-a', ref.fromPointLps],
      ['distance-goto-b', ref.toPointLps],
    ] as const) {
      await page.click(`[data-testid=${button}]`);
      const at = await crosshairLps();
      for (let q = 0; q < 3; q++) expect(at[q]).toBeCloseTo(point[q], 3);
    }
    await page.screenshot({ path: path.join(OUT, 'distance.png') });
  });
});
