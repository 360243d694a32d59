// The 3D path of the engine: a model with a manifest `nnunet` block runs as nnUNetPredictor does (preprocessing,
// Gaussian-blended sliding window with mirroring, folds averaged, class scores resampled back before the argmax),
// on onnxruntime, with the same progress, cancel and provider fallback as the 2D path. Tiles are streamed: only the
// per-class sums on the network grid (float16 by default, as nnU-Net) and one class at a time on the input grid live.
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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
  addFlipped,
  mirrorCombinations,
  scaleInPlace,
  type Accumulator,
  type AccumulatorType,
} from '../../../shared/domain/nnunet/predict.js';
import type { ModelFolder } from './registry.js';
import { SlabAccumulator, StreamingExporter } from '../../../shared/domain/nnunet/stream.js';
import { transpose3 } from '../../../shared/domain/nnunet/array3.js';
import { uncropFromBbox } from '../../../shared/domain/nnunet/crop.js';
import type { Preprocessed } from '../../../shared/domain/nnunet/preprocess.js';
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
  /** Also return the per-class softmax on the input grid (small volumes: tests; turns streaming off). */
  withProbabilities?: boolean;
  /** false: keep whole-grid sums as nnUNetPredictor does (default: stream slabs whenever the resampling allows). */
  streaming?: boolean;
  /** Called as each stage ends (the bench reads memory there). */
  onStage?: (stage: Nnunet3dStage) => void;
}

/** Stage boundaries reported through onStage, in order ('tile' after the first tile only). */
export type Nnunet3dStage = 'preprocessed' | 'tile' | 'tiles' | 'exported';

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
  /** Whether the slab-streaming form ran. */
  streamed: boolean;
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
  releaseGarbage(); // the full-resolution float32 copy and resampling intermediates, before the slab is allocated
  opts.onStage?.('preprocessed');
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
  const streaming = opts.streaming !== false && !opts.withProbabilities && StreamingExporter.applies(plan.resamplingProbabilities);
  const tilesTotal = starts.length * foldPaths.length;
  const progress = { done: 0, t0: performance.now(), total: tilesTotal, networkRuns: 0 };
  const tick = () => {
    progress.done++;
    progress.networkRuns += 1 + combos.length;
    if (progress.done === 1) opts.onStage?.('tile');
    if (progress.done === tilesTotal) opts.onStage?.('tiles');
    if (opts.onProgress) {
      const elapsed = (performance.now() - progress.t0) / 1000;
      opts.onProgress({ tilesDone: progress.done, tilesTotal, etaSeconds: (elapsed / progress.done) * (tilesTotal - progress.done) });
    }
  };
  // the 3D path gives onnxruntime's buffers back after each run unless told otherwise (lowMemory: false)
  const sessions = new FoldSessions(model.dir, foldPaths, { ...opts, lowMemory: opts.lowMemory ?? true });
  const tileInput = new Float32Array(size3(patch));
  let labels: Uint8Array;
  let probabilities: Float32Array | undefined;
  try {
    const run = async (fold: number, start: number[]): Promise<Float32Array> => {
      if (opts.signal?.aborted) throw cancelled();
      const logits = await sessions.runTile(fold, (session) =>
        runTile(session, m.input.name, m.output.name, image, padded, start, patch, classes, combos, tileInput),
      );
      tick();
      return logits;
    };
    // onnxruntime-node keeps the last run's outputs alive until the session runs again, so while tile N runs, tile
    // N-1's output (classes x patch float32, 328 MiB for 41 classes at 128^3) would still be resident: once a tile's
    // output is added, a run on the smallest input the network takes swaps it for a tiny one
    const d = m.sizeDivisor;
    const tiny = new ort.Tensor('float32', new Float32Array(d * d * d), [1, 1, d, d, d]);
    const consumed = async (fold: number): Promise<void> => {
      await sessions.dropHeldOutput(fold, m.input.name, tiny);
      releaseGarbage();
    };
    const window: SlidingWindow = { pre, plan, pads, padded, patch, classes, accType, nFolds: foldPaths.length, gaussian, run, consumed };
    if (streaming) {
      labels = await predictStreaming(window, steps);
    } else {
      const out = await predictWhole(window, starts, opts.withProbabilities);
      labels = out.labels;
      probabilities = out.probabilities;
    }
  } finally {
    await sessions.release();
  }
  opts.onStage?.('exported');
  return {
    labels,
    probabilities,
    provider: sessions.provider,
    fallbacks: sessions.fallbacks,
    networkGrid: { shape: [...pre.shape], spacingMm: [...plan.spacing], padded: [...padded] },
    tiles: starts.length,
    networkRuns: progress.networkRuns,
    folds: foldPaths,
    streamed: streaming,
  };
}

type RunTile = (fold: number, start: number[]) => Promise<Float32Array>;

/** What both sliding-window forms need: the preprocessed grid, its padding, the patch, the folds and the tile runner. */
interface SlidingWindow {
  pre: Preprocessed;
  plan: NnunetPlan;
  pads: [number, number][];
  padded: Shape3;
  patch: Shape3;
  classes: number;
  accType: AccumulatorType;
  nFolds: number;
  gaussian: Float32Array | null;
  run: RunTile;
  /** Called once a tile's output has been added: frees it before the next tile runs. */
  consumed: (fold: number) => Promise<void>;
}

/** Whole-grid sums (one per fold pass, as nnUNetPredictor): small volumes, and the only form that returns probabilities. */
async function predictWhole(w: SlidingWindow, starts: number[][], withProbabilities?: boolean): Promise<{ labels: Uint8Array; probabilities?: Float32Array }> {
  const { pre, plan, pads, padded, patch, classes, accType, nFolds, gaussian, run, consumed } = w;
  const weights = new Uint16Array(size3(padded));
  let total: Accumulator | null = null;
  for (let f = 0; f < nFolds; f++) {
    const acc = createAccumulator(accType, classes, padded);
    for (const start of starts) {
      accumulateTile(acc, f === 0 ? weights : null, await run(f, start), gaussian, start, patch);
      await consumed(f);
    }
    divideByWeights(acc, weights);
    if (total) addInto(total, acc);
    else total = acc;
  }
  if (nFolds > 1) scaleInPlace(total!, nFolds);
  return exportLabels(total!, pads, pre, plan, withProbabilities);
}

/**
 * Slab by slab along network axis 0: the sums are one patch deep, every fold runs the tiles of one axis-0 start
 * before the window moves on, and the planes it leaves behind are final and exported at once.
 */
async function predictStreaming(w: SlidingWindow, steps: number[][]): Promise<Uint8Array> {
  const { pre, plan, pads, padded, patch, classes, accType, nFolds, gaussian, run, consumed } = w;
  const slab = new SlabAccumulator(accType, classes, padded, patch[0], nFolds);
  const exporter = new StreamingExporter(pre.shape, pre.cropShape, plan.spacing, pre.spacingTransposed, plan.resamplingProbabilities, classes, accType);
  const emitPlanes = (from: number, to: number) => {
    for (let z = from; z < to; z++) {
      const s = z - pads[0][0];
      if (s < 0 || s >= pre.shape[0]) continue;
      exporter.push(s, slab.finalPlane(z, pads[1][0], pre.shape[1], pads[2][0], pre.shape[2]));
    }
  };
  const z0s = steps[0];
  for (let t = 0; t < z0s.length; t++) {
    slab.shiftTo(z0s[t]);
    for (let f = 0; f < nFolds; f++) {
      for (const y of steps[1]) {
        for (const x of steps[2]) {
          slab.add(f, await run(f, [z0s[t], y, x]), gaussian, [z0s[t], y, x], patch);
          await consumed(f); // the tile's output (classes x patch float32) is garbage now: free it before the next run
        }
      }
    }
    emitPlanes(z0s[t], t + 1 < z0s.length ? z0s[t + 1] : z0s[t] + patch[0]);
  }
  if (!exporter.done()) throw new AppError('INTERNAL', 'The streaming export did not reach the last plane.');
  const uncropped = uncropFromBbox({ shape: pre.cropShape, data: exporter.labels }, pre.bbox, pre.shapeBeforeCrop);
  return transpose3(uncropped, plan.transposeBackward).data;
}

/** One session per fold, created on first use with the provider fallback; a failed GPU run moves every fold to the CPU. */
class FoldSessions {
  provider = 'cpu';
  fallbacks: ProviderFallback[] = [];
  private readonly sessions = new Map<number, ort.InferenceSession>();
  private fromGpuList = false;
  private cpuOnly = false;

  constructor(
    private readonly dir: string,
    private readonly folds: string[],
    private readonly opts: Nnunet3dOptions,
  ) {}

  private async session(fold: number): Promise<ort.InferenceSession> {
    let s = this.sessions.get(fold);
    if (s) return s;
    const path = join(this.dir, this.folds[fold]);
    if (this.cpuOnly) {
      s = await createSessionFor(path, 'cpu', this.opts.threads, this.opts.lowMemory);
    } else {
      const created = await createSessionWithFallback(path, this.opts);
      s = created.session;
      this.provider = created.provider;
      this.fromGpuList = created.fromGpuList;
      if (fold === 0) this.fallbacks.push(...created.fallbacks);
    }
    this.sessions.set(fold, s);
    return s;
  }

  async runTile<T>(fold: number, fn: (s: ort.InferenceSession) => Promise<T>): Promise<T> {
    const s = await this.session(fold);
    try {
      return await fn(s);
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (!this.fromGpuList || this.cpuOnly || this.opts.device === 'gpu') {
        throw new AppError('INFERENCE_FAILED', `Inference failed on ${this.provider}: ${firstLine(err)}`);
      }
      // the same tile again on the CPU; later tiles and folds stay there
      this.fallbacks.push({ provider: this.provider, reason: `run failed (${firstLine(err)}); falling back to cpu` });
      await this.release();
      this.cpuOnly = true;
      this.provider = 'cpu';
      return fn(await this.session(fold));
    }
  }

  /** Runs fold's session on `tiny` (errors ignored: it only frees the previous outputs onnxruntime-node holds). */
  async dropHeldOutput(fold: number, inputName: string, tiny: ort.Tensor): Promise<void> {
    const s = this.sessions.get(fold);
    if (!s) return;
    try {
      await s.run({ [inputName]: tiny });
    } catch {
      // a network that refuses the tiny input keeps its last output until the next tile: more memory, same result
    }
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
  }
}

let gcFunction: (() => void) | null | undefined;

/**
 * A full garbage collection, when V8 lets us have one: onnxruntime-node returns every tile's output as a new
 * ArrayBuffer (41 classes x 128^3 float32 = 344 MB) and V8 frees those only at its next major GC, which a process
 * that allocates little else may not run before the next tile; then two or three outputs are resident at once.
 * A major GC of this small heap takes milliseconds against seconds per tile.
 */
function releaseGarbage(): void {
  if (gcFunction === undefined) {
    gcFunction = null;
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') gcFunction = g;
    else {
      try {
        setFlagsFromString('--expose-gc');
        const fn: unknown = runInNewContext('gc');
        if (typeof fn === 'function') gcFunction = fn as () => void;
      } catch {
        gcFunction = null;
      }
    }
  }
  gcFunction?.();
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

/**
 * One tile through the network, then each mirrored copy one after another (a 41-class 128^3 output is 344 MB, so
 * mirrored copies are not batched); returns the logits averaged over mirrors in float32, as nnU-Net sums them.
 */
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
  input: Float32Array,
): Promise<Float32Array> {
  const n = size3(patch);
  extractTile(image, shape, start, patch, input);
  const run = async (x: Float32Array): Promise<Float32Array> => {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', x, [1, 1, ...patch]) });
    const t = result[outputName];
    if (!t || t.dims.length !== 5 || t.dims[0] !== 1 || t.dims[1] !== classes || t.dims.slice(2).some((d, i) => d !== patch[i])) {
      throw new AppError('INFERENCE_FAILED', `Model output ${outputName} has shape [${t?.dims.join(', ')}], expected [1, ${classes}, ${patch.join(', ')}].`);
    }
    return t.data as Float32Array;
  };
  const pred = await run(input);
  if (combos.length) {
    const flipped = new Float32Array(n);
    for (const axes of combos) {
      addFlipped(pred, await run(flipAxes(input, 1, patch, axes, flipped)), classes, patch, axes);
      releaseGarbage();
    }
    const f = Math.fround;
    for (let k = 0; k < pred.length; k++) pred[k] = f(pred[k] / (combos.length + 1));
  }
  return pred;
}
