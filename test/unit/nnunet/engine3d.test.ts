// The 3D path through the engine's entry points (segmentVolume, startSegmentation): a medseg volume in, nnU-Net's
// labels out on the series grid, with progress, cancel, provider fallback, and a clear refusal of a 3D model the
// engine cannot run.
import { describe, expect, it } from 'vitest';
import type { Volume } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { segmentVolume, type SegmentProgress } from '../../../main/services/inference/engine.js';
import { startSegmentation } from '../../../main/services/inference/runner.js';
import { fixtureModel, NNUNET_REF_DIR, readReference, readSeg, refCaseVolume } from '../../helpers/nnunetReference.js';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_DIR } from '../../helpers/paths.js';
import { loadModelFolder } from '../../../main/services/inference/registry.js';

const DIST_RUNNER = `${REPO_DIR}/dist/main/services/inference/runner.js`;
const DIST_WORKER = `${REPO_DIR}/dist/main/workers/inferenceWorker.js`;

const ref = readReference();
const ct = ref.cases.ct_aniso;
const model = fixtureModel('ct');

/** The CT fixture as medseg holds a series: i fastest, dims [ni, nj, nk], spacing [si, sj, sk]. */
function ctVolume(): Volume {
  return refCaseVolume(ct);
}

describe('engine: 3D nnU-Net models', () => {
  it('segments a series with nnU-Net result (both folds, mirroring) on the series grid, reporting every tile', async () => {
    const progress: SegmentProgress[] = [];
    const r = await segmentVolume(ctVolume(), model, { device: 'cpu', threads: 1, onProgress: (p) => progress.push(p) });
    const expected = readSeg(ct.runs.f01_mirror);
    expect(r.labelMap.dims).toEqual([41, 37, 13]);
    let same = 0;
    for (let i = 0; i < expected.length; i++) if (r.labelMap.labels[i] === expected[i]) same++;
    expect(same / expected.length).toBeGreaterThanOrEqual(0.999);
    expect(r.labelMap.table.map((l) => l.name)).toEqual(['organ_a', 'organ_b']);
    expect(progress.length).toBe(r.params.tiles);
    expect(progress.at(-1)).toMatchObject({ tilesDone: r.params.tiles, tilesTotal: r.params.tiles, etaSeconds: 0 });
    expect(r.params.modelGrid.dims).toEqual(ct.preprocessed.shape);
  });

  it('stops with CANCELLED when cancelled between tiles', async () => {
    let job: ReturnType<typeof startSegmentation> | undefined;
    job = startSegmentation(ctVolume(), model, {
      device: 'cpu',
      threads: 1,
      mode: 'in-process',
      onProgress: (p) => {
        if (p.tilesDone === 2) job?.cancel();
      },
    });
    await expect(job.promise).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('falls back from GPU providers that cannot start to the CPU and says why', async () => {
    const r = await segmentVolume(ctVolume(), model, { device: 'auto', gpuProviders: ['nosuch'], threads: 1 });
    expect(r.provider).toBe('cpu');
    expect(r.fallbacks[0]).toMatchObject({ provider: 'nosuch' });
    expect(r.fallbacks[0].reason).toMatch(/not built into this onnxruntime-node/);
  });

  it('refuses a 3D model without the nnunet recipe with MODEL_INVALID', async () => {
    const { nnunet: _n, ...rest } = model.manifest;
    const bare = { ...model, manifest: rest };
    const err = await segmentVolume(ctVolume(), bare, { device: 'cpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('MODEL_INVALID');
    expect((err as AppError).message).toMatch(/no nnunet block/);
  });

  it('a model folder with fold networks loads through the registry and runs in the compiled worker thread', async () => {
    for (const file of [DIST_RUNNER, DIST_WORKER]) expect(existsSync(file), `${file} is missing: run npm run build first`).toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'nn3d-model-'));
    try {
      for (const f of model.manifest.nnunet!.folds) cpSync(path.join(NNUNET_REF_DIR, 'ct', f), path.join(dir, f), { recursive: true });
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...model.manifest, nnunet: { ...model.manifest.nnunet, useMirroring: false } }));
      const loaded = await loadModelFolder(dir);
      expect(loaded.onnxPath).toBe(path.join(dir, 'fold_0/network.onnx'));
      const dist = (await import(pathToFileURL(DIST_RUNNER).href)) as typeof import('../../../main/services/inference/runner.js');
      const job = dist.startSegmentation(ctVolume(), loaded, { device: 'cpu', threads: 1, mode: 'worker' });
      expect(job.mode).toBe('worker');
      const r = await job.promise;
      const expected = readSeg(ct.runs.f01_nomirror);
      let same = 0;
      for (let i = 0; i < expected.length; i++) if (r.labelMap.labels[i] === expected[i]) same++;
      expect(same / expected.length).toBeGreaterThanOrEqual(0.999);
      rmSync(path.join(dir, 'fold_1/network.onnx'));
      await expect(loadModelFolder(dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/fold_1\/network.onnx is missing/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
