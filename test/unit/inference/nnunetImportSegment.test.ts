// Import to segmentation, whole: the tiny nnU-Net v2 models of test/fixtures/nnunet-reference (CT anisotropic; MR with
// a transpose and z-score in the non-zero mask; plans.json, dataset.json and two folds exported from nnU-Net
// checkpoints) laid out as results folders, imported with `medseg models import`, then run with
// `medseg segment --model ID` on their reference inputs: the labels must be nnU-Net's
// own (nnUNetPredictor, both folds, mirroring) on >= 99.9 % of voxels. So the manifest the importer derives from the
// plans is the one that reproduces nnU-Net, not merely one the schema accepts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readNiftiLabels, writeNifti } from '../../../main/services/nifti/nifti.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { NNUNET_REF_DIR, readReference, readSeg, refCaseVolume } from '../../helpers/nnunetReference.js';

let work: string;
const savedEnv = process.env.MEDSEG_MODELS_DIR;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'medseg-nnimport-'));
  process.env.MEDSEG_MODELS_DIR = path.join(work, 'models');
});
afterAll(() => {
  if (savedEnv === undefined) delete process.env.MEDSEG_MODELS_DIR;
  else process.env.MEDSEG_MODELS_DIR = savedEnv;
  rmSync(work, { recursive: true, force: true });
});

describe('models import, then segment --model ID', () => {
  it.each([
    ['ct', 'ct_aniso', 'CT'],
    ['mr', 'mr_iso', 'MR'],
  ] as const)("the %s model gives nnU-Net's own labels on its reference input (two folds, mirroring)", async (model, refCase, modality) => {
    // nnU-Net's results layout: the fixture keeps the exported networks only; the checkpoints are stand-ins
    const results = path.join(work, `Dataset_${model}`, 'nnUNetTrainer__nnUNetPlans__3d_fullres');
    cpSync(path.join(NNUNET_REF_DIR, model), results, { recursive: true });
    for (const fold of ['fold_0', 'fold_1']) writeFileSync(path.join(results, fold, 'checkpoint_final.pth'), `stand-in for ${fold}`);
    const id = `tiny-nnunet-${model}`;
    const imported = await runCliCaptured(['models', 'import', results, '--id', id, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ id, dimensions: 3, modality, folds: ['fold_0', 'fold_1'] });

    const c = readReference().cases[refCase];
    const input = path.join(work, `${model}.nii.gz`);
    const volume = refCaseVolume(c);
    await writeNifti(input, volume);
    const output = path.join(work, `${model}-labels.nii.gz`);
    const seg = await runCliCaptured(['segment', input, '--model', id, '--modality', modality, '--device', 'cpu', '--threads', '1', '-o', output, '--json']);
    expect(seg.code, seg.stderr).toBe(0);
    expect(JSON.parse(seg.stdout)).toMatchObject({ model: { id }, executionProvider: 'cpu' });
    const labels = await readNiftiLabels(output);
    expect(labels.dims).toEqual(volume.dims);
    const expected = readSeg(c.runs.f01_mirror);
    let same = 0;
    for (let n = 0; n < expected.length; n++) if (labels.labels[n] === expected[n]) same++;
    console.log(`imported ${model} model vs nnUNetPredictor on ${refCase}: ${same} of ${expected.length} voxels equal`);
    expect(same / expected.length).toBeGreaterThanOrEqual(0.999);
    // nnU-Net found both organs here: an empty or one-label result would not be a match
    expect(new Set(expected).size).toBe(3);
  });
});
