// Child process of nnunet3dBench: runs the 3D nnU-Net engine once on a synthetic CT and prints seconds, peak RSS
// and per-tile ORT time as JSON, so the peak belongs to this run alone.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { predictNnunet3d } from '../../main/services/inference/nnunet3d.js';
import { parseManifest, nnunetToIjk } from '../../main/services/inference/manifest.js';
import type { ModelFolder } from '../../main/services/inference/registry.js';
import type { Shape3 } from '../../shared/domain/nnunet/array3.js';

async function main(): Promise<void> {
  const [dir, inputFile, shapeS, spacingS, classesS, patchS, mirrorS, threadsS] = process.argv.slice(2);
  const shape = shapeS.split(',').map(Number) as Shape3;
  const spacing = spacingS.split(',').map(Number);
  const patch = patchS.split(',').map(Number);
  const classes = Number(classesS);
  const threads = Number(threadsS);
  const nnunet = {
    transposeForward: [0, 1, 2],
    transposeBackward: [0, 1, 2],
    spacing: [1.5, 1.5, 1.5],
    patchSize: patch,
    normalization: [{ scheme: 'CTNormalization', mean: 40, std: 180, percentile00_5: -950, percentile99_5: 1300 }],
    useMaskForNorm: [false],
    resamplingData: { order: 3, orderZ: 0, forceSeparateZ: null },
    resamplingProbabilities: { order: 1, orderZ: 0, forceSeparateZ: null },
    useMirroring: mirrorS === '1',
    folds: ['fold_0/network.onnx'],
  };
  const ijk = nnunetToIjk(nnunet as never);
  const manifest = parseManifest(
    {
      id: 'bench-41',
      version: '0',
      name: 'bench',
      modality: 'CT',
      dimensions: 3,
      spacingMm: ijk.spacingMm,
      patchSize: ijk.patchSize,
      sizeDivisor: 8,
      overlap: 0.5,
      normalization: { type: 'volume-zscore' },
      outsideValue: -1024,
      input: { name: 'input', layout: 'NCDHW', channels: 1 },
      output: { name: 'logits', layout: 'NCDHW', activation: 'logits' },
      labels: Array.from({ length: classes - 1 }, (_, i) => ({ value: i + 1, name: `class_${i + 1}`, colorRgb: [1, 2, 3], kind: 'organ' })),
      nnunet,
    },
    dir,
  );
  const model: ModelFolder = { dir, manifest, onnxPath: `${dir}/fold_0/network.onnx`, sha256: '', opset: 17, sizeBytes: 0, warnings: [] };
  // one tile alone, as the torch side measures it
  const session = await ort.InferenceSession.create(model.onnxPath, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
  const n = patch[0] * patch[1] * patch[2];
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
    [1, 1, ...patch],
  );
  await session.run({ input: x });
  const tileMs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    await session.run({ input: x });
    tileMs.push(performance.now() - t);
  }
  await session.release();
  const b = readFileSync(inputFile);
  const voxels = new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  const t0 = performance.now();
  const r = await predictNnunet3d(voxels, shape, spacing, model, { device: 'cpu', threads });
  const seconds = (performance.now() - t0) / 1000;
  const present = new Set(r.labels).size;
  tileMs.sort((a, c) => a - c);
  console.log(
    JSON.stringify({
      seconds,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      tileMs: tileMs[1],
      tiles: r.tiles,
      networkRuns: r.networkRuns,
      grid: r.networkGrid,
      present,
    }),
  );
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
