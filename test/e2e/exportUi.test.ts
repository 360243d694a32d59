// Export from the UI end to end: `medseg serve` on a fresh DB, Debian Chromium via playwright-core. A label map is
// stored for the real CT (import + addFromNifti through the method table), then the Export… control writes it as
// DICOM SEG and as a PDF report into a temp folder the user typed; the files exist, are what they claim, and the UI
// lists exactly their paths. A relative folder is refused with its code. A CSV export carries the series' ruler in
// OUT.annotations.csv beside the measurements.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { POLL_MS, launchChromium, rpcClient, startServe } from '../helpers/e2eHarness.js';
import { pydicomValues } from '../helpers/exportChecks.js';
import { DATA_DIR, REPO_DIR } from '../helpers/paths.js';

const DATA = path.join(DATA_DIR, 'totalsegmentator_example');
const OUT = path.join(REPO_DIR, 'test-output', 'export');

let tmp: string;
let server: ChildProcess;
let serverUrl: URL;
let context: BrowserContext;
let page: Page;
let segmentationId = 0;
let rulerMm = 0;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-e2e-exp-'));
  mkdirSync(OUT, { recursive: true });
  ({ server, url: serverUrl } = await startServe(path.join(tmp, 'catalog.db')));
  const rpc = rpcClient(serverUrl);
  const imp = await rpc<{ seriesIds: number[] }>('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] });
  const seg = await rpc<{ segmentationId: number }>('segmentations.addFromNifti', {
    seriesId: imp.seriesIds[0],
    path: path.join(DATA, 'example_seg_dicom.nii.gz'),
    name: 'reference labels',
  });
  segmentationId = seg.segmentationId;
  // a stored ruler of the series: CSV exports carry it in OUT.annotations.csv
  const ruler = await rpc<{ result: { lengthMm: number } }>('annotations.create', {
    seriesId: imp.seriesIds[0],
    kind: 'ruler',
    pointsIjk: [
      [100, 200, 4],
      [300, 260, 4],
    ],
  });
  rulerMm = ruler.result.lengthMm;
  context = await launchChromium(path.join(tmp, 'profile'), { width: 1400, height: 900 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
}, 120_000);

afterAll(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function exportAs(format: string, folder: string): Promise<string[]> {
  await page.selectOption('[data-testid=export-format]', format);
  await page.fill('[data-testid=export-folder]', folder);
  await page.click('[data-testid=export-run]');
  await page.waitForSelector('[data-testid=export-files] li', { timeout: 60_000 });
  return page.$$eval('[data-testid=export-files] li', (lis) => lis.map((li) => li.textContent ?? ''));
}

describe('Export… in the browser', () => {
  it('writes the segmentation as DICOM SEG, PDF and CSV (with the annotations file) into the typed folder and lists the written paths', async () => {
    await page.goto(serverUrl.href);
    await page.waitForSelector('[data-testid=series-1]', { timeout: 60_000 });
    await page.click('[data-testid=series-1]');
    await page.waitForSelector('[data-testid=export-open]', { timeout: POLL_MS });
    await page.click('[data-testid=export-open]');
    expect(await page.$$eval('[data-testid=export-format] option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([
      'seg',
      'sr',
      'nifti',
      'seg.nrrd',
      'pdf',
      'csv',
      'json',
    ]);
    expect(await page.inputValue('[data-testid=export-segmentation]')).toBe(String(segmentationId));
    // browser mode has no native folder dialog (app.info.canPickPaths is false): the folder is typed, no "Choose…" button
    expect(await page.$$('[data-testid=export-choose]')).toHaveLength(0);

    const folder = path.join(tmp, 'exported');
    mkdirSync(folder);
    const segFiles = await exportAs('seg', folder);
    expect(segFiles).toEqual([path.join(folder, `segmentation-${segmentationId}.seg.dcm`)]);
    expect(existsSync(segFiles[0])).toBe(true);
    const d = pydicomValues(segFiles[0], ['Modality', 'SOPClassUID']);
    expect(d.Modality).toBe('SEG');
    expect(d.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4');

    const pdfFiles = await exportAs('pdf', folder);
    expect(pdfFiles.length).toBeGreaterThanOrEqual(1);
    for (const f of pdfFiles) {
      expect(path.dirname(f)).toBe(folder);
      expect(existsSync(f)).toBe(true);
    }
    const pdf = pdfFiles.find((f) => f.endsWith('.pdf'));
    expect(pdf).toBeDefined();
    expect(readFileSync(pdf!).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await page.screenshot({ path: path.join(OUT, 'export-pdf.png') });

    // a relative folder: refused with its code, nothing listed
    await page.fill('[data-testid=export-folder]', 'not/absolute');
    await page.click('[data-testid=export-run]');
    await page.waitForSelector('[data-testid=export-error]', { timeout: POLL_MS });
    expect(await page.textContent('[data-testid=export-error]')).toMatch(/^INVALID_INPUT: .*absolute/);
    expect(await page.$$('[data-testid=export-files] li')).toHaveLength(0);
    await page.screenshot({ path: path.join(OUT, 'export-error.png') });

    // CSV: the measurements and, beside them, the series' annotations (the ruler with the API's length)
    await page.selectOption('[data-testid=export-format]', 'csv');
    expect(await page.textContent('[data-testid=export-annotations-hint]')).toContain('.annotations.csv');
    const csvFiles = await exportAs('csv', folder);
    expect(csvFiles).toEqual([path.join(folder, `segmentation-${segmentationId}.csv`), path.join(folder, `segmentation-${segmentationId}.annotations.csv`)]);
    const [header, row] = readFileSync(csvFiles[1], 'utf8').trimEnd().split('\r\n');
    const cells = Object.fromEntries(header.split(',').map((h, n) => [h, row.split(',')[n]]));
    expect(cells.kind).toBe('ruler');
    expect(Number(cells.lengthMm)).toBe(rulerMm);
    expect(rulerMm).toBeGreaterThan(100);
  }, 240_000);
});
