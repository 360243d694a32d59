// Drawing tools of the 2D views end to end in Debian Chromium: `medseg serve` on a fresh DB and the real CT. Points are
// placed from the dcm2niix/nibabel grid (test/reference/viewerReference.py), not from the app's code. An angle
// clicked on a right angle reads 90°; an ellipse dragged corner to corner and a traced freehand outline are stored
// with the count/mean/SD numpy finds on the same voxel centres (test/reference/roiReference.py); a text note is
// typed in place; all four are drawn on their slice only, survive a reload, the list jumps to their slice, and
// deleting them is stored; the "?" overlay lists their keys. Screenshots in test-output/reading.
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
  type Plane,
  type V3,
} from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';

const DATA = SAMPLE_DIR;
const OUT = path.join(REPO_DIR, 'test-output', 'reading');

interface Roi {
  sliceAxis: number;
  sliceIndex: number;
  voxelCount: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
  areaMm2: number;
  unit: string;
}
interface Annotation {
  annotationId: number;
  kind: string;
  pointsIjk: V3[];
  pointsLps: V3[];
  text: string | null;
  result: { angleDeg?: number | null; roi?: Roi };
}
interface RoiReference {
  count: number;
  mean: number;
  sd: number;
  areaMm2: number;
}

let tmp: string;
let server: ChildProcess;
let context: BrowserContext;
let page: Page;
let rpc: <T>(method: string, input: unknown) => Promise<T>;
let grid: LiverReferenceGrid;
/** The liver's axial slice as the view numbers it (1-based). */
let liverSlice: number;

const list = async (): Promise<Annotation[]> => (await rpc<{ annotations: Annotation[] }>('annotations.list', { seriesId: 1 })).annotations;
const at = (dx: number, dy: number, dz = 0): V3 => [grid.liverLps[0] + dx, grid.liverLps[1] + dy, grid.liverLps[2] + dz];
const dist = (a: V3, b: V3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

function roiReference(pointsLps: V3[], shape: 'ellipse' | 'polygon'): RoiReference {
  const args = [path.join(REPO_DIR, 'test/reference/roiReference.py'), DATA, tmp, JSON.stringify(pointsLps), shape];
  return JSON.parse(execFileSync('/usr/bin/python3', args, { encoding: 'utf8' })) as RoiReference;
}

/** The view 1×1, reset (the pointer over it makes it the active one). */
async function single(plane: Plane): Promise<void> {
  await page.hover(`[data-testid=view-${plane}]`);
  await page.click('[data-testid=layout-1x1]');
  await page.hover(`[data-testid=view-${plane}]`);
  await page.keyboard.press('r');
}

async function axialSliceShown(): Promise<number> {
  return Number(((await page.textContent('[data-testid=slice-axial]')) ?? '').split('/')[0]);
}

/** The axial view 1×1 on the liver's slice (by keyboard: a click would move the crosshair). */
async function toLiverSlice(): Promise<void> {
  await single('axial');
  const now = await axialSliceShown();
  for (let n = 0; n < Math.abs(liverSlice - now); n++) await page.keyboard.press(liverSlice > now ? 'ArrowUp' : 'ArrowDown');
  await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(`${liverSlice}/20`);
}

/** Page position of an LPS point on a view. */
async function pagePoint(plane: Plane, lps: V3): Promise<{ x: number; y: number }> {
  const c = await canvasOf(page, plane);
  const p = expectedCanvasPoint(grid, plane, lps, c);
  return { x: c.left + p.x, y: c.top + p.y };
}

/** Pixels of the annotation colour (#7cf29a, or the selection's #ff9d2e) on a view's canvas: the drawn annotations. */
function annotationPixels(plane: Plane): Promise<number> {
  return page.evaluate((p) => {
    const c = document.querySelector<HTMLCanvasElement>(`[data-testid=view-${p}] canvas`)!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let q = 0; q < d.length; q += 4) {
      const near = (r: number, g: number, b: number): boolean => Math.abs(d[q]! - r) < 40 && Math.abs(d[q + 1]! - g) < 40 && Math.abs(d[q + 2]! - b) < 40;
      if (near(124, 242, 154) || near(255, 157, 46)) n++;
    }
    return n;
  }, plane);
}

/** Waits for the annotation list to hold `n` entries and returns the stored annotations. */
async function storedCount(n: number): Promise<Annotation[]> {
  await expect.poll(() => page.locator('[data-testid=annotation-list] li').count(), { timeout: POLL_MS }).toBe(n);
  const stored = await list();
  expect(stored).toHaveLength(n);
  return stored;
}

beforeAll(async () => {
  ({ tmp, server, rpc, context, page, grid } = await startOnSampleCt('medseg-e2e-annotations-', OUT, { width: 1400, height: 900 }));
  liverSlice = Math.round((grid.liverLps[2] - grid.lpsMin[2]) / grid.spacingLps[2]) + 1;
}, 240_000);

afterAll(() => stopSession(context, server, tmp));

describe('drawing tools in the 2D views', () => {
  const ids: Record<string, number> = {};

  it('an angle clicked on a right angle (80 mm arms along L and P, vertex second) reads 90.0° ± 0.5, shown and stored; Esc cancels one half drawn', async () => {
    await toLiverSlice();
    const before = await annotationPixels('axial');
    const a = await pagePoint('axial', at(80, 0));
    const v = await pagePoint('axial', at(0, 0));
    const c = await pagePoint('axial', at(0, 80));
    await page.keyboard.press('a');
    expect(await page.getAttribute('[data-testid=tool-angle]', 'class')).toBe('on');
    // Two clicks, then Esc: nothing is stored, and the next three clicks make one angle.
    await page.mouse.click(a.x, a.y);
    await page.mouse.click(v.x, v.y);
    await page.keyboard.press('Escape');
    await page.mouse.click(c.x, c.y);
    await page.waitForTimeout(300);
    expect(await list()).toEqual([]);
    await page.keyboard.press('Escape');
    await page.mouse.click(a.x, a.y);
    await page.mouse.click(v.x, v.y);
    await page.mouse.click(c.x, c.y);
    const [angle] = await storedCount(1);
    expect(angle!.kind).toBe('angle');
    ids.angle = angle!.annotationId;
    expect(Math.abs(angle!.result.angleDeg! - 90)).toBeLessThanOrEqual(0.5);
    // The vertex is the middle point, where it was clicked (half a screen pixel ≈ 0.3 mm here).
    expect(dist(angle!.pointsLps[1]!, at(0, 0))).toBeLessThan(1);
    const shown = (await page.textContent(`[data-testid=annotation-${ids.angle}-text]`)) ?? '';
    expect(shown).toBe(`angle ${angle!.result.angleDeg!.toFixed(1)}°`);
    // Drawn on the image (the arms and the figure in the annotation colour).
    await expect.poll(() => annotationPixels('axial'), { timeout: POLL_MS }).toBeGreaterThan(before + 150);
  }, 120_000);

  it('an ellipse dragged corner to corner stores the count/mean/SD numpy finds for the same corners', async () => {
    await page.click('[data-testid=tool-ellipse]');
    const p = await pagePoint('axial', at(-25, 20));
    const q = await pagePoint('axial', at(5, 40));
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    for (let s = 1; s <= 10; s++) await page.mouse.move(p.x + ((q.x - p.x) * s) / 10, p.y + ((q.y - p.y) * s) / 10);
    await page.mouse.up();
    const stored = await storedCount(2);
    const ellipse = stored.find((x) => x.kind === 'ellipse')!;
    ids.ellipse = ellipse.annotationId;
    expect(dist(ellipse.pointsLps[0]!, at(-25, 20))).toBeLessThan(1);
    expect(dist(ellipse.pointsLps[1]!, at(5, 40))).toBeLessThan(1);
    const ref = roiReference(ellipse.pointsLps, 'ellipse');
    const roi = ellipse.result.roi!;
    expect(roi.unit).toBe('HU');
    expect(roi.sliceAxis).toBe(2);
    expect(roi.voxelCount).toBe(ref.count);
    expect(roi.mean).toBeCloseTo(ref.mean, 6);
    expect(roi.sd).toBeCloseTo(ref.sd, 6);
    expect(roi.areaMm2).toBeCloseTo(ref.areaMm2, 6);
    // A 30 × 20 mm box: π·15·10 mm², within the half-pixel placement of the corners.
    expect(Math.abs(roi.areaMm2 / (Math.PI * 150) - 1)).toBeLessThan(0.05);
    const line = (await page.textContent(`[data-testid=annotation-${ids.ellipse}-text]`)) ?? '';
    expect(line).toContain(`mean ${roi.mean.toFixed(1)} ± ${roi.sd.toFixed(1)} HU, ${roi.areaMm2.toFixed(1)} mm² (${roi.voxelCount} voxels`);
    expect(line).toContain(`min ${roi.min} / max ${roi.max} HU`);
  }, 120_000);

  it('a freehand outline traced round a 12 mm circle is closed, thinned, and its statistics are numpy’s', async () => {
    await page.keyboard.press('f');
    const centre = at(-45, -20);
    const steps = 90;
    const c = await canvasOf(page, 'axial');
    const trace: { x: number; y: number }[] = [];
    for (let s = 0; s <= steps; s++) {
      const t = (2 * Math.PI * s) / steps;
      const p = expectedCanvasPoint(grid, 'axial', [centre[0] + 12 * Math.cos(t), centre[1] + 12 * Math.sin(t), centre[2]], c);
      trace.push({ x: c.left + p.x, y: c.top + p.y });
    }
    await page.mouse.move(trace[0]!.x, trace[0]!.y);
    await page.mouse.down();
    for (const p of trace.slice(1)) await page.mouse.move(p.x, p.y);
    await page.mouse.up();
    const stored = await storedCount(3);
    const free = stored.find((x) => x.kind === 'freehand')!;
    ids.freehand = free.annotationId;
    // Thinned: fewer points than were traced, still enough to follow the circle.
    expect(free.pointsIjk.length).toBeLessThan(steps);
    expect(free.pointsIjk.length).toBeGreaterThanOrEqual(8);
    for (const p of free.pointsLps) expect(Math.abs(dist(p, centre) - 12)).toBeLessThan(1);
    const ref = roiReference(free.pointsLps, 'polygon');
    const roi = free.result.roi!;
    expect(roi.voxelCount).toBe(ref.count);
    expect(roi.mean).toBeCloseTo(ref.mean, 6);
    expect(roi.sd).toBeCloseTo(ref.sd, 6);
    expect(roi.areaMm2).toBeCloseTo(ref.areaMm2, 6);
    expect(Math.abs(roi.areaMm2 / (Math.PI * 144) - 1)).toBeLessThan(0.06);
  }, 120_000);

  it('a text note is typed where it was clicked; the four are drawn on their slice only', async () => {
    await page.click('[data-testid=tool-text]');
    const p = await pagePoint('axial', at(20, -40));
    await page.mouse.click(p.x, p.y);
    const input = await page.waitForSelector('[data-testid=annotation-text-input-axial]', { timeout: POLL_MS });
    await input.type('cyst? compare with prior');
    await page.keyboard.press('Enter');
    const stored = await storedCount(4);
    const note = stored.find((x) => x.kind === 'text')!;
    ids.text = note.annotationId;
    expect(note.text).toBe('cyst? compare with prior');
    expect(dist(note.pointsLps[0]!, at(20, -40))).toBeLessThan(1);
    expect(await page.textContent(`[data-testid=annotation-${ids.text}-text]`)).toBe('“cyst? compare with prior”');
    await page.keyboard.press('t');
    expect(await page.getAttribute('[data-testid=tool-text]', 'class')).toBe('');
    await page.mouse.move(0, 0);
    const onSlice = await annotationPixels('axial');
    await page.screenshot({ path: path.join(OUT, 'annotations-drawn.png') });
    await page.hover('[data-testid=view-axial]');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.textContent('[data-testid=slice-axial]'), { timeout: POLL_MS }).toBe(`${liverSlice + 1}/20`);
    await expect.poll(() => annotationPixels('axial'), { timeout: POLL_MS }).toBe(0);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => annotationPixels('axial'), { timeout: POLL_MS }).toBe(onSlice);
    // The "?" overlay lists the drawing keys.
    await page.keyboard.press('?');
    const overlay = (await page.waitForSelector('[data-testid=shortcuts-overlay]', { timeout: POLL_MS }).then((e) => e.textContent())) ?? '';
    for (const line of ['Aangle: three clicks', 'Eellipse ROI: drag corner to corner', 'Ffreehand ROI: press, trace', 'Ttext: click, type', 'Esccancel'])
      expect(overlay).toContain(line);
    await page.keyboard.press('Escape');
  }, 120_000);

  it('after a reload all four are listed and drawn again; a click in the list goes to its slice; deleting them is stored', async () => {
    const before = await list();
    await page.reload();
    await openSeries1(page);
    await expect.poll(() => page.locator('[data-testid=annotation-list] li').count(), { timeout: POLL_MS }).toBe(4);
    for (const a of before) expect(await page.textContent(`[data-testid=annotation-${a.annotationId}-text]`)).toMatch(/\S/);
    await single('axial');
    for (let n = 0; n < 3; n++) await page.keyboard.press('ArrowUp');
    await expect.poll(axialSliceShown, { timeout: POLL_MS }).toBe(liverSlice + 3);
    await page.click(`[data-testid=annotation-${ids.ellipse}-text]`);
    await expect.poll(axialSliceShown, { timeout: POLL_MS }).toBe(liverSlice);
    await page.mouse.move(0, 0);
    await expect.poll(() => annotationPixels('axial'), { timeout: POLL_MS }).toBeGreaterThan(500);
    await page.screenshot({ path: path.join(OUT, 'annotations-after-reload.png') });
    expect(await list()).toEqual(before);

    for (const id of Object.values(ids)) await page.click(`[data-testid=annotation-${id}-delete]`);
    await expect.poll(() => page.locator('[data-testid=annotation-list]').count(), { timeout: POLL_MS }).toBe(0);
    expect(await list()).toEqual([]);
    await expect.poll(() => annotationPixels('axial'), { timeout: POLL_MS }).toBe(0);
    await page.reload();
    await openSeries1(page);
    await page.waitForTimeout(500);
    expect(await page.locator('[data-testid=annotation-list]').count()).toBe(0);
  }, 120_000);

  it('the coronal view draws an ellipse too: its statistics are taken on the coronal slice, as numpy finds them', async () => {
    // A click on the axial view puts the crosshair (and the coronal slice) on the liver point.
    await page.click('[data-testid=layout-1x3]');
    await toLiverSlice();
    await page.click('[data-testid=layout-1x3]');
    const liver = await pagePoint('axial', at(0, 0));
    await page.mouse.click(liver.x, liver.y);
    await single('coronal');
    await page.click('[data-testid=tool-ellipse]');
    const p = await pagePoint('coronal', at(-15, 0, -6));
    const q = await pagePoint('coronal', at(15, 0, 6));
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    for (let s = 1; s <= 6; s++) await page.mouse.move(p.x + ((q.x - p.x) * s) / 6, p.y + ((q.y - p.y) * s) / 6);
    await page.mouse.up();
    const [ellipse] = await storedCount(1);
    const roi = ellipse!.result.roi!;
    expect(roi.sliceAxis).toBe(1);
    const ref = roiReference(ellipse!.pointsLps, 'ellipse');
    expect(roi.voxelCount).toBe(ref.count);
    expect(roi.mean).toBeCloseTo(ref.mean, 6);
    expect(roi.sd).toBeCloseTo(ref.sd, 6);
    await page.mouse.move(0, 0);
    await expect.poll(() => annotationPixels('coronal'), { timeout: POLL_MS }).toBeGreaterThan(100);
    await page.screenshot({ path: path.join(OUT, 'annotation-coronal.png') });
  }, 120_000);
});
