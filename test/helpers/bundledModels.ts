// The bundled 3D models' held-out check, shared by their tests: run a model through the engine on a NIfTI image and
// compute Dice per label on the held-out slab (slices k >= fromK) that metrics.json reports, with names pairing labels.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { segmentVolume, type SegmentResult } from '../../main/services/inference/engine.js';
import { resolveModel, type ModelFolder } from '../../main/services/inference/registry.js';
import { loadVolumeFromPath } from '../../main/services/series/volumes.js';
import type { Volume } from '../../shared/domain/volume.js';
import { REPO_DIR } from './paths.js';

export interface HeldOutMetrics {
  heldOutSlices: [number, number];
  onnxSha256: string;
  heldOut: Record<string, { dice: number | null; truthVoxels: number; predVoxels: number }>;
}

export function readMetrics(modelId: string): HeldOutMetrics {
  return JSON.parse(readFileSync(path.join(REPO_DIR, 'models', modelId, 'metrics.json'), 'utf8')) as HeldOutMetrics;
}

export async function runBundledModel(modelId: string, imagePath: string): Promise<{ model: ModelFolder; volume: Volume; result: SegmentResult }> {
  const model = await resolveModel(modelId);
  const { volume } = await loadVolumeFromPath(imagePath);
  const result = await segmentVolume(volume, model, { device: 'cpu', threads: 1 });
  return { model, volume, result };
}

export interface SlabCounts {
  dice: number | null;
  truthVoxels: number;
  predVoxels: number;
}

/** Dice of (pred == predValue) against (truth == truthValue) on slices k >= fromK of an i-fastest grid; null when both are empty. */
export function slabDice(
  pred: ArrayLike<number>,
  predValue: number,
  truth: ArrayLike<number>,
  truthValue: number,
  dims: readonly number[],
  fromK: number,
): SlabCounts {
  let a = 0;
  let b = 0;
  let both = 0;
  for (let n = fromK * dims[0] * dims[1]; n < pred.length; n++) {
    const p = pred[n] === predValue;
    const t = truth[n] === truthValue;
    if (p) a++;
    if (t) b++;
    if (p && t) both++;
  }
  return { dice: a + b === 0 ? null : (2 * both) / (a + b), truthVoxels: b, predVoxels: a };
}
