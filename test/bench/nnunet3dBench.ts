// Benchmark: a 41-class 3D nnU-Net model on a synthetic 512 x 512 x 300 CT (0.8 x 0.8 x 1.5 mm, network grid at
// 1.5 mm, patch 128^3) — medseg's peak RSS (goal <= 2 GB) and seconds next to nnU-Net's own predictor on the same
// input, and one tile through the network on onnxruntime-node vs torch eager, as ratios. Environment knobs (the
// defaults are the case; the network is small unless NNUNET_BENCH_FEATURES says otherwise, since memory does
// not depend on it and a full nnU-Net network takes hours on a shared CPU):
//   NNUNET_BENCH_DIMS=512,512,300 NNUNET_BENCH_SPACING=0.8,0.8,1.5 NNUNET_BENCH_CLASSES=41 NNUNET_BENCH_PATCH=128,128,128
//   NNUNET_BENCH_FEATURES=4,8,16,32 NNUNET_BENCH_MIRROR=0 BENCH_THREADS=2
//   NNUNET_BENCH_REFERENCE=1 (also run nnU-Net's predictor; needs NNUNET_PYTHONPATH with the nnU-Net snapshots)
//   NNUNET_BENCH_REFERENCE_DIMS=256,256,150 (the reference's input when the full one would not fit: nnU-Net resamples
//     all class scores to the input grid in float32, 41 x 512 x 512 x 300 x 4 B = 12.9 GB before its softmax copy; its
//     peak is then extrapolated linearly in voxels above its start-up RSS, and said so)
//   NNUNET_BENCH_REFERENCE_AS_GB=12 (address-space limit for the reference process: it fails rather than exhaust memory)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_DIR } from '../helpers/paths.js';
import { planStreamingMemory } from '../../shared/domain/nnunet/memoryPlan.js';
import type { Shape3 } from '../../shared/domain/nnunet/array3.js';

const PYTHON = '/usr/bin/python3';
const STAGE_NAMES: Record<string, string> = {
  input: 'start-up + input',
  preprocessed: 'preprocessing',
  tile: 'first tile',
  tiles: 'all tiles',
  exported: 'export',
};
const env = (k: string, d: string) => process.env[k] ?? d;
const DIMS = env('NNUNET_BENCH_DIMS', '512,512,300').split(',').map(Number); // [i, j, k]
const SPACING = env('NNUNET_BENCH_SPACING', '0.8,0.8,1.5').split(',').map(Number);
const CLASSES = Number(env('NNUNET_BENCH_CLASSES', '41'));
const PATCH = env('NNUNET_BENCH_PATCH', '128,128,128');
const FEATURES = env('NNUNET_BENCH_FEATURES', '4,8,16,32');
const MIRROR = env('NNUNET_BENCH_MIRROR', '0');
const THREADS = env('BENCH_THREADS', '2');
const PYPATH = env(
  'NNUNET_PYTHONPATH',
  ['nnUNet', 'dynamic-network-architectures', 'acvl_utils', 'batchgenerators', 'batchgeneratorsv2'].map((p) => `/work/ext/${p}`).join(':'),
);

/** A body-like CT: air outside an elliptic trunk of soft tissue with brighter organs and a spine, some noise. */
export function syntheticCt([ni, nj, nk]: number[]): Int16Array {
  const v = new Int16Array(ni * nj * nk);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 40;
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++) {
        const x = (i - ni / 2) / (ni * 0.42);
        const y = (j - nj / 2) / (nj * 0.32);
        const r = x * x + y * y;
        let hu = -1000;
        if (r < 1) hu = r > 0.85 ? -100 : 40;
        if ((x - 0.3) ** 2 + (y + 0.1) ** 2 < 0.05) hu = 60 + ((k * 7) % 20);
        if (x * x + (y - 0.6) ** 2 < 0.01) hu = 700;
        v[i + ni * (j + nj * k)] = Math.round(hu + rnd());
      }
    }
  }
  return v;
}

function plannedMb(shapeKji: number[], spacingKji: number[]): number {
  const plan = {
    transposeForward: [0, 1, 2],
    spacing: [1.5, 1.5, 1.5],
    patchSize: PATCH.split(',').map(Number),
    useMirroring: MIRROR === '1',
    resamplingProbabilities: { order: 1, orderZ: 0, forceSeparateZ: null, anisotropyThreshold: 3 },
  };
  return planStreamingMemory(shapeKji as Shape3, spacingKji, plan, CLASSES).totalBytes / 2 ** 20;
}

export async function runNnunet3dBench(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nnunet3d-bench-'));
  const py = (args: string[], prefix: string[] = []) =>
    JSON.parse(
      execFileSync(
        prefix[0] ?? PYTHON,
        [...prefix.slice(1), ...(prefix.length ? [PYTHON] : []), path.join(REPO_DIR, 'test/reference/nnunet3d_bench.py'), ...args],
        {
          encoding: 'utf8',
          env: { ...process.env, PYTHONPATH: PYPATH },
          maxBuffer: 1 << 24,
        },
      )
        .trim()
        .split('\n')
        .at(-1)!,
    );
  try {
    const model = py(['model', dir, String(CLASSES), FEATURES, PATCH]);
    const shapeKji = [DIMS[2], DIMS[1], DIMS[0]];
    const spacingKji = [SPACING[2], SPACING[1], SPACING[0]];
    const input = path.join(dir, 'ct.i16');
    writeFileSync(input, syntheticCt(DIMS));
    const child = path.join(REPO_DIR, 'dist/test/bench/nnunet3dChild.js');
    const medseg = JSON.parse(
      execFileSync(process.execPath, [child, dir, input, shapeKji.join(','), spacingKji.join(','), String(CLASSES), PATCH, MIRROR, THREADS], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      })
        .trim()
        .split('\n')
        .at(-1)!,
    );
    const tile = py(['tile', dir, PATCH, '3', THREADS]);
    const lines = [
      `nnU-Net 3D bench: ${DIMS.join('x')} CT at ${SPACING.join('x')} mm -> network grid ${medseg.grid.shape.join('x')} at 1.5 mm, ${CLASSES} classes, patch ${PATCH}, features ${FEATURES} (${model.params} parameters), mirroring ${MIRROR === '1' ? 'on' : 'off'}, ${THREADS} threads`,
      `  medseg: ${medseg.seconds.toFixed(1)} s for ${medseg.tiles} tiles (${medseg.networkRuns} network runs), peak RSS ${medseg.peakRssMb.toFixed(0)} MB (goal <= 2048 MB), labels ${medseg.labelsHash}`,
      `  medseg peak RSS per stage (MB): ${(medseg.stages as { stage: string; peakMb: number }[]).map((st) => `${STAGE_NAMES[st.stage] ?? st.stage} ${st.peakMb.toFixed(0)}`).join(' | ')}`,
      `  planned buffers (image, slab, 2 tile outputs, exporter; no activations, no input): ${(plannedMb(shapeKji, spacingKji) as number).toFixed(0)} MB`,
      `  one tile: ORT-node ${medseg.tileMs.toFixed(0)} ms | torch ${tile.torch} eager ${tile.medianMs.toFixed(0)} ms | torch/ORT = ${(tile.medianMs / medseg.tileMs).toFixed(2)}x`,
    ];
    console.log(lines.join('\n')); // medseg's figures first: the reference run can take long
    lines.length = 0;
    if (process.env.NNUNET_BENCH_REFERENCE === '1') {
      const refDims = (process.env.NNUNET_BENCH_REFERENCE_DIMS ?? DIMS.join(',')).split(',').map(Number);
      const scale = (DIMS[0] * DIMS[1] * DIMS[2]) / (refDims[0] * refDims[1] * refDims[2]);
      let refInput = input;
      if (scale !== 1) {
        refInput = path.join(dir, 'ct-ref.i16');
        writeFileSync(refInput, syntheticCt(refDims));
      }
      const limit = `--as=${Math.round(Number(env('NNUNET_BENCH_REFERENCE_AS_GB', '12')) * 1e9)}`;
      const ref = py(['predict', dir, refInput, [refDims[2], refDims[1], refDims[0]].join(','), spacingKji.join(','), MIRROR, THREADS], ['prlimit', limit]);
      if (scale === 1) {
        lines.push(
          `  nnU-Net nnUNetPredictor: ${ref.seconds.toFixed(1)} s, peak RSS ${ref.peakRssMb.toFixed(0)} MB | nnU-Net/medseg time ${(ref.seconds / medseg.seconds).toFixed(2)}x, RSS ${(ref.peakRssMb / medseg.peakRssMb).toFixed(2)}x`,
        );
      } else {
        const extrapolated = ref.startRssMb + (ref.peakRssMb - ref.startRssMb) * scale;
        lines.push(
          `  nnU-Net nnUNetPredictor on ${refDims.join('x')} (1/${scale.toFixed(1)} of the voxels): ${ref.seconds.toFixed(1)} s, peak RSS ${ref.peakRssMb.toFixed(0)} MB (start-up ${ref.startRssMb.toFixed(0)} MB)`,
          `  nnU-Net extrapolated to ${DIMS.join('x')} (linear in voxels above start-up): peak RSS ~${extrapolated.toFixed(0)} MB = ${(extrapolated / medseg.peakRssMb).toFixed(1)}x medseg's measured peak`,
        );
      }
    } else {
      lines.push('  nnU-Net predictor not run (set NNUNET_BENCH_REFERENCE=1 and NNUNET_PYTHONPATH)');
    }
    console.log(lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
