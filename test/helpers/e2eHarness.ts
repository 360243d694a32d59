// Shared set-up of the browser tests: start `medseg serve` on a fresh DB, launch Debian Chromium headless.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DATA_DIR, REPO_DIR } from './paths.js';

export const repo = REPO_DIR;

/** The flags this machine needs (no sandbox as root, no GPU, no background network traffic). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Generous: CI machines run several suites at once. */
export const POLL_MS = 15_000;

/** Starts `medseg serve` and resolves once it prints its one `medseg listening on URL` line. */
export function startServe(dbFile: string): Promise<{ server: ChildProcess; url: URL }> {
  const server = spawn(process.execPath, [path.join(repo, 'bin/medseg.js'), 'serve', '--db', dbFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    server.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const line = text.split('\n').find((l) => l.startsWith('medseg listening on '));
      if (line) resolve({ server, url: new URL(line.slice('medseg listening on '.length)) });
    });
    server.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    server.once('exit', (code) => reject(new Error(`medseg serve exited with ${code}: ${text}`)));
  });
}

/** WebGL without a GPU (the 3D view): software rendering through SwiftShader instead of --disable-gpu. */
export const WEBGL_CHROMIUM_ARGS = [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** Chromium with a fresh profile folder (webgl: SwiftShader WebGL for the 3D view). */
export function launchChromium(profileDir: string, viewport: { width: number; height: number }, options: { webgl?: boolean } = {}): Promise<BrowserContext> {
  const args = options.webgl ? WEBGL_CHROMIUM_ARGS : CHROMIUM_ARGS;
  return chromium.launchPersistentContext(profileDir, { executablePath: '/usr/bin/chromium', args, viewport });
}

export type Plane = 'axial' | 'coronal' | 'sagittal';
export type V3 = [number, number, number];

/** The reference grid's extent in LPS (voxel centres) and its spacing, from an independent reader. */
export interface ReferenceGrid {
  lpsMin: V3;
  lpsMax: V3;
  spacingLps: V3;
}

/**
 * Where an LPS point must appear on a view's canvas under the radiological convention (axial: right = L, down = P;
 * coronal: right = L, down = I; sagittal: right = P, down = I), fit to the canvas with equal mm per pixel in both
 * directions and centred; zoom scales about the canvas centre. Computed from the reference grid only, not from
 * the app's code.
 */
export function expectedCanvasPoint(grid: ReferenceGrid, plane: Plane, lps: V3, canvas: { width: number; height: number }, zoom = 1): { x: number; y: number } {
  const [h, v] = plane === 'axial' ? [0, 1] : plane === 'coronal' ? [0, 2] : [1, 2];
  const lo = (a: number): number => grid.lpsMin[a] - grid.spacingLps[a] / 2;
  const hi = (a: number): number => grid.lpsMax[a] + grid.spacingLps[a] / 2;
  const extH = hi(h) - lo(h);
  const extV = hi(v) - lo(v);
  const pxPerMm = Math.min(canvas.width / extH, canvas.height / extV);
  const left = (canvas.width - extH * pxPerMm) / 2;
  const top = (canvas.height - extV * pxPerMm) / 2;
  const fx = (lps[h] - lo(h)) / extH;
  // Down is +y (posterior) in axial, but down is -z (inferior) in coronal and sagittal.
  const fy = v === 1 ? (lps[v] - lo(v)) / extV : (hi(v) - lps[v]) / extV;
  const x = left + fx * extH * pxPerMm;
  const y = top + fy * extV * pxPerMm;
  return { x: canvas.width / 2 + (x - canvas.width / 2) * zoom, y: canvas.height / 2 + (y - canvas.height / 2) * zoom };
}

/** A view's canvas size (device pixels) and its position on the page. */
export function canvasOf(page: Page, plane: Plane): Promise<{ width: number; height: number; left: number; top: number }> {
  return page.evaluate((p) => {
    const c = document.querySelector<HTMLCanvasElement>(`[data-testid=view-${p}] canvas`)!;
    const r = c.getBoundingClientRect();
    return { width: c.width, height: c.height, left: r.left, top: r.top };
  }, plane);
}

/**
 * Starts recording every `value/max` a progress bar shows (attribute changes included); call the returned
 * function to read what was seen. The bar may appear and vanish between two polls, so polling would miss it.
 */
export async function recordProgressBar(page: Page, testId: string): Promise<() => Promise<string[]>> {
  await page.evaluate((id) => {
    const seen: string[] = [];
    (window as unknown as { progressSeen: Record<string, string[]> }).progressSeen ??= {};
    (window as unknown as { progressSeen: Record<string, string[]> }).progressSeen[id] = seen;
    new MutationObserver(() => {
      const bar = document.querySelector<HTMLProgressElement>(`[data-testid=${id}]`);
      if (bar) seen.push(`${bar.value}/${bar.max}`);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  }, testId);
  return () => page.evaluate((id) => (window as unknown as { progressSeen: Record<string, string[]> }).progressSeen[id], testId);
}

/** Calls the method table of a running `medseg serve` (the URL it printed, token included) as the page does. */
export function rpcClient(serveUrl: URL): <T>(method: string, input: unknown) => Promise<T> {
  const base = `http://127.0.0.1:${serveUrl.port}`;
  const token = serveUrl.searchParams.get('token') ?? '';
  return async <T>(method: string, input: unknown): Promise<T> => {
    const res = await fetch(`${base}/rpc/${method}`, { method: 'POST', body: JSON.stringify(input), headers: { Authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { ok: boolean; result: T; error?: { message: string } };
    if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
    return body.result;
  };
}

export interface BrowserSession {
  server: ChildProcess;
  url: URL;
  rpc: <T>(method: string, input: unknown) => Promise<T>;
  context: BrowserContext;
  page: Page;
}

/** `medseg serve` on a fresh DB in `tmp`, Chromium on its page, and `importPath` imported through the UI (series 1 listed). */
export async function startWithImport(
  tmp: string,
  importPath: string,
  viewport: { width: number; height: number },
  options: { webgl?: boolean } = {},
): Promise<BrowserSession> {
  const { server, url } = await startServe(path.join(tmp, 'catalog.db'));
  const context = await launchChromium(path.join(tmp, 'profile'), viewport, options);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
  await page.goto(url.href);
  await page.fill('[data-testid=import-path]', importPath);
  await page.click('[data-testid=import-button]');
  await page.waitForSelector('[data-testid=series-1]', { timeout: 60_000 });
  return { server, url, rpc: rpcClient(url), context, page };
}

/** Closes what startWithImport opened (Chromium, the server) and removes `tmp`; each part may be missing after a failed start. */
export async function stopSession(context: BrowserContext | undefined, server: ChildProcess | undefined, tmp: string | undefined): Promise<void> {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

/** A reference grid with a deep-liver point (LPS mm). */
export interface LiverReferenceGrid extends ReferenceGrid {
  liverLps: V3;
}

/** dcm2niix + nibabel: the CT grid's LPS extent and spacing, and a deep-liver point (test/reference/viewerReference.py on `dataDir`). */
export function liverReferenceGrid(dataDir: string, tmp: string): LiverReferenceGrid {
  const script = path.join(REPO_DIR, 'test/reference/viewerReference.py');
  return JSON.parse(execFileSync('/usr/bin/python3', [script, dataDir, tmp], { encoding: 'utf8' })) as LiverReferenceGrid;
}

/** Opens series 1 and waits until its axial view has rendered an image. */
export async function openSeries1(page: Page): Promise<void> {
  await page.click('[data-testid=series-1]');
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=view-axial]')?.dataset.renderedImageId, null, { timeout: 60_000 });
}

/** Opens series 1 and adds a NIfTI label map with its label table through the UI; waits until the legend names `expectLabel`. */
export async function openSeriesWithLabelMap(page: Page, niftiPath: string, labelTablePath: string, expectLabel: string): Promise<void> {
  await openSeries1(page);
  await page.fill('[data-testid=nifti-path]', niftiPath);
  await page.fill('[data-testid=label-table-path]', labelTablePath);
  await page.click('[data-testid=add-nifti]');
  await page.waitForSelector(`[data-testid=legend-1] >> text=${expectLabel}`, { timeout: 60_000 });
}

/** The TotalSegmentator example in the shared data: a CT DICOM series, its label map (NIfTI) and label table. */
export const SAMPLE_DIR = path.join(DATA_DIR, 'totalsegmentator_example');
export const SAMPLE_SEG = path.join(SAMPLE_DIR, 'example_seg_dicom.nii.gz');
export const SAMPLE_LABELS = path.join(SAMPLE_DIR, 'labels_total.csv');

export interface SampleCtSession extends BrowserSession {
  tmp: string;
  grid: LiverReferenceGrid;
}

/**
 * A fresh temporary folder named `tmpPrefix…` and `outDir` for screenshots; `medseg serve` and Chromium on it with the
 * sample CT imported and series 1 open (with the sample label map when `labelMap`, waiting for the liver in the legend);
 * the reference grid of that CT. Whatever was started is stopped again if a step fails.
 */
export async function startOnSampleCt(
  tmpPrefix: string,
  outDir: string,
  viewport: { width: number; height: number },
  options: { webgl?: boolean; labelMap?: boolean } = {},
): Promise<SampleCtSession> {
  const tmp = mkdtempSync(path.join(tmpdir(), tmpPrefix));
  mkdirSync(outDir, { recursive: true });
  let session: BrowserSession | undefined;
  try {
    session = await startWithImport(tmp, path.join(SAMPLE_DIR, 'example_ct_dicom'), viewport, { webgl: options.webgl });
    if (options.labelMap) await openSeriesWithLabelMap(session.page, SAMPLE_SEG, SAMPLE_LABELS, 'liver');
    else await openSeries1(session.page);
    return { ...session, tmp, grid: liverReferenceGrid(SAMPLE_DIR, tmp) };
  } catch (e) {
    await stopSession(session?.context, session?.server, tmp);
    throw e;
  }
}
