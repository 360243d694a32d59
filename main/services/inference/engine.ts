// The segmentation pipeline: series volume -> model grid (LPS-aligned, model spacing) -> normalise -> Gaussian-
// blended sliding window on onnxruntime -> uint8 argmax per slice -> per-label post-processing (model grid) ->
// labels back on the series grid by nearest neighbour. Class scores exist only for one slice at a time, as float32.
import * as ort from 'onnxruntime-node';
import { AppError } from '../../../shared/errors.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { voxelCount, type Volume, type VolumeGeometry } from '../../../shared/domain/volume.js';
import type { ModelFolder } from './registry.js';
import { normalizeIntensities } from '../../../shared/domain/inference/normalize.js';
import { modelGrid } from '../../../shared/domain/inference/modelGrid.js';
import { resampleLabelsNearest, resampleLinear } from '../../../shared/domain/resample.js';
import { accumulateTile, argmaxClasses, gaussianWeights, softmaxChannels, tileStarts } from '../../../shared/domain/inference/window.js';
import { keepEnclosedComponents, keepLargestComponents } from '../../../shared/domain/inference/postprocess.js';
import { createSessionFor, createSessionWithFallback, firstLine, type ProviderFallback, type SessionOptions } from './providers.js';
import { predictNnunet3d } from './nnunet3d.js';

export interface SegmentProgress {
  tilesDone: number;
  tilesTotal: number;
  /** Seconds left at the pace so far; null before the first tile. */
  etaSeconds: number | null;
}

export interface SegmentOptions extends SessionOptions {
  signal?: AbortSignal;
  onProgress?: (p: SegmentProgress) => void;
  /** Tile size [H, W]; default the manifest's. Must be multiples of sizeDivisor. */
  patchSize?: number[];
}

export interface SegmentResult {
  labelMap: LabelMap;
  provider: string;
  fallbacks: ProviderFallback[];
  seconds: number;
  /** What ran, for the segmentation record. */
  params: {
    device: string;
    threads: number | null;
    patchSize: number[];
    overlap: number;
    modelGrid: { dims: number[]; spacingMm: number[] };
    tiles: number;
    /** Voxels of the model grid removed by post-processing, per label name. */
    removedByPostprocessVoxels: Record<string, number>;
  };
}

function cancelled(): AppError {
  return new AppError('CANCELLED', 'Segmentation cancelled; nothing was saved.');
}

function roundUp(n: number, d: number): number {
  return Math.ceil(n / d) * d;
}

interface TilePlan {
  tileH: number;
  tileW: number;
  ys: number[];
  xs: number[];
}

function planTiles(grid: VolumeGeometry, patch: number[], divisor: number, overlap: number): TilePlan {
  const H = grid.dims[1];
  const W = grid.dims[0];
  // a slice smaller than the patch gets a smaller tile (rounded up to the divisor): less padding to compute
  const tileH = Math.min(patch[0], roundUp(H, divisor));
  const tileW = Math.min(patch[1], roundUp(W, divisor));
  return { tileH, tileW, ys: tileStarts(H, tileH, overlap), xs: tileStarts(W, tileW, overlap) };
}

/** Runs every tile of every slice; returns labels on the model grid. Throws AppError CANCELLED when aborted. */
async function runSlices(
  session: ort.InferenceSession,
  model: ModelFolder,
  grid: VolumeGeometry,
  values: Float32Array,
  padValue: number,
  plan: TilePlan,
  opts: SegmentOptions,
): Promise<Uint8Array> {
  const m = model.manifest;
  const classes = m.labels.length + 1;
  const H = grid.dims[1];
  const W = grid.dims[0];
  const slicePixels = H * W;
  const { tileH, tileW, ys, xs } = plan;
  const tilePixels = tileH * tileW;
  const weights = gaussianWeights(tileH, tileW);
  const out = new Uint8Array(voxelCount(grid));
  const acc = new Float32Array(classes * slicePixels);
  const wsum = new Float32Array(slicePixels);
  const input = new Float32Array(tilePixels);
  const tilesTotal = grid.dims[2] * ys.length * xs.length;
  let tilesDone = 0;
  const t0 = performance.now();
  for (let k = 0; k < grid.dims[2]; k++) {
    acc.fill(0);
    wsum.fill(0);
    const slice = values.subarray(k * slicePixels, (k + 1) * slicePixels);
    for (const y0 of ys) {
      for (const x0 of xs) {
        if (opts.signal?.aborted) throw cancelled();
        input.fill(padValue);
        for (let y = 0; y < tileH && y0 + y < H; y++) {
          const rowStart = (y0 + y) * W + x0;
          input.set(slice.subarray(rowStart, rowStart + Math.min(tileW, W - x0)), y * tileW);
        }
        const feeds = { [m.input.name]: new ort.Tensor('float32', input, [1, 1, tileH, tileW]) };
        const result = await session.run(feeds);
        const t = result[m.output.name];
        if (!t || t.dims.length !== 4 || t.dims[1] !== classes || t.dims[2] !== tileH || t.dims[3] !== tileW) {
          throw new AppError(
            'INFERENCE_FAILED',
            `Model output ${m.output.name} has shape [${t?.dims.join(', ')}], expected [1, ${classes}, ${tileH}, ${tileW}].`,
          );
        }
        const probs = t.data as Float32Array;
        if (m.output.activation === 'logits') softmaxChannels(probs, classes, tilePixels);
        accumulateTile(acc, wsum, H, W, probs, weights, classes, tileH, tileW, y0, x0);
        t.dispose();
        tilesDone++;
        if (opts.onProgress) {
          const elapsed = (performance.now() - t0) / 1000;
          opts.onProgress({ tilesDone, tilesTotal, etaSeconds: (elapsed / tilesDone) * (tilesTotal - tilesDone) });
        }
      }
    }
    argmaxClasses(acc, classes, slicePixels, out, k * slicePixels);
  }
  return out;
}

/**
 * A 3D nnU-Net model on the series as stored: the voxel buffer (i fastest) is nnU-Net's array [k, j, i] with spacing
 * [sk, sj, si], as nnU-Net would read the same image through SimpleITK, so labels come back on the series grid.
 */
async function segmentVolume3d(volume: Volume, model: ModelFolder, opts: SegmentOptions, t0: number): Promise<SegmentResult> {
  const m = model.manifest;
  const [ni, nj, nk] = volume.dims;
  const [si, sj, sk] = volume.spacingMm;
  const r = await predictNnunet3d(volume.voxels, [nk, nj, ni], [sk, sj, si], model, opts);
  const removed: Record<string, number> = {};
  const organs = m.labels.filter((l) => l.postprocess === 'largest-component');
  if (organs.length) {
    const byValue = keepLargestComponents(
      r.labels,
      volume.dims,
      organs.map((l) => l.value),
    );
    for (const l of organs) removed[l.name] = byValue.get(l.value) ?? 0;
  }
  for (const l of m.labels) {
    if (l.postprocess === 'inside-label' && l.insideLabel !== undefined) {
      removed[l.name] = keepEnclosedComponents(r.labels, volume.dims, l.value, l.insideLabel, l.minEnclosedFraction ?? 0.5);
    }
  }
  return {
    labelMap: {
      dims: [...volume.dims],
      spacingMm: [...volume.spacingMm],
      originLps: [...volume.originLps],
      directionLps: [[...volume.directionLps[0]], [...volume.directionLps[1]], [...volume.directionLps[2]]],
      labels: r.labels,
      table: m.labels.map(({ value, name, colorRgb, kind }) => ({ value, name, colorRgb: [...colorRgb], kind })),
    },
    provider: r.provider,
    fallbacks: r.fallbacks,
    seconds: (performance.now() - t0) / 1000,
    params: {
      device: opts.device,
      threads: opts.threads ?? null,
      patchSize: [...m.nnunet!.patchSize],
      overlap: 1 - m.nnunet!.tileStepSize,
      // nnU-Net's network grid: transposed array axes, not [i, j, k]
      modelGrid: { dims: r.networkGrid.shape, spacingMm: r.networkGrid.spacingMm },
      tiles: r.tiles * r.folds.length,
      removedByPostprocessVoxels: removed,
    },
  };
}

export async function segmentVolume(volume: Volume, model: ModelFolder, opts: SegmentOptions): Promise<SegmentResult> {
  const t0 = performance.now();
  const m = model.manifest;
  if (volume.voxels.length !== voxelCount(volume)) {
    throw new AppError('INVALID_INPUT', `Volume has ${volume.voxels.length} voxels but its grid needs ${voxelCount(volume)}.`);
  }
  if (m.dimensions === 3) return segmentVolume3d(volume, model, opts, t0);
  const patch = opts.patchSize ?? m.patchSize;
  if (patch.some((p) => p % m.sizeDivisor !== 0 || p <= 0)) {
    throw new AppError('INVALID_INPUT', `Tile size ${patch.join('x')} is not a multiple of ${m.sizeDivisor}.`);
  }
  if (opts.signal?.aborted) throw cancelled();
  const grid = modelGrid(volume, m.spacingMm);
  const values = normalizeIntensities(resampleLinear(volume.voxels, volume, grid, m.outsideValue), m.normalization);
  const padValue = normalizeIntensities(Float32Array.of(m.outsideValue), m.normalization)[0];

  let { session, provider, fromGpuList, fallbacks } = await createSessionWithFallback(model.onnxPath, opts);
  let plan = planTiles(grid, patch, m.sizeDivisor, m.overlap);
  let gridLabels: Uint8Array | undefined;
  try {
    for (let attempt = 0; gridLabels === undefined; attempt++) {
      try {
        gridLabels = await runSlices(session, model, grid, values, padValue, plan, opts);
      } catch (err) {
        if (err instanceof AppError && (err.code === 'CANCELLED' || err.code === 'INFERENCE_FAILED')) throw err;
        if (!fromGpuList) throw new AppError('INFERENCE_FAILED', `Inference failed on CPU: ${firstLine(err)}`);
        // a GPU run failure is often memory: retry once with half-size tiles, then on CPU
        const halfH = roundUp(Math.max(m.sizeDivisor, Math.floor(plan.tileH / 2)), m.sizeDivisor);
        const halfW = roundUp(Math.max(m.sizeDivisor, Math.floor(plan.tileW / 2)), m.sizeDivisor);
        if (attempt === 0 && (halfH < plan.tileH || halfW < plan.tileW)) {
          fallbacks.push({ provider, reason: `run failed with ${plan.tileH}x${plan.tileW} tiles (${firstLine(err)}); retrying with ${halfH}x${halfW}` });
          plan = planTiles(grid, [halfH, halfW], m.sizeDivisor, m.overlap);
          continue;
        }
        if (opts.device === 'gpu') throw new AppError('INFERENCE_FAILED', `Inference failed on ${provider}: ${firstLine(err)}`);
        fallbacks.push({ provider, reason: `run failed (${firstLine(err)}); falling back to cpu` });
        const cpu = await createSessionFor(model.onnxPath, 'cpu', opts.threads);
        await session.release();
        session = cpu;
        provider = 'cpu';
        fromGpuList = false;
        plan = planTiles(grid, patch, m.sizeDivisor, m.overlap);
      }
    }
  } finally {
    await session.release();
  }

  // post-processing on the model grid (what the network saw, as in the Python evaluation): its component buffers stay small
  // (a 512 x 512 x 600 series would need ~1.2 GB of them at full resolution)
  const organs = m.labels.filter((l) => l.postprocess === 'largest-component');
  const removedByValue = keepLargestComponents(
    gridLabels,
    grid.dims,
    organs.map((l) => l.value),
  );
  const removed: Record<string, number> = Object.fromEntries(organs.map((l) => [l.name, removedByValue.get(l.value) ?? 0]));
  // after the organs are cleaned, so a lesion is judged against the organ that is actually kept
  for (const l of m.labels) {
    if (l.postprocess === 'inside-label' && l.insideLabel !== undefined) {
      removed[l.name] = keepEnclosedComponents(gridLabels, grid.dims, l.value, l.insideLabel, l.minEnclosedFraction ?? 0.5);
    }
  }
  const labels = resampleLabelsNearest({ ...grid, labels: gridLabels }, volume);
  const tiles = grid.dims[2] * plan.ys.length * plan.xs.length;
  return {
    labelMap: {
      dims: [...volume.dims],
      spacingMm: [...volume.spacingMm],
      originLps: [...volume.originLps],
      directionLps: [[...volume.directionLps[0]], [...volume.directionLps[1]], [...volume.directionLps[2]]],
      labels,
      table: m.labels.map(({ value, name, colorRgb, kind }) => ({ value, name, colorRgb: [...colorRgb], kind })),
    },
    provider,
    fallbacks,
    seconds: (performance.now() - t0) / 1000,
    params: {
      device: opts.device,
      threads: opts.threads ?? null,
      patchSize: [plan.tileH, plan.tileW],
      overlap: m.overlap,
      modelGrid: { dims: [...grid.dims], spacingMm: [...grid.spacingMm] },
      tiles,
      removedByPostprocessVoxels: removed,
    },
  };
}
