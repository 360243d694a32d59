// The body-composition panel end to end: `medseg serve` on a fresh DB, Debian Chromium via playwright-core. The
// TotalSegmentator example CT written as DICOM (test/fixtures/make-dicom-series-from-nifti.py) with its tissue_types
// masks (one map) and 41-organ map stored as segmentations; the default slice (L3, which this scan does not reach) is
// refused with its code, L1 shows per level the tissue mL and band and on the slice area cm² and mean HU equal to
// bodycomp.compute's, and "go to slice" moves the viewer's crosshair to that slice. Screenshots in test-output/bodycomp/.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { readNamedLabels } from '../../main/services/measure/bodyComposition.js';
import { writeNifti } from '../../main/services/nifti/nifti.js';
import type { MethodOutput } from '../../shared/ipc/contract.js';
import { POLL_MS, launchChromium, rpcClient, startServe } from '../helpers/e2eHarness.js';
import { DATA_DIR, REPO_DIR } from '../helpers/paths.js';

const TS = path.join(DATA_DIR, 'totalsegmentator_example');
const OUT = path.join(REPO_DIR, 'test-output', 'bodycomp');

let tmp: string;
let server: ChildProcess;
let serverUrl: URL;
let context: BrowserContext;
let page: Page;
let expected: MethodOutput<'bodycomp.compute'>;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-e2e-bodycomp-'));
  mkdirSync(OUT, { recursive: true });
  const ct = path.join(tmp, 'ct');
  execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/fixtures/make-dicom-series-from-nifti.py'), path.join(TS, 'example_ct_sm.nii.gz'), ct]);
  const merged = await readNamedLabels(path.join(TS, 'example_seg_tissue_types'));
  const tissuesNii = path.join(tmp, 'tissues.nii.gz');
  await writeNifti(tissuesNii, { ...merged.grid, voxels: merged.grid.labels }, { labels: true, geometry: merged.geometryReport });
  const tissueNames = path.join(tmp, 'tissues.csv');
  writeFileSync(tissueNames, [...merged.names].map(([v, n]) => `${v},${n}`).join('\n') + '\n');
  ({ server, url: serverUrl } = await startServe(path.join(tmp, 'catalog.db')));
  const rpc = rpcClient(serverUrl);
  const seriesId = (await rpc<{ seriesIds: number[] }>('import.paths', { paths: [ct] })).seriesIds[0];
  const vertebrae = await rpc<{ segmentationId: number }>('segmentations.addFromNifti', {
    seriesId,
    path: path.join(TS, 'example_seg.nii.gz'),
    labelTablePath: path.join(TS, 'labels_total.csv'),
    name: 'total',
  });
  const tissues = await rpc<{ segmentationId: number }>('segmentations.addFromNifti', {
    seriesId,
    path: tissuesNii,
    labelTablePath: tissueNames,
    name: 'tissues',
  });
  expected = await rpc('bodycomp.compute', {
    seriesId,
    tissuesSegmentationId: tissues.segmentationId,
    vertebraeSegmentationId: vertebrae.segmentationId,
    slice: { level: 'L1' },
  });
  context = await launchChromium(path.join(tmp, 'profile'), { width: 1400, height: 1000 });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
}, 180_000);

afterAll(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('body composition panel', () => {
  it('refuses L3 with its code, shows L1 figures equal to the method, and goes to the slice', async () => {
    await page.goto(serverUrl.href);
    await page.waitForSelector('[data-testid=series-1]', { timeout: 60_000 });
    await page.click('[data-testid=series-1]');
    await page.waitForSelector('[data-testid=bodycomp-panel]', { timeout: POLL_MS });
    // defaults: the map with tissue names, the other map for the vertebrae
    expect(await page.$eval('[data-testid=bodycomp-tissues]', (s) => (s as HTMLSelectElement).selectedOptions[0]!.textContent)).toMatch(/tissues/);
    expect(await page.$eval('[data-testid=bodycomp-vertebrae]', (s) => (s as HTMLSelectElement).selectedOptions[0]!.textContent)).toMatch(/total/);
    expect(await page.inputValue('[data-testid=bodycomp-slice]')).toBe('L3');
    await page.click('[data-testid=bodycomp-run]');
    await page.waitForSelector('[data-testid=bodycomp-error]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=bodycomp-error]')).toMatch(/^NOT_FOUND: Vertebra L3 .*levels found: T11, T12, L1, L2/);
    await page.fill('[data-testid=bodycomp-slice]', 'L1');
    await page.click('[data-testid=bodycomp-run]');
    await page.waitForSelector('[data-testid=bodycomp-result]', { timeout: 60_000 });
    expect(await page.$$('[data-testid=bodycomp-error]')).toHaveLength(0);

    expect(expected.slice.level).toBe('L1');
    expect(await page.textContent('[data-testid=bodycomp-slice-heading]')).toContain(`slice k=${expected.slice.k} (L1)`);
    for (const t of expected.slice.tissues) {
      const row = `[data-testid=bodycomp-slice-${t.name}]`;
      expect(await page.textContent(`${row} [data-testid=area]`)).toBe(t.areaCm2.toFixed(2));
      expect(await page.textContent(`${row} [data-testid=mean]`)).toBe(t.meanHu!.toFixed(1));
    }
    expect(expected.levels.map((l) => l.level)).toEqual(['T11', 'T12', 'L1', 'L2']);
    for (const l of expected.levels)
      for (const t of l.tissues) {
        const row = `[data-testid=bodycomp-level-${l.level}-${t.name}]`;
        expect(await page.textContent(`${row} [data-testid=ml]`)).toBe(t.volumeMl.toFixed(1));
        expect(await page.textContent(`${row} [data-testid=band]`)).toBe(`${t.volumeMlLower.toFixed(1)}–${t.volumeMlUpper.toFixed(1)}`);
      }
    expect(await page.textContent('[data-testid=bodycomp-level-L2]')).toContain('cut by the scan');

    // go to slice: the crosshair's k becomes the slice's
    await page.waitForSelector('[data-testid=viewer][data-loading=false]', { timeout: 60_000 });
    const kOf = async (): Promise<number> => Number(((await page.getAttribute('[data-testid=viewer]', 'data-crosshair')) ?? '').split(',')[2]);
    await page.click('[data-testid=bodycomp-goto]');
    await page.waitForFunction(
      (k) => document.querySelector('[data-testid=viewer]')?.getAttribute('data-crosshair')?.split(',')[2] === String(k),
      expected.slice.k,
      { timeout: POLL_MS },
    );
    expect(await kOf()).toBe(expected.slice.k);
    await page.screenshot({ path: path.join(OUT, 'bodycomp-page.png') });
    await page.locator('[data-testid=bodycomp-panel]').screenshot({ path: path.join(OUT, 'bodycomp-panel.png') });
  }, 180_000);
});
