// The bundled MR model (models/mr-demo, trained by models/train/train_mr.py): through medseg's 3D engine it gives the
// held-out Dice its metrics.json reports (slab of the training volume never read in training), it is listed as a 3D
// MR model, `segment MR --model mr-demo` works, and it is refused on a CT unless the override is given.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { resolveModel } from '../../../main/services/inference/registry.js';
import { checkModelFits } from '../../../main/services/inference/segmentSeries.js';
import { parseLabelTable } from '../../../shared/domain/labelTable.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { readMetrics, runBundledModel, slabDice } from '../../helpers/bundledModels.js';
import { TS_DIR } from '../../helpers/measureHelpers.js';

const MR = path.join(TS_DIR, 'example_mr_sm.nii.gz');
const CT = path.join(TS_DIR, 'example_ct_sm.nii.gz');

describe('bundled model mr-demo', () => {
  it('reproduces the held-out Dice of its metrics.json through the engine (within 1e-3 per label)', async () => {
    const metrics = readMetrics('mr-demo');
    const { model, volume, result } = await runBundledModel('mr-demo', MR);
    expect(model.sha256).toBe(metrics.onnxSha256);
    const truth = await readNiftiLabels(path.join(TS_DIR, 'example_seg_mr.nii.gz'));
    expect(truth.dims).toEqual(volume.dims);
    // the MR label table names the values; the model's labels are paired with them by name
    const mrValues = new Map([...parseLabelTable(readFileSync(path.join(TS_DIR, 'labels_total_mr.csv'), 'utf8'))].map(([v, row]) => [row.name, v]));
    const fromK = metrics.heldOutSlices[0];
    expect(fromK).toBeGreaterThan(volume.dims[2] / 2);
    const measured: Record<string, number | null> = {};
    for (const l of result.labelMap.table) {
      const truthValue = mrValues.get(l.name);
      expect(truthValue, l.name).toBeDefined();
      const got = slabDice(result.labelMap.labels, l.value, truth.labels, truthValue!, volume.dims, fromK);
      const want = metrics.heldOut[l.name];
      expect(got.truthVoxels, l.name).toBe(want.truthVoxels);
      measured[l.name] = got.dice;
      if (want.dice === null) expect(got.dice, l.name).toBeNull();
      else expect(Math.abs(got.dice! - want.dice), `${l.name}: engine ${got.dice} vs metrics.json ${want.dice}`).toBeLessThanOrEqual(1e-3);
    }
    // a demo, but not a broken one: the liver (the largest organ) is found on slices it was never trained on
    expect(measured.liver).toBeGreaterThan(0.8);
  });

  it('is listed as a 3D MR model; segment --model mr-demo runs on the MR; it is refused on a CT unless overridden', async () => {
    const listing = await runCliCaptured(['models', '--json']);
    expect(listing.code, listing.stderr).toBe(0);
    const entry = JSON.parse(listing.stdout).models.find((m: { id: string }) => m.id === 'mr-demo');
    expect(entry).toMatchObject({ id: 'mr-demo', dimensions: 3, modality: 'MR' });

    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-mrdemo-'));
    const out = path.join(dir, 'mr-labels.nii.gz');
    const seg = await runCliCaptured(['segment', MR, '--model', 'mr-demo', '--modality', 'MR', '--device', 'cpu', '--threads', '1', '-o', out, '--json']);
    expect(seg.code, seg.stderr).toBe(0);
    const report = JSON.parse(seg.stdout);
    expect(report).toMatchObject({ model: { id: 'mr-demo' }, modalityCheck: { seriesModality: 'MR', modelModality: 'MR', mismatchAllowed: false } });
    expect(report.labels.find((l: { name: string }) => l.name === 'liver').volumeMl).toBeGreaterThan(100);
    expect((await readNiftiLabels(out)).dims).toEqual([117, 91, 20]);

    const onCt = await runCliCaptured([
      'segment',
      CT,
      '--model',
      'mr-demo',
      '--modality',
      'CT',
      '--device',
      'cpu',
      '-o',
      path.join(dir, 'ct.nii.gz'),
      '--json',
    ]);
    expect(onCt.code).toBe(1);
    expect(JSON.parse(onCt.stdout).error).toMatchObject({ code: 'MODALITY_MISMATCH', message: expect.stringMatching(/CT.*mr-demo.*MR/) });
    // the override is the user's explicit, recorded choice
    const model = await resolveModel('mr-demo');
    expect(checkModelFits(model, { modality: 'CT' }, true)).toMatchObject({ seriesModality: 'CT', modelModality: 'MR', mismatchAllowed: true });
  });
});
