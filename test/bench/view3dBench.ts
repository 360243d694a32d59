// Benchmark: the 3D view in Debian Chromium with SOFTWARE WebGL (SwiftShader; no GPU here) — frame time while the
// view turns (turntable, 2° a frame) over the 31 label surfaces of the TotalSegmentator map of example_ct_dicom, then
// with bone volume rendering on as well; time from "2×2" to the surfaces on screen; the page's JS heap.
/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, rpcClient, startServe } from '../helpers/e2eHarness.js';
import { REPO_DIR } from '../helpers/paths.js';

const DATA = resolve(REPO_DIR, '../shared/data/totalsegmentator_example');
const SPIN_MS = 6000;

/** Turntable for SPIN_MS; the page reports the median interval between its last frames. */
async function spinFigures(page: Page): Promise<{ frames: number; meanFrameMs: number; medianFrameMs: number }> {
  const host = '[data-testid=view-3d]';
  const before = Number(await page.getAttribute(host, 'data-renders'));
  const t0 = Date.now();
  await page.click('[data-testid=view3d-spin]');
  await page.waitForTimeout(SPIN_MS);
  await page.click('[data-testid=view3d-spin]');
  const elapsed = Date.now() - t0;
  const frames = Number(await page.getAttribute(host, 'data-renders')) - before;
  const medianFrameMs = Number(await page.getAttribute(host, 'data-frame-ms-median'));
  return { frames, meanFrameMs: elapsed / Math.max(1, frames), medianFrameMs };
}

export async function runView3dBench(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-view3d-'));
  const { server, url } = await startServe(join(tmp, 'cat.db'));
  const context = await launchChromium(join(tmp, 'profile'), { width: 1400, height: 900 }, { webgl: true });
  try {
    const rpc = rpcClient(url);
    await rpc('import.paths', { paths: [join(DATA, 'example_ct_dicom')] });
    await rpc('segmentations.addFromNifti', { seriesId: 1, path: join(DATA, 'example_seg_dicom.nii.gz'), labelTablePath: join(DATA, 'labels_total.csv') });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url.href);
    await page.click('[data-testid=series-1]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=view-axial]')?.dataset.renderedImageId, null, { timeout: 60_000 });
    const t0 = Date.now();
    await page.click('[data-testid=layout-2x2]');
    await page.waitForFunction(() => (document.querySelector<HTMLElement>('[data-testid=view-3d]')?.dataset.surfaces ?? '').length > 0, null, {
      timeout: 300_000,
    });
    const surfacesShownMs = Date.now() - t0;
    const surfaceCount = ((await page.getAttribute('[data-testid=view-3d]', 'data-surfaces')) ?? '').split(',').length;
    // Same request as the view's (cached by the server): how many triangles the view draws.
    const meshes = await rpc<{ labels: { triangles: number }[] }>('planning.mesh', { segmentationId: 1, targetTriangles: 20_000 });
    const triangles = meshes.labels.reduce((sum, l) => sum + l.triangles, 0);
    await page.mouse.move(0, 0);
    const surfaces = await spinFigures(page);
    await page.selectOption('[data-testid=view3d-preset]', 'bone');
    const withVolume = await spinFigures(page);
    const heapMb = await page.evaluate(() => ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? NaN) / 2 ** 20);
    const figures = {
      software: 'SwiftShader WebGL (no GPU)',
      surfaceCount,
      triangles,
      surfacesShownMs,
      surfaces,
      withBoneVolume: withVolume,
      jsHeapMb: heapMb,
    };
    console.log(
      `view3d (software WebGL): ${surfaceCount} surfaces (${triangles} triangles) on screen ${surfacesShownMs} ms after 2×2 (server meshes them first); ` +
        `turning: ${surfaces.meanFrameMs.toFixed(0)} ms a frame on average, median ${surfaces.medianFrameMs} ms (${surfaces.frames} frames in ${SPIN_MS / 1000} s), ` +
        `with bone volume rendering ${withVolume.meanFrameMs.toFixed(0)} ms (median ${withVolume.medianFrameMs} ms, ${withVolume.frames} frames); JS heap ${heapMb.toFixed(0)} MB`,
    );
    const out = join(REPO_DIR, 'test-output', 'bench');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'view3d.json'), JSON.stringify(figures, null, 2));
  } finally {
    await context.close();
    server.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}
