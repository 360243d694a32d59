// Benchmark: DICOM SEG export of TotalSegmentator's 41-label map (example_seg.nii.gz) on the sample CT (example_ct_sm,
// written as a DICOM series by test/fixtures/make-dicom-series-from-nifti.py): seconds, and the SEG's size next to the
// label map's (raw uint8 and .nii.gz). Reference in the same run: writing the same map as .nii.gz.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExportContext } from '../../main/services/export/context.js';
import { buildSegDataset } from '../../main/services/export/dicomSeg.js';
import { encodePart10 } from '../../main/services/export/dicomTags.js';
import { exportFormat } from '../../main/services/export/formats.js';
import { DATA_DIR, REPO_DIR } from '../helpers/paths.js';

const TS = join(DATA_DIR, 'totalsegmentator_example');
const RUNS = 5;

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[RUNS >> 1];
}

export async function runSegExportBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medseg-segbench-'));
  try {
    const series = join(dir, 'ct');
    execFileSync('/usr/bin/python3', [join(REPO_DIR, 'test/fixtures/make-dicom-series-from-nifti.py'), join(TS, 'example_ct_sm.nii.gz'), series]);
    const t0 = performance.now();
    const ctx = await loadExportContext({ sourcePath: series, labels: join(TS, 'example_seg.nii.gz'), labelNamesPath: join(TS, 'labels_total.csv') });
    const tContext = (performance.now() - t0) / 1000;
    const seg = await exportFormat('seg');
    const nifti = await exportFormat('nifti');
    const segPath = join(dir, 'out.seg.dcm');
    const niiPath = join(dir, 'out.nii.gz');
    const tBuild = await median(async () => encodePart10(buildSegDataset(ctx).dataset));
    const tSeg = await median(() => seg.write(ctx, { outPath: segPath }));
    const tNii = await median(() => nifti.write(ctx, { outPath: niiPath }));
    const built = buildSegDataset(ctx);
    const segBytes = statSync(segPath).size;
    const niiBytes = statSync(niiPath).size;
    const raw = ctx.labelMap.labels.byteLength;
    console.log(
      `\n== DICOM SEG export: ${built.segments.length}-label map, ${ctx.labelMap.dims.join('x')} voxels, ${built.frames.length} frames, median of ${RUNS} ==`,
    );
    console.log(`(1-minute load average at the end: ${loadavg()[0].toFixed(1)}; the machine is shared, figures are under contention)`);
    console.log(['step', 'seconds', 'vs .nii.gz write'].join(' | '));
    console.log(['load context (DICOM series + NIfTI labels)', tContext.toFixed(3), ''].join(' | '));
    console.log(['build + encode SEG in memory', tBuild.toFixed(3), `${(tBuild / tNii).toFixed(2)}×`].join(' | '));
    console.log(['SEG written atomically', tSeg.toFixed(3), `${(tSeg / tNii).toFixed(2)}×`].join(' | '));
    console.log(['reference: same map as .nii.gz + sidecar', tNii.toFixed(3), '1.00×'].join(' | '));
    console.log(
      `sizes: SEG ${segBytes.toLocaleString('en')} B = ${(segBytes / raw).toFixed(2)}× the raw uint8 map (${raw.toLocaleString('en')} B), ` +
        `${(segBytes / niiBytes).toFixed(1)}× its .nii.gz (${niiBytes.toLocaleString('en')} B)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
