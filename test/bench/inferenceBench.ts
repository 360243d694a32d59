// Inference benchmark: the same ONNX model on the same tile in onnxruntime-node vs its PyTorch twin in eager mode
// (Debian /usr/bin/python3 torch), as a ratio, plus wall seconds to segment example_ct.nii.gz on CPU.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModelFolder, bundledModelsDir } from '../../main/services/inference/registry.js';
import { segmentVolume } from '../../main/services/inference/engine.js';
import { readNifti } from '../../main/services/nifti/nifti.js';

const PYTHON = '/usr/bin/python3';
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 20);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function ortTileMs(onnxPath: string, input: Float32Array, h: number, w: number): Promise<{ ms: number; logits: Float32Array }> {
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], intraOpNumThreads: THREADS, interOpNumThreads: 1 });
  const feeds = { image: new ort.Tensor('float32', input, [1, 1, h, w]) };
  let out = await session.run(feeds);
  for (let n = 0; n < 2; n++) out = await session.run(feeds);
  const times: number[] = [];
  for (let n = 0; n < REPEATS; n++) {
    const t0 = performance.now();
    out = await session.run(feeds);
    times.push(performance.now() - t0);
  }
  const logits = Float32Array.from(out.logits.data as Float32Array);
  await session.release();
  return { ms: median(times), logits };
}

export async function runInferenceBench(): Promise<void> {
  const models = bundledModelsDir();
  const data = path.resolve(models, '../../shared/data');
  const lines: string[] = [];
  const tmp = mkdtempSync(path.join(tmpdir(), 'medseg-bench-'));
  for (const [id, h, w] of [
    ['abdomen-ct', 128, 128],
    ['lung-nodule-ct', 48, 48],
  ] as const) {
    const model = await loadModelFolder(path.join(models, id));
    // a smooth deterministic tile in the normalised range both models see
    const input = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) input[y * w + x] = 0.5 * Math.sin(x / 7) * Math.cos(y / 5) + 0.3;
    const ortRun = await ortTileMs(model.onnxPath, input, h, w);
    const weights = path.join(models, 'train', `${id}.pt`);
    let torchNote = 'torch weights missing (run npm run train:models)';
    if (existsSync(weights)) {
      const file = path.join(tmp, `${id}.f32`);
      writeFileSync(file, Buffer.from(input.buffer));
      const res = JSON.parse(
        execFileSync(PYTHON, [path.join(models, 'train', 'bench_torch.py'), id, weights, file, String(h), String(w), String(REPEATS), String(THREADS)], {
          cwd: path.join(models, 'train'),
          encoding: 'utf8',
        }),
      ) as { medianMs: number; torch: string };
      const t = readFileSync(`${file}.torch-logits`);
      const torchLogits = new Float32Array(t.buffer, t.byteOffset, t.byteLength / 4);
      let maxDiff = 0;
      for (let n = 0; n < torchLogits.length; n++) maxDiff = Math.max(maxDiff, Math.abs(torchLogits[n] - ortRun.logits[n]));
      torchNote = `torch ${res.torch} eager ${res.medianMs.toFixed(1)} ms | torch/ORT = ${(res.medianMs / ortRun.ms).toFixed(2)}x | max |logit diff| ${maxDiff.toExponential(1)}`;
    }
    lines.push(`${id} tile ${h}x${w}, ${THREADS} threads: ORT-node ${ortRun.ms.toFixed(1)} ms | ${torchNote}`);
  }
  const ct = await readNifti(path.join(data, 'totalsegmentator_example/example_ct.nii.gz'));
  const abdomen = await loadModelFolder(path.join(models, 'abdomen-ct'));
  const t0 = performance.now();
  const r = await segmentVolume(ct.volume, abdomen, { device: 'cpu', threads: THREADS });
  const wall = (performance.now() - t0) / 1000;
  lines.push(
    `abdomen-ct on example_ct.nii.gz (${ct.volume.dims.join('x')} @ ${ct.volume.spacingMm.join('x')} mm), cpu ${THREADS} threads: ` +
      `${wall.toFixed(2)} s wall, ${r.params.tiles} tiles of ${r.params.patchSize.join('x')}`,
  );
  for (const l of lines) console.log(l);
}
