// `medseg models import`: a good nnU-Net v2 results folder becomes a model folder that the manifest schema accepts and
// `models --json` lists (3D, CT, labels named from dataset.json); every case medseg cannot run right is refused with a
// code and a message that names the problem, and a refused import leaves nothing behind.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeNnunetResults, importNnunetModel, modalityOfChannelName } from '../../../main/services/inference/nnunetImport.js';
import { parseManifest } from '../../../main/services/inference/manifest.js';
import { resolveModel } from '../../../main/services/inference/registry.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { makeNnunetResults, TINY_DATASET, tinyPlans } from '../../helpers/nnunetResults.js';
import { tinyConvOnnx } from '../../helpers/tinyOnnx.js';
import { useTempModelsDir } from '../../helpers/modelsDir.js';

const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

const models = useTempModelsDir();

/** The import's error (code and message), or null when it succeeded. */
async function importError(dir: string, opts: Parameters<typeof importNnunetModel>[1] = {}): Promise<{ code: string; message: string } | null> {
  try {
    await importNnunetModel(dir, { modelsDir: models.dir, ...opts });
    return null;
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
}

describe('nnU-Net v2 import: a good results folder', () => {
  it('CLI writes a model folder the schema accepts, `models --json` lists it (3D, CT), the fold networks are copied byte for byte', async () => {
    const src = makeNnunetResults();
    const r = await runCliCaptured(['models', 'import', src, '--id', 'tiny-ct', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      id: 'tiny-ct',
      dimensions: 3,
      modality: 'CT',
      folds: ['fold_0', 'fold_1'],
      configuration: '3d_fullres',
      // names from dataset.json, the ignore label is no output; a tumour is a lesion
      labels: [
        { value: 1, name: 'liver', kind: 'organ' },
        { value: 2, name: 'liver tumour', kind: 'lesion' },
        { value: 3, name: 'spleen', kind: 'organ' },
      ],
    });
    const dir = path.join(models.dir, 'tiny-ct');
    expect(out.dir).toBe(dir);
    const m = parseManifest(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')), dir);
    // plans values, taken over without change (transpose_forward is the identity here: [i, j, k] = reversed)
    expect(m.nnunet).toMatchObject({
      transposeForward: [0, 1, 2],
      spacing: [3, 0.8, 0.7],
      patchSize: [32, 64, 48],
      normalization: [{ scheme: 'CTNormalization', mean: 98.5, std: 141.25, percentile00_5: -960, percentile99_5: 1250 }],
      useMaskForNorm: [false],
      resamplingData: { order: 3, orderZ: 0, forceSeparateZ: null },
      resamplingProbabilities: { order: 1, orderZ: 0, forceSeparateZ: null },
      mirrorAxes: [0, 1, 2],
      useMirroring: true,
      folds: ['fold_0/network.onnx', 'fold_1/network.onnx'],
      source: 'nnUNetTrainer__nnUNetPlans__3d_fullres',
    });
    expect(m.spacingMm).toEqual([0.7, 0.8, 3]);
    expect(m.patchSize).toEqual([48, 64, 32]);
    // strides [1,1,1],[1,2,2],[2,2,2],[2,2,2]: divisors 4, 8, 8 per axis; one divisor for all axes: 4
    expect(m.sizeDivisor).toBe(4);
    for (const f of ['fold_0', 'fold_1']) expect(sha256(path.join(dir, f, 'network.onnx'))).toBe(sha256(path.join(src, f, 'network.onnx')));
    const card = readFileSync(path.join(dir, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain(src);
    expect(card).toContain('nnUNetTrainer / nnUNetPlans / 3d_fullres');
    expect(card).toContain('Dataset042_Tiny');
    expect(card).toContain(sha256(path.join(src, 'fold_1', 'checkpoint_final.pth')));
    expect(card).toContain(sha256(path.join(src, 'fold_0', 'network.onnx')));
    expect(card).toMatch(/Imported .* on \d{4}-\d\d-\d\dT/);

    const listed = await runCliCaptured(['models', '--json']);
    const entry = JSON.parse(listed.stdout).models.find((x: { id: string }) => x.id === 'tiny-ct');
    expect(entry).toMatchObject({ dimensions: 3, modality: 'CT', dir });
    // usable by id, as `segment --model tiny-ct` resolves it
    expect((await resolveModel('tiny-ct')).dir).toBe(dir);
    // importing again under the same id never overwrites
    const again = await runCliCaptured(['models', 'import', src, '--id', 'tiny-ct', '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.code).toBe('CONFLICT');
    // also when the folder holding that id has another name
    renameSync(dir, path.join(models.dir, 'renamed-folder'));
    expect(await importError(src, { id: 'tiny-ct' })).toMatchObject({ code: 'CONFLICT' });
    renameSync(path.join(models.dir, 'renamed-folder'), dir);
  });

  it('the recorded sha256 names every fold: another fold_1 changes it; a missing or unfit fold makes the folder invalid', async () => {
    const r = await importNnunetModel(makeNnunetResults(), { modelsDir: models.dir, id: 'fold-hash' });
    const fold1 = path.join(r.dir, 'fold_1', 'network.onnx');
    const before = (await resolveModel('fold-hash')).sha256;
    expect(before).not.toBe(sha256(path.join(r.dir, 'fold_0', 'network.onnx')));
    expect(existsSync(path.join(r.dir, 'model.onnx'))).toBe(false);
    writeFileSync(fold1, tinyConvOnnx({ outChannels: 4, weights: [0.5, 0.1, -0.2, 0.3] }));
    expect((await resolveModel('fold-hash')).sha256).not.toBe(before);
    writeFileSync(fold1, tinyConvOnnx({ outChannels: 3 }));
    await expect(resolveModel('fold-hash')).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/fold_1\/network\.onnx.*3 channels/),
    });
    rmSync(fold1);
    await expect(resolveModel('fold-hash')).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/fold_1\/network\.onnx is missing/),
    });
    rmSync(r.dir, { recursive: true });
  });

  it('transpose_forward is applied when restating spacing and patch in [i, j, k]; an MR channel name gives MR with z-score', async () => {
    // network axes = array axes [2, 0, 1]: array axis 2 (i) is network axis 0
    const plans = tinyPlans({ normalization_schemes: ['ZScoreNormalization'], use_mask_for_norm: [true] });
    plans.transpose_forward = [2, 0, 1];
    plans.transpose_backward = [1, 2, 0];
    const src = makeNnunetResults({ plans, dataset: { ...TINY_DATASET, channel_names: { '0': 'T2' } }, folds: ['fold_all'] });
    const r = await importNnunetModel(src, { modelsDir: models.dir });
    expect(r.id).toBe('dataset042_tiny-3d_fullres');
    const m = r.model.manifest;
    expect(m.modality).toBe('MR');
    // network spacing [3, 0.8, 0.7] -> array [k, j, i] = [0.8, 0.7, 3] -> [i, j, k] = [3, 0.7, 0.8]
    expect(m.spacingMm).toEqual([3, 0.7, 0.8]);
    expect(m.patchSize).toEqual([32, 48, 64]);
    expect(m.nnunet).toMatchObject({ normalization: [{ scheme: 'ZScoreNormalization' }], useMaskForNorm: [true], folds: ['fold_all/network.onnx'] });
  });

  it('channel names map to modalities; an unnamed one needs --modality, which must not contradict the name', async () => {
    expect(['CT', 'ct', 'MRI', 't1', 'FLAIR', 'ADC', 'PET', 'abdomen', 'noNorm'].map(modalityOfChannelName)).toEqual([
      'CT',
      'CT',
      'MR',
      'MR',
      'MR',
      'MR',
      'PT',
      null,
      null,
    ]);
    const src = makeNnunetResults({
      dataset: { ...TINY_DATASET, channel_names: { '0': 'abdomen' } },
      fullres: { normalization_schemes: ['ZScoreNormalization'] },
    });
    expect(await importError(src)).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/"abdomen".*--modality/) });
    expect((await describeNnunetResults(src, { modality: 'mr' })).modality).toBe('MR');
    const ct = makeNnunetResults();
    expect(await importError(ct, { modality: 'MR' })).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/contradicts.*"CT"/) });
  });

  it('--folds picks folds; the mirroring axes the checkpoint allows are kept ([] = no mirroring)', async () => {
    const src = makeNnunetResults({ folds: ['fold_0', 'fold_1', 'fold_2'], metadata: { 'nnunet.inference_allowed_mirroring_axes': '[1, 2]' } });
    const d = await describeNnunetResults(src, { folds: ['2', 'fold_0'] });
    expect(d.folds.map((f) => f.name)).toEqual(['fold_2', 'fold_0']);
    expect(d.mirrorAxes).toEqual([1, 2]);
    const none = makeNnunetResults({ folds: ['fold_0'], metadata: { 'nnunet.inference_allowed_mirroring_axes': 'null' } });
    const r = await importNnunetModel(none, { modelsDir: models.dir, id: 'no-mirror' });
    expect(r.model.manifest.nnunet).toMatchObject({ useMirroring: false, mirrorAxes: [] });
    expect(await importError(src, { folds: ['7'] })).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/no fold_7/) });
  });
});

describe('nnU-Net v2 import: refusals', () => {
  it('a missing file is named: dataset.json, plans.json, a checkpoint, an exported network; no fold at all', async () => {
    for (const [file, pattern] of [
      ['dataset.json', /dataset\.json is missing/],
      ['plans.json', /plans\.json is missing/],
      ['fold_1/checkpoint_final.pth', /fold_1\/checkpoint_final\.pth is missing/],
      ['fold_1/network.onnx', /fold_1\/network\.onnx is missing.*export-nnunet-onnx\.py/],
    ] as const) {
      const src = makeNnunetResults();
      rmSync(path.join(src, file));
      expect(await importError(src), file).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(pattern) });
    }
    expect(await importError(makeNnunetResults({ folds: [] }))).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/no fold_N folder/) });
    const bad = makeNnunetResults();
    writeFileSync(path.join(bad, 'plans.json'), '{"configurations": ');
    expect(await importError(bad)).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/plans\.json is not valid JSON/) });
    expect(await importError(path.join(bad, 'nope'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a cascade is refused: the cascade configuration by name, and any configuration with a previous_stage', async () => {
    const byName = await importError(makeNnunetResults({ configuration: '3d_cascade_fullres' }));
    expect(byName).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/cascade/) });
    const plans = tinyPlans();
    (plans.configurations as Record<string, unknown>).stage2 = { inherits_from: '3d_fullres', previous_stage: '3d_lowres' };
    const renamed = await importError(makeNnunetResults({ configuration: 'stage2', plans }));
    expect(renamed).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/previous_stage 3d_lowres/) });
    // 3d_lowres alone is a complete model (its next_stage is optional)
    expect(await importError(makeNnunetResults({ configuration: '3d_lowres' }), { id: 'lowres' })).toBeNull();
  });

  it('region-based training is refused: labels given as lists, or regions_class_order', async () => {
    const regions = { background: 0, 'whole tumor': [1, 2, 3], 'tumor core': [2, 3], enhancing: 3 };
    const asLists = await importError(makeNnunetResults({ dataset: { ...TINY_DATASET, labels: regions }, outChannels: 3 }));
    expect(asLists).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/"whole tumor" is a region/) });
    const order = await importError(makeNnunetResults({ dataset: { ...TINY_DATASET, regions_class_order: [1, 2, 3] } }));
    expect(order).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/regions_class_order/) });
  });

  it('several input channels, a 2D configuration, an unknown normalisation or resampling are refused', async () => {
    const twoChannels = await importError(makeNnunetResults({ dataset: { ...TINY_DATASET, channel_names: { '0': 'T1', '1': 'T2' } }, inChannels: 2 }));
    expect(twoChannels).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/2 input channels \(T1, T2\)/) });
    expect(await importError(makeNnunetResults({ configuration: '2d' }))).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/2D/) });
    for (const scheme of ['RGBTo01Normalization', 'MyOwnNormalization']) {
      const e = await importError(makeNnunetResults({ fullres: { normalization_schemes: [scheme] } }));
      expect(e, scheme).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringContaining(scheme) });
    }
    const resampling = await importError(makeNnunetResults({ fullres: { resampling_fn_data: 'resample_torch_fornnunet' } }));
    expect(resampling).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/resample_torch_fornnunet/) });
  });

  it('networks that do not fit the folder are refused: stale export, wrong class count, unknown configuration, gaps in labels', async () => {
    expect(await importError(makeNnunetResults({ staleExport: true }))).toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/another checkpoint/),
    });
    expect(await importError(makeNnunetResults({ outputName: 'output' }))).toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/no output named "logits" \(it has: output\)/),
    });
    expect(await importError(makeNnunetResults({ outChannels: 3 }))).toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/3 output channels.*3 labels/),
    });
    // a renamed folder: the configuration comes from the export's metadata; with neither, the import cannot tell
    expect(await importError(makeNnunetResults({ folderName: 'my-model' }), { id: 'renamed' })).toBeNull();
    const unknown = await importError(makeNnunetResults({ folderName: 'my-model', metadata: { 'nnunet.configuration': undefined } }));
    expect(unknown).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/cannot tell the configuration/) });
    const missingConf = await importError(makeNnunetResults({ configuration: '3d_verylarge' }));
    expect(missingConf).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/no configuration "3d_verylarge"/) });
    const gaps = await importError(makeNnunetResults({ dataset: { ...TINY_DATASET, labels: { background: 0, a: 1, b: 3 } }, outChannels: 3 }));
    expect(gaps).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/1\.\.N without gaps/) });
  });

  it('the CLI reports a refusal with its code and exit 1; refused imports leave no folder behind', async () => {
    const before = readdirSync(models.dir).sort();
    const src = makeNnunetResults({ configuration: '3d_cascade_fullres' });
    const r = await runCliCaptured(['models', 'import', src, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('MODEL_UNSUPPORTED');
    expect(r.stderr).toMatch(/MODEL_UNSUPPORTED: .*cascade/);
    expect((await runCliCaptured(['models', 'import', '--json'])).code).toBe(2);
    expect((await runCliCaptured(['models', 'import', src, '--folds', 'x'])).code).toBe(2);
    // text mode, into a folder medseg does not search: the hint names the folder, not the id (and --folds 1,1 is one fold)
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'medseg-elsewhere-'));
    const text = await runCliCaptured(['models', 'import', makeNnunetResults(), '--models-dir', elsewhere, '--id', 'elsewhere', '--folds', '1,1']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/imported elsewhere: CT 3D, 3 labels, 1 fold\(s\)/);
    expect(text.stdout).toContain(`--model ${path.join(elsewhere, 'elsewhere')}`);
    expect(readdirSync(models.dir).sort()).toEqual(before);
    expect(before.some((n) => n.startsWith('.import-'))).toBe(false);
    expect(existsSync(path.join(models.dir, 'dataset042_tiny-3d_cascade_fullres'))).toBe(false);
  });
});
