// Child process of nnunet3dBench: runs the 3D nnU-Net engine once on a synthetic CT and prints seconds, peak RSS
// and per-tile ORT time as JSON, so the peak belongs to this run alone.
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { predictNnunet3d } from '../../main/services/inference/nnunet3d.js';
import { parseManifest, nnunetToIjk } from '../../main/services/inference/manifest.js';
import type { ModelFolder } from '../../main/services/inference/registry.js';
import type { Shape3 } from '../../shared/domain/nnunet/array3.js';

/** Peak and current RSS from /proc (MB); reset = start a new peak window (Linux >= 4.0: clear_refs 5). */
function vm(reset: boolean): { hwmMb: number; rssMb: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  const out = { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  if (reset) {
    try {
      writeFileSync('/proc/self/clear_refs', '5');
    } catch {
      // not permitted: the peaks are then cumulative
    }
  }
  return out;
}

interface StageMemory {
  stage: string;
  /** Peak RSS within the stage (since the previous stage ended). */
  peakMb: number;
  rssMb: number;
  heapUsedMb: number;
  arrayBuffersMb: number;
}

/** Sorted times of 3 runs of one tile (after a warm-up), on a session of its own. */
async function timeOneTile(onnxPath: string, patch: number[], threads: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
  const n = patch[0] * patch[1] * patch[2];
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
    [1, 1, ...patch],
  );
  await session.run({ input: x });
  const tileMs: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const t = performance.now();
    await session.run({ input: x });
    tileMs.push(performance.now() - t);
  }
  await session.release();
  return tileMs.sort((a, c) => a - c);
}

/** FNV-1a of the label bytes: two runs (before/after a change, arena on/off) gave the same labels when equal. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

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
    // the tile step changes how many tiles run, not what is held (the slab is one patch deep either way)
    tileStepSize: Number(process.env.NNUNET_BENCH_STEP ?? '0.5'),
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
  const b = readFileSync(inputFile);
  const voxels = new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  const stages: StageMemory[] = [];
  const mark = (stage: string) => {
    const m = process.memoryUsage();
    const v = vm(true);
    stages.push({ stage, peakMb: v.hwmMb, rssMb: v.rssMb, heapUsedMb: m.heapUsed / 2 ** 20, arrayBuffersMb: m.arrayBuffers / 2 ** 20 });
  };
  mark('input');
  const t0 = performance.now();
  const lowMemory = process.env.NNUNET_BENCH_ARENA !== '1';
  const r = await predictNnunet3d(voxels, shape, spacing, model, { device: 'cpu', threads, onStage: mark, lowMemory });
  const seconds = (performance.now() - t0) / 1000;
  const present = new Set(r.labels).size;
  const peakRssMb = Math.max(...stages.map((st) => st.peakMb));
  // then one tile alone, as the torch side measures it (after the run: its session's memory is not the engine's)
  const tileMs = process.env.NNUNET_BENCH_TILE === '0' ? [NaN, NaN] : await timeOneTile(model.onnxPath, patch, threads);
  console.log(
    JSON.stringify({
      seconds,
      peakRssMb,
      tileMs: tileMs[1],
      tiles: r.tiles,
      networkRuns: r.networkRuns,
      grid: r.networkGrid,
      present,
      labelsHash: fnv1a(r.labels),
      stages,
    }),
  );
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
