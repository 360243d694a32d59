// The follow-up timeline in the browser: `medseg serve` on a fresh DB, two time points of a synthetic patient whose
// follow-up grid starts 5 slices (10 mm) further along z, thresholded and measured; the timeline view must plot both
// volumes (within the phantoms' tolerance), give the RECIST response the phantom radii imply, recompute it when a match
// is edited (and keep the edit over a reload), and scroll the two studies together by LPS z, onto the same lesion.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { POLL_MS, launchChromium, rpcClient, startServe } from '../helpers/e2eHarness.js';
import { makeCohort, type CohortTruth } from '../helpers/cohort.js';
import { REPO_DIR } from '../helpers/paths.js';

const OUT = path.join(REPO_DIR, 'test-output', 'timeline');
const SHIFT_SLICES = 5;

let tmp: string;
let truth: CohortTruth;
let server: ChildProcess;
let serverUrl: URL;
let context: BrowserContext;
let page: Page;
let rpc: <T>(method: string, input: unknown) => Promise<T>;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-e2e-timeline-'));
  mkdirSync(OUT, { recursive: true });
  const cohort = makeCohort(1, 300, SHIFT_SLICES);
  truth = cohort.truth;
  ({ server, url: serverUrl } = await startServe(path.join(tmp, 'catalog.db')));
  rpc = rpcClient(serverUrl);
  // two time points of COH-001: segmented with a threshold halfway between body (40 HU) and lesion (300 HU), measured
  await rpc('import.paths', { paths: ['T0', 'T1'].map((t) => path.join(cohort.dir, 'COH-001', t)) });
  const { patients } = await rpc<{ patients: { studies: { series: { seriesId: number }[] }[] }[] }>('catalog.list', {});
  for (const s of patients[0].studies.flatMap((st) => st.series)) {
    const { segmentationId } = await rpc<{ segmentationId: number }>('classical.apply', {
      seriesId: s.seriesId,
      params: { tool: 'threshold', loValue: 170, hiValue: 2000 },
    });
    await rpc('measure.segmentation', { segmentationId, connectivity: 6 });
  }
  context = await launchChromium(path.join(tmp, 'profile'), { width: 1500, height: 1400 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
}, 180_000);

afterAll(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const responseOf = (n: number): Promise<string | null> => page.locator('[data-testid=response-row]').nth(n).getAttribute('data-response');

async function openTimeline(): Promise<void> {
  await page.goto(serverUrl.href);
  await page.click('[data-testid=timeline-COH-001]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=response-table]', { timeout: POLL_MS });
}

/** Gray value of voxel (i, j) of the slice a side-by-side pane shows (its canvas is one pixel per voxel). */
function paneGray(side: number, i: number, j: number): Promise<number> {
  return page.evaluate(
    ([s, x, y]) => document.querySelector<HTMLCanvasElement>(`[data-testid=pane-${s}-canvas]`)!.getContext('2d')!.getImageData(x, y, 1, 1).data[0],
    [side, i, j] as const,
  );
}

async function panePosition(side: number): Promise<{ k: number; z: number }> {
  const el = page.locator(`[data-testid=pane-${side}-position]`);
  return { k: Number(await el.getAttribute('data-k')), z: Number(await el.getAttribute('data-z-lps')) };
}

describe('follow-up timeline in the browser', () => {
  it('plots both time points with their bands, within the phantoms’ tolerance', async () => {
    await openTimeline();
    const points = page.locator('[data-testid=volume-point]');
    await expect.poll(() => points.count(), { timeout: POLL_MS }).toBe(2);
    const cases = truth.cases.filter((c) => c.patientId === 'COH-001' && c.timepoint !== 'T2');
    for (let n = 0; n < 2; n++) {
      const shown = Number(await points.nth(n).getAttribute('data-volume-ml'));
      const want = cases[n].lesions.reduce((s, l) => s + l.volumeMl, 0);
      const tol = cases[n].lesions.reduce((s, l) => s + l.toleranceMl, 0);
      expect(Math.abs(shown - want), `time point ${n}: ${shown} mL vs ${want} ± ${tol}`).toBeLessThanOrEqual(tol);
    }
    // the flag says whether the change lies within the two bands' overlap (these small spheres on 2 mm slices have wide
    // bands), and the note explains it when set
    const band = async (n: number): Promise<[number, number]> => [
      Number(await points.nth(n).getAttribute('data-lower-ml')),
      Number(await points.nth(n).getAttribute('data-upper-ml')),
    ];
    const [b0, b1] = [await band(0), await band(1)];
    for (const [n, b] of [b0, b1].entries()) {
      const v = Number(await points.nth(n).getAttribute('data-volume-ml'));
      expect(b[0]).toBeLessThanOrEqual(v);
      expect(b[1]).toBeGreaterThanOrEqual(v);
    }
    const overlap = b1[0] <= b0[1] && b0[0] <= b1[1];
    expect(await points.nth(0).getAttribute('data-within-bands')).toBe('');
    expect(await points.nth(1).getAttribute('data-within-bands')).toBe(String(overlap));
    expect(await page.locator('[data-testid=within-bands-note]').count()).toBe(overlap ? 1 : 0);
    expect(await page.locator('[data-testid^=volume-plot-] svg line.band').count()).toBe(6);
    await page.screenshot({ path: path.join(OUT, 'timeline.png'), fullPage: true });
  });

  it('gives the response the phantom radii imply, and recomputes it when the user unpairs a target (kept over a reload)', async () => {
    // diameters 14 and 10 mm at T0 (the 10 mm one is on the edge of measurable: ≥ 10 mm), 16 and 12 mm at T1: the sum
    // of the n largest grows by +14 % (n = 1) or +17 % (n = 2), below 20 % either way → SD
    const [t0, t1] = truth.cases.filter((c) => c.patientId === 'COH-001');
    const sum = (c: typeof t0, n: number): number =>
      c.lesions
        .map((l) => 2 * l.radiusMm)
        .sort((a, b) => b - a)
        .slice(0, n)
        .reduce((s, d) => s + d, 0);
    const row1 = page.locator('[data-testid=response-row]').nth(1);
    const targets = Number(await row1.getAttribute('data-target-count'));
    expect([1, 2]).toContain(targets);
    expect((sum(t1, targets) - sum(t0, targets)) / sum(t0, targets)).toBeLessThan(0.2);
    expect(await responseOf(0)).toBe('baseline');
    expect(await responseOf(1)).toBe('SD');
    // diameters between voxel centres: up to about one voxel diagonal (2.5 mm) short per lesion
    const sumShown = Number(await row1.locator('[data-testid=sum-mm]').textContent());
    expect(sumShown).toBeLessThanOrEqual(sum(t1, targets) + 0.01);
    expect(sumShown).toBeGreaterThan(sum(t1, targets) - 2.5 * targets);

    const selects = page.locator('[data-testid=match-table] select');
    expect(await selects.count()).toBe(2);
    const first = selects.first();
    const partner = await first.inputValue();
    expect(partner).not.toBe('');
    await first.selectOption('');
    await expect.poll(() => responseOf(1), { timeout: POLL_MS }).toBe('PD');
    expect(await page.locator('[data-testid=response-row]').nth(1).textContent()).toContain(partner);
    await page.screenshot({ path: path.join(OUT, 'timeline-unpaired.png'), fullPage: true });

    await openTimeline();
    expect(await responseOf(1)).toBe('PD');
    expect(await page.locator('[data-testid=match-table] select').first().inputValue()).toBe('');
    // pair it again: the response is SD again
    await page.locator('[data-testid=match-table] select').first().selectOption(partner);
    await expect.poll(() => responseOf(1), { timeout: POLL_MS }).toBe('SD');
  });

  it('scrolls the two studies together by LPS z: the same position, other slice indices, the same lesion', async () => {
    await page.waitForSelector('[data-testid=pane-1-canvas]', { timeout: POLL_MS });
    await expect.poll(async () => (await panePosition(1)).z, { timeout: POLL_MS }).toBe((await panePosition(0)).z);
    const lesion = truth.cases[0].lesions[0];
    const [i, j] = [lesion.centreLps[0] + 32, lesion.centreLps[1] + 40]; // the cohort's origin is (-32, -40, 100), 1 mm pixels
    // scroll the baseline (2 mm slices from z = 100) to the slice through the first lesion's centre
    const target = Math.round((lesion.centreLps[2] - 100) / 2);
    const start = (await panePosition(0)).k;
    for (let n = 0; n < Math.abs(start - target); n++) await page.click(`[data-testid=pane-0-${start > target ? 'up' : 'down'}]`);
    await expect.poll(async () => (await panePosition(0)).k, { timeout: POLL_MS }).toBe(target);
    const [p0, p1] = [await panePosition(0), await panePosition(1)];
    expect(p0.z).toBeCloseTo(lesion.centreLps[2], 6);
    expect(p1.z).toBeCloseTo(p0.z, 6);
    expect(p0.k - p1.k).toBe(SHIFT_SLICES);
    // both show the lesion (300 HU, bright) at its centre, and body (40 HU) beside it
    await expect.poll(() => paneGray(1, i, j), { timeout: POLL_MS }).toBeGreaterThan(200);
    expect(await paneGray(0, i, j)).toBeGreaterThan(200);
    expect(await paneGray(0, i, j - 12)).toBeLessThan(160);
    expect(await paneGray(1, i, j - 12)).toBeLessThan(160);
    // the lesion is ringed on both sides, and the matching table pairs the two rings' ids
    const ringIds = (side: number): Promise<string[]> =>
      page.locator(`[data-testid=pane-${side}-canvas-marks] [data-lesion]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-lesion')!));
    const [r0, r1] = [await ringIds(0), await ringIds(1)];
    expect(r0.length).toBe(1);
    expect(r1.length).toBe(1);
    expect(await page.locator(`[data-testid="match-${r0[0]}"]`).inputValue()).toBe(r1[0]);
    // scrolling the follow-up moves the baseline with it
    await page.click('[data-testid=pane-1-down]');
    await expect.poll(async () => (await panePosition(0)).k, { timeout: POLL_MS }).toBe(target + 1);
    expect((await panePosition(0)).z).toBeCloseTo((await panePosition(1)).z, 6);
    await page.locator('[data-testid=side-by-side]').screenshot({ path: path.join(OUT, 'side-by-side.png') });
  });

  it('lists a study edited after its measurement as not evaluable, and reports corrections of a study measured again', async () => {
    const { patients } = await rpc<{ patients: { studies: { series: { seriesId: number; seriesInstanceUid: string }[] }[] }[] }>('catalog.list', {});
    const t1Uid = truth.cases.find((c) => c.patientId === 'COH-001' && c.timepoint === 'T1')!.seriesInstanceUid;
    const t1 = patients[0].studies.flatMap((st) => st.series).find((s) => s.seriesInstanceUid === t1Uid)!;
    const { segmentations } = await rpc<{ segmentations: { segmentationId: number }[] }>('segmentations.list', { seriesId: t1.seriesId });
    const segmentationId = segmentations[0].segmentationId;
    // a small blob painted in a corner: the stored measurement no longer describes the label map
    await rpc('edit.open', { segmentationId });
    await rpc('edit.stroke', { segmentationId, stroke: { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[5, 5, 5]], radiusMm: 2, shape: 'sphere' } });
    await openTimeline();
    const row1 = page.locator('[data-testid=response-row]').nth(1);
    expect(await row1.getAttribute('data-response')).toBe('error');
    expect(await row1.textContent()).toContain('STALE_RESULT');
    expect(await page.locator('[data-testid=volume-point]').count()).toBe(1);
    expect(await page.locator('[data-testid=match-table]').count()).toBe(0);
    await page.screenshot({ path: path.join(OUT, 'timeline-stale.png'), fullPage: true });

    // measured again: evaluable, the blob is a new lesion (PD); the corrections made on the old run no longer apply
    await rpc('measure.segmentation', { segmentationId, connectivity: 6 });
    await openTimeline();
    expect(await responseOf(1)).toBe('PD');
    expect(await page.locator('[data-testid=outdated-edits]').textContent()).toMatch(/^2 matching correction/);
    expect(await page.locator('[data-testid=volume-point]').count()).toBe(2);
    await page.click('[data-testid=reset-matching]');
    await expect.poll(() => page.locator('[data-testid=outdated-edits]').count(), { timeout: POLL_MS }).toBe(0);
    expect(await responseOf(1)).toBe('PD');
  });
});
