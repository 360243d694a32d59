// The whole engine on a fixture model whose right answer is known voxel by voxel (label 1 where HU > 500):
// geometry through a flipped series, tiling independence, progress, provider fallback and cancellation.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Volume } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { loadModelFolder } from '../../../main/services/inference/registry.js';
import { segmentVolume, type SegmentProgress } from '../../../main/services/inference/engine.js';
import { startSegmentation } from '../../../main/services/inference/runner.js';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { REPO_DIR } from '../../helpers/paths.js';

// The worker runs compiled JS: its test uses the runner from dist/ (npm test builds first); from TS sources the
// runner works in-process, which the other tests cover.
const DIST_RUNNER = `${REPO_DIR}/dist/main/services/inference/runner.js`;
const DIST_WORKER = `${REPO_DIR}/dist/main/workers/inferenceWorker.js`;

const FIXTURE = `${REPO_DIR}/test/fixtures/threshold-model`;

/** A series stored right-to-left and anterior-to-posterior, 1 x 1 x 2.5 mm, with a bright box at known voxels. */
function boxVolume(dims: [number, number, number] = [40, 30, 6]): { volume: Volume; truth: Uint8Array } {
  const [nx, ny, nz] = dims;
  const voxels = new Int16Array(nx * ny * nz);
  const truth = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const n = i + nx * (j + ny * k);
        const inBox = i >= 5 && i < 17 && j >= 3 && j < 11 && k >= 2 && k < 4;
        // a second small spot only on slice 0 checks the slice order is kept
        const spot = i === 30 && j === 20 && k === 0;
        voxels[n] = inBox || spot ? 1000 : -50 + ((i * 13 + j * 7) % 40);
        truth[n] = inBox || spot ? 1 : 0;
      }
  return {
    volume: {
      dims,
      spacingMm: [1, 1, 2.5],
      originLps: [100, -40, 12.5],
      directionLps: [
        [-1, 0, 0],
        [0, -1, 0],
        [0, 0, 1],
      ],
      voxels,
    },
    truth,
  };
}

/** Starts a run that cancels itself once `tiles` tiles are done; the error it ended with and when the cancel was sent. */
async function runCancelledAfter(
  start: typeof startSegmentation,
  volume: Volume,
  model: Awaited<ReturnType<typeof loadModelFolder>>,
  mode: 'in-process' | 'worker',
  tiles: number,
): Promise<{ err: unknown; cancelledAt: number }> {
  let cancelledAt = 0;
  const job = start(volume, model, {
    device: 'cpu',
    threads: 1,
    mode,
    onProgress: (p) => {
      if (p.tilesDone >= tiles && cancelledAt === 0) {
        cancelledAt = performance.now();
        job.cancel();
      }
    },
  });
  const err = await job.promise.then(
    () => null,
    (e: unknown) => e,
  );
  return { err, cancelledAt };
}

function mismatches(a: Uint8Array | Uint16Array, b: Uint8Array): number {
  let n = 0;
  for (let v = 0; v < a.length; v++) if (a[v] !== b[v]) n++;
  return n;
}

describe('segmentVolume on a fixture model', () => {
  it('labels exactly the bright voxels on the series grid, whatever the tile size', async () => {
    const model = await loadModelFolder(FIXTURE);
    const { volume, truth } = boxVolume();
    const progress: SegmentProgress[] = [];
    const small = await segmentVolume(volume, model, { device: 'cpu', threads: 1, onProgress: (p) => progress.push(p) });
    expect(small.provider).toBe('cpu');
    expect(small.labelMap.dims).toEqual(volume.dims);
    expect(small.labelMap.originLps).toEqual(volume.originLps);
    expect(small.labelMap.directionLps).toEqual(volume.directionLps);
    expect(small.labelMap.labels).toBeInstanceOf(Uint8Array);
    expect(mismatches(small.labelMap.labels, truth)).toBe(0);
    // 16x16 tiles at 50 % overlap over 30 x 40 (H x W): 3 x 4 tiles per slice, 6 slices
    expect(small.params.tiles).toBe(72);
    expect(progress.length).toBe(72);
    expect(progress.at(-1)).toMatchObject({ tilesDone: 72, tilesTotal: 72, etaSeconds: 0 });
    const big = await segmentVolume(volume, model, { device: 'cpu', threads: 1, patchSize: [32, 40] });
    expect(big.params.tiles).toBe(6);
    expect(mismatches(big.labelMap.labels, truth)).toBe(0);
    expect(small.labelMap.table).toEqual([{ value: 1, name: 'bright', colorRgb: [255, 0, 0], kind: 'lesion' }]);
  });

  it('falls back to cpu when the forced GPU provider cannot start, and says why', async () => {
    const model = await loadModelFolder(FIXTURE);
    const { volume, truth } = boxVolume();
    const r = await segmentVolume(volume, model, { device: 'auto', gpuProviders: ['webgpu', 'nosuch'] });
    expect(r.provider).toBe('cpu');
    expect(r.fallbacks.map((f) => f.provider)).toEqual(['webgpu', 'nosuch']);
    expect(r.fallbacks[0].reason).toMatch(/session could not be created: .+/);
    expect(r.fallbacks[1].reason).toMatch(/not built into this onnxruntime-node/);
    expect(mismatches(r.labelMap.labels, truth)).toBe(0);
    await expect(segmentVolume(volume, model, { device: 'gpu', gpuProviders: ['webgpu'] })).rejects.toMatchObject({
      code: 'INFERENCE_FAILED',
      message: expect.stringMatching(/No GPU execution provider works here \(webgpu: session could not be created/),
    });
  });

  it('retries a failed run with half-size tiles on a GPU-list provider, and fails plainly on CPU', async () => {
    // fixed16-model throws inside onnxruntime on any tile but 16x16; its manifest asks for 32x32 tiles.
    // 'cpu' is passed as the GPU list so the GPU retry path runs on this GPU-less machine.
    const model = await loadModelFolder(`${REPO_DIR}/test/fixtures/fixed16-model`);
    const { volume, truth } = boxVolume();
    const r = await segmentVolume(volume, model, { device: 'auto', gpuProviders: ['cpu'], threads: 1 });
    expect(r.params.patchSize).toEqual([16, 16]);
    expect(r.fallbacks).toHaveLength(1);
    expect(r.fallbacks[0].reason).toMatch(/^run failed with 32x32 tiles \(.+\); retrying with 16x16$/);
    expect(mismatches(r.labelMap.labels, truth)).toBe(0);
    await expect(segmentVolume(volume, model, { device: 'cpu', threads: 1 })).rejects.toMatchObject({
      code: 'INFERENCE_FAILED',
      message: expect.stringMatching(/^Inference failed on CPU: /),
    });
  });

  it('stops within a second of cancel, in-process, with CANCELLED and no result', async () => {
    const model = await loadModelFolder(FIXTURE);
    const { volume } = boxVolume([256, 256, 40]);
    const { err, cancelledAt } = await runCancelledAfter(startSegmentation, volume, model, 'in-process', 5);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CANCELLED');
    expect(cancelledAt).toBeGreaterThan(0);
    expect(performance.now() - cancelledAt).toBeLessThan(1000);
  });

  // Needs the build (npm test builds first): without it the test fails and says so, it never skips.
  it('runs in the compiled worker thread with the same answer, and cancels there too', async () => {
    for (const file of [DIST_RUNNER, DIST_WORKER]) expect(existsSync(file), `${file} is missing: run npm run build first`).toBe(true);
    const runnerPath: string = pathToFileURL(DIST_RUNNER).href;
    const dist = (await import(runnerPath)) as typeof import('../../../main/services/inference/runner.js');
    const startSegmentation = dist.startSegmentation;
    const model = await loadModelFolder(FIXTURE);
    const { volume, truth } = boxVolume();
    const job = startSegmentation(volume, model, { device: 'cpu', threads: 1, mode: 'worker' });
    expect(job.mode).toBe('worker');
    const r = await job.promise;
    expect(mismatches(r.labelMap.labels, truth)).toBe(0);
    const big = boxVolume([256, 256, 40]).volume;
    const cancelled = await runCancelledAfter(startSegmentation, big, model, 'worker', 3);
    expect(cancelled.err).toMatchObject({ code: 'CANCELLED' });
    expect(performance.now() - cancelled.cancelledAt).toBeLessThan(1100);
  });
});
