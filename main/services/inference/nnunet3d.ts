// The 3D path of the engine: a model with a manifest `nnunet` block runs as nnUNetPredictor does (preprocessing,
// Gaussian-blended sliding window with mirroring, folds averaged, class scores resampled back before the argmax),
// on onnxruntime, with the same progress, cancel and provider fallback as the 2D path. Tiles are streamed: only the
// per-class sums on the network grid (float16 by default, as nnU-Net) and one class at a time on the input grid live.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../../../shared/errors.js';
import { size3, type Shape3 } from '../../../shared/domain/nnunet/array3.js';
import { preprocessNnunet, type NnunetPlan } from '../../../shared/domain/nnunet/preprocess.js';
import { gaussianImportanceMap, paddingToPatch, slidingWindowSteps } from '../../../shared/domain/nnunet/window.js';
import {
  accumulateTile,
  addInto,
  createAccumulator,
  divideByWeights,
  exportLabels,
  extractTile,
  flipAxes,
  mirrorCombinations,
  scaleInPlace,
  type Accumulator,
  type AccumulatorType,
} from '../../../shared/domain/nnunet/predict.js';
import type { ModelFolder } from './registry.js';
import { createSessionFor, createSessionWithFallback, firstLine, type ProviderFallback, type SessionOptions } from './providers.js';
import type { NnunetBlock } from './manifest.js';

export interface Nnunet3dOptions extends SessionOptions {
  signal?: AbortSignal;
  onProgress?: (p: { tilesDone: number; tilesTotal: number; etaSeconds: number | null }) => void;
  /** float16 (nnU-Net's, the default) or float32 sums. */
  accumulator?: AccumulatorType;
  /** Overrides the manifest's useMirroring (nnUNetv2_predict --disable_tta). */
  useMirroring?: boolean;
  /** Which of the manifest's folds to run (indices into nnunet.folds); default all. */
  foldIndices?: number[];
  /** Also return the per-class softmax on the input grid (small volumes: tests). */
  withProbabilities?: boolean;
}

export interface Nnunet3dResult {
  /** Labels in the input's C order ([k, j, i] = medseg's i-fastest buffer). */
  labels: Uint8Array;
  probabilities?: Float32Array;
  provider: string;
  fallbacks: ProviderFallback[];
  networkGrid: { shape: number[]; spacingMm: number[]; padded: number[] };
  tiles: number;
  networkRuns: number;
  folds: string[];
}

export function planFromManifest(b: NnunetBlock): NnunetPlan {
  return {
    transposeForward: b.transposeForward,
    transposeBackward: b.transposeBackward,
    spacing: b.spacing,
    patchSize: b.patchSize,
    normalization: b.normalization[0],
    useMaskForNorm: b.useMaskForNorm[0],
    cropToNonzero: b.cropToNonzero,
    resamplingData: { ...b.resamplingData, anisotropyThreshold: b.anisotropyThreshold },
    resamplingProbabilities: { ...b.resamplingProbabilities, anisotropyThreshold: b.anisotropyThreshold },
    tileStepSize: b.tileStepSize,
    useMirroring: b.useMirroring,
    mirrorAxes: b.mirrorAxes,
    useGaussian: b.useGaussian,
  };
}

function cancelled(): AppError {
  return new AppError('CANCELLED', 'Segmentation cancelled; nothing was saved.');
}

/** Runs nnU-Net inference on a single-channel image given as nnU-Net's array [k, j, i] with spacing [sk, sj, si]. */
export async function predictNnunet3d(
  voxels: ArrayLike<number>,
  shapeKji: Shape3,
  spacingKji: readonly number[],
  model: ModelFolder,
  opts: Nnunet3dOptions,
): Promise<Nnunet3dResult> {
  const m = model.manifest;
  if (!m.nnunet) throw new AppError('MODEL_INVALID', `Model ${m.id} is 3D but its manifest has no nnunet block; this engine runs 3D nnU-Net models only.`);
  if (m.input.channels !== 1) throw new AppError('MODEL_INVALID', `Model ${m.id} needs ${m.input.channels} input channels; medseg feeds one series.`);
  const plan = planFromManifest(m.nnunet);
  if (opts.useMirroring !== undefined) plan.useMirroring = opts.useMirroring;
  const foldPaths = (opts.foldIndices ?? m.nnunet.folds.map((_, i) => i)).map((i) => {
    const f = m.nnunet!.folds[i];
    if (f === undefined) throw new AppError('INVALID_INPUT', `Model ${m.id} has no fold index ${i}.`);
    return f;
  });
  if (opts.signal?.aborted) throw cancelled();
  const classes = m.labels.length + 1;
  const patch = plan.patchSize as Shape3;
  const pre = preprocessNnunet(voxels, shapeKji, spacingKji, plan);
  const pads = paddingToPatch(pre.shape, patch);
  const padded: Shape3 = [pre.shape[0] + pads[0][0] + pads[0][1], pre.shape[1] + pads[1][0] + pads[1][1], pre.shape[2] + pads[2][0] + pads[2][1]];
  const image = padImage(pre.data, pre.shape, padded, pads);
  pre.data = new Float32Array(0); // the padded copy is the one used from here
  const steps = slidingWindowSteps(padded, patch, plan.tileStepSize);
  const starts: number[][] = [];
  for (const a of steps[0]) for (const b of steps[1]) for (const c of steps[2]) starts.push([a, b, c]);
  const gaussian = plan.useGaussian ? gaussianImportanceMap(patch) : null;
  const combos = plan.useMirroring ? mirrorCombinations(plan.mirrorAxes) : [];
  const accType = opts.accumulator ?? 'float16';
  const weights = new Uint16Array(size3(padded));
  const tilesTotal = starts.length * foldPaths.length;
  let tilesDone = 0;
  const t0 = performance.now();
  let total: Accumulator | null = null;
  const fallbacks: ProviderFallback[] = [];
  let provider = 'cpu';
  let networkRuns = 0;
  for (let f = 0; f < foldPaths.length; f++) {
    const onnxPath = join(model.dir, foldPaths[f]);
    const created = await createSessionWithFallback(onnxPath, opts);
    let session = created.session;
    provider = created.provider;
    fallbacks.push(...created.fallbacks);
    let fromGpuList = created.fromGpuList;
    try {
      for (;;) {
        const acc = createAccumulator(accType, classes, padded);
        const w = f === 0 ? weights.fill(0) : null;
        const doneBefore = tilesDone;
        try {
          for (const start of starts) {
            if (opts.signal?.aborted) throw cancelled();
            const logits = await runTile(session, m.input.name, m.output.name, image, padded, start, patch, classes, combos);
            networkRuns += 1 + combos.length;
            accumulateTile(acc, w, logits, gaussian, start, patch);
            tilesDone++;
            if (opts.onProgress) {
              const elapsed = (performance.now() - t0) / 1000;
              opts.onProgress({ tilesDone, tilesTotal, etaSeconds: (elapsed / tilesDone) * (tilesTotal - tilesDone) });
            }
          }
        } catch (err) {
          if (err instanceof AppError) throw err;
          if (!fromGpuList || opts.device === 'gpu') throw new AppError('INFERENCE_FAILED', `Inference failed on ${provider}: ${firstLine(err)}`);
          fallbacks.push({ provider, reason: `run failed (${firstLine(err)}); falling back to cpu` });
          const cpu = await createSessionFor(onnxPath, 'cpu', opts.threads);
          await session.release();
          session = cpu;
          provider = 'cpu';
          fromGpuList = false;
          tilesDone = doneBefore;
          continue;
        }
        divideByWeights(acc, weights);
        if (total) addInto(total, acc);
        else total = acc;
        break;
      }
    } finally {
      await session.release();
    }
  }
  if (foldPaths.length > 1) scaleInPlace(total!, foldPaths.length);
  if (opts.signal?.aborted) throw cancelled();
  const out = exportLabels(total!, pads, pre, plan, opts.withProbabilities);
  return {
    labels: out.labels,
    probabilities: out.probabilities,
    provider,
    fallbacks,
    networkGrid: { shape: [...pre.shape], spacingMm: [...plan.spacing], padded: [...padded] },
    tiles: starts.length,
    networkRuns,
    folds: foldPaths,
  };
}

function padImage(data: Float32Array, shape: Shape3, padded: Shape3, pads: [number, number][]): Float32Array {
  if (padded.every((p, i) => p === shape[i])) return data;
  const out = new Float32Array(size3(padded)); // nnU-Net pads the normalised image with 0
  for (let a = 0; a < shape[0]; a++) {
    for (let b = 0; b < shape[1]; b++) {
      const src = (a * shape[1] + b) * shape[2];
      out.set(data.subarray(src, src + shape[2]), ((a + pads[0][0]) * padded[1] + b + pads[1][0]) * padded[2] + pads[2][0]);
    }
  }
  return out;
}

/** One tile through the network, mirrored copies in the same batch; returns the logits averaged over mirrors (float32). */
async function runTile(
  session: ort.InferenceSession,
  inputName: string,
  outputName: string,
  image: Float32Array,
  shape: Shape3,
  start: readonly number[],
  patch: Shape3,
  classes: number,
  combos: number[][],
): Promise<Float32Array> {
  const n = size3(patch);
  const batch = 1 + combos.length;
  const input = new Float32Array(batch * n);
  extractTile(image, shape, start, patch, input.subarray(0, n));
  combos.forEach((axes, i) => flipAxes(input.subarray(0, n), 1, patch, axes, input.subarray((i + 1) * n, (i + 2) * n)));
  const result = await session.run({ [inputName]: new ort.Tensor('float32', input, [batch, 1, ...patch]) });
  const t = result[outputName];
  if (!t || t.dims.length !== 5 || t.dims[0] !== batch || t.dims[1] !== classes || t.dims.slice(2).some((d, i) => d !== patch[i])) {
    throw new AppError(
      'INFERENCE_FAILED',
      `Model output ${outputName} has shape [${t?.dims.join(', ')}], expected [${batch}, ${classes}, ${patch.join(', ')}].`,
    );
  }
  const all = t.data as Float32Array;
  const per = classes * n;
  const pred = all.slice(0, per);
  if (combos.length) {
    const tmp = new Float32Array(per);
    const f = Math.fround;
    combos.forEach((axes, i) => {
      flipAxes(all.subarray((i + 1) * per, (i + 2) * per), classes, patch, axes, tmp);
      for (let k = 0; k < per; k++) pred[k] = f(pred[k] + tmp[k]);
    });
    for (let k = 0; k < per; k++) pred[k] = f(pred[k] / batch);
  }
  t.dispose();
  return pred;
}
