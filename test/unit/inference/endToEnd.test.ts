// End to end on real data: `medseg segment` with the bundled abdomen-ct model on the TotalSegmentator example
// DICOM series (a series the model never saw in training), liver checked against TotalSegmentator's own labels.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sameGrid, voxelVolumeMl } from '../../../shared/domain/volume.js';
import { readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { resampleLabelsNearest } from '../../../shared/domain/resample.js';
import { openDatabase } from '../../../main/db/database.js';
import { listSegmentations, loadSegmentation } from '../../../main/db/segmentations.js';
import { command as segment } from '../../../main/headless/commands/segment.js';
import { command as models } from '../../../main/headless/commands/models.js';
import { resolveModel } from '../../../main/services/inference/registry.js';
import { segmentSeries } from '../../../main/services/inference/segmentSeries.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';
import { labelDice } from '../../helpers/labelDice.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
const MODELS = `${REPO_DIR}/models`;
/** Measured on this series with abdomen-ct 0.1.0 (see models/abdomen-ct/MODEL_CARD.md); the bar sits below it. */
const LIVER_DICE_BAR = 0.9;
const TS_LIVER = 5;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) }, out, err };
}

describe('medseg segment with abdomen-ct on example_ct_dicom', () => {
  it('writes the label map on the series grid, reports the contract JSON, stores it, and finds the liver', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-seg-'));
    const out = path.join(dir, 'seg.nii.gz');
    const dbFile = path.join(dir, 'catalog.db');
    const c = capture();
    const series = path.join(DATA, 'example_ct_dicom');
    const code = await segment.run([series, '--model', 'abdomen-ct', '--device', 'cpu', '--threads', '2', '-o', out, '--db', dbFile, '--json'], c.io);
    expect(c.err.join('')).not.toMatch(/error/i);
    expect(code).toBe(0);
    const report = JSON.parse(c.out.join(''));
    expect(Object.keys(report).sort()).toEqual(['executionProvider', 'fallbacks', 'labels', 'model', 'seconds', 'modalityCheck', 'stored'].sort());
    expect(report.modalityCheck).toMatchObject({ seriesModality: 'CT', modelModality: 'CT', mismatchAllowed: false, mismatch: null });
    const sha = createHash('sha256')
      .update(readFileSync(path.join(MODELS, 'abdomen-ct/model.onnx')))
      .digest('hex');
    expect(report.model).toEqual({ id: 'abdomen-ct', version: '0.1.0', sha256: sha });
    expect(report.executionProvider).toBe('cpu');
    expect(report.fallbacks).toEqual([]);
    expect(report.labels.map((l: { name: string }) => l.name)).toEqual(['liver', 'spleen', 'kidney_right', 'kidney_left', 'pancreas', 'aorta', 'liver_tumor']);

    const input = await loadVolumeFromPath(series);
    const written = await readNiftiLabels(out);
    expect(sameGrid(written, input.volume, 1e-3)).toBe(true);
    // the reference NIfTI (dcm2niix order) stores rows bottom-up: same voxel centres, another order; map it over
    const ref = await readNiftiLabels(path.join(DATA, 'example_seg_dicom.nii.gz'));
    const refOnSeries = resampleLabelsNearest({ ...ref, labels: Uint8Array.from(ref.labels) }, input.volume);
    const count = (a: ArrayLike<number>, v: number) => Array.prototype.filter.call(a, (x: number) => x === v).length;
    expect(count(refOnSeries, TS_LIVER)).toBe(count(ref.labels, TS_LIVER)); // a permutation, nothing lost or doubled
    const liverDice = labelDice(written.labels, 1, refOnSeries, TS_LIVER) ?? NaN; // NaN (no liver on either side) fails the bar
    console.log(`abdomen-ct liver Dice on example_ct_dicom vs TotalSegmentator: ${liverDice.toFixed(3)} in ${report.seconds.toFixed(1)} s`);
    expect(liverDice).toBeGreaterThan(LIVER_DICE_BAR);
    console.log(report.labels.map((l: { name: string; volumeMl: number }) => `${l.name} ${l.volumeMl.toFixed(1)} mL`).join(', '));
    // this series has no tumour: 4.9 mL of false tumour was measured (MODEL_CARD.md); without the inside-liver
    // rule it was ~49 mL. The bar catches that regression, not a clinical standard.
    expect(report.labels.find((l: { name: string }) => l.name === 'liver_tumor').volumeMl).toBeLessThan(10);
    // the reported mL are voxel counts times the voxel volume of the series grid
    const liver = report.labels.find((l: { name: string }) => l.name === 'liver');
    let liverVoxels = 0;
    for (const v of written.labels) if (v === 1) liverVoxels++;
    expect(liver.voxels).toBe(liverVoxels);
    expect(liver.volumeMl).toBeCloseTo(liverVoxels * voxelVolumeMl(input.volume), 6);

    const db = openDatabase(dbFile);
    try {
      const seriesId = (db.prepare('SELECT id FROM series').all() as { id: number }[])[0].id;
      const stored = listSegmentations(db, seriesId);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ source: 'model', provider: 'cpu', model: { id: 'abdomen-ct', version: '0.1.0', sha256: sha } });
      expect(stored[0].labels.find((l) => l.name === 'liver')?.voxels).toBe(liverVoxels);
      const loaded = loadSegmentation(db, stored[0].id);
      expect(Buffer.from(loaded.labelMap.labels).equals(Buffer.from(written.labels))).toBe(true);

      // the app's path (catalog series -> job -> stored): a cancelled job stores nothing, a finished one the same labels
      const model = await resolveModel('abdomen-ct');
      const cancelledJob = segmentSeries(db, seriesId, model, { device: 'cpu', threads: 2, mode: 'in-process' });
      cancelledJob.cancel();
      await expect(cancelledJob.promise).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(listSegmentations(db, seriesId)).toHaveLength(1);
      const job = segmentSeries(db, seriesId, model, { device: 'cpu', threads: 2, mode: 'in-process' });
      const { segmentationId } = await job.promise;
      const again = loadSegmentation(db, segmentationId);
      expect(again.summary.params).toMatchObject({ device: 'cpu', patchSize: [128, 128], fallbacks: [] });
      expect(Buffer.from(again.labelMap.labels).equals(Buffer.from(written.labels))).toBe(true);
    } finally {
      db.close();
    }
    // nothing but the result and the catalog: no half-written partial files left behind
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  }, 300_000); // three model runs; on a loaded 2-core machine beside other suites they pass the default 120 s

  it('lists both bundled models as valid', async () => {
    const c = capture();
    expect(await models.run(['--json'], c.io)).toBe(0);
    const listing = JSON.parse(c.out.join(''));
    expect(listing.models.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining(['abdomen-ct', 'lung-nodule-ct']));
    for (const m of listing.models) expect(m.opset).toBeLessThanOrEqual(17);
    const ok = capture();
    expect(await models.run(['--validate', `${REPO_DIR}/test/fixtures/threshold-model`, '--json'], ok.io)).toBe(0);
    expect(JSON.parse(ok.out.join(''))).toMatchObject({ valid: true, model: { id: 'threshold-test', opset: 13 } });
    // a folder without model.onnx: the error names what is missing (the CLI prints it as MODEL_INVALID)
    await expect(models.run(['--validate', path.join(MODELS, 'train')], capture().io)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/manifest\.json is missing/),
    });
  });
});
