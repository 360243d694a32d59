// Reads test/fixtures/nnunet-reference (made by test/fixtures/make-nnunet-reference.py): nnU-Net's plans and dataset
// of each tiny model turned into a medseg manifest (the fields the 3D engine needs), the inputs and nnU-Net's outputs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_DIR } from './paths.js';
import { parseManifest } from '../../main/services/inference/manifest.js';
import type { ModelFolder } from '../../main/services/inference/registry.js';
import { nnunetToIjk } from '../../main/services/inference/manifest.js';
import type { Volume } from '../../shared/domain/volume.js';

export const NNUNET_REF_DIR = path.join(REPO_DIR, 'test/fixtures/nnunet-reference');

export interface RefRun {
  folds: number[];
  mirroring: boolean;
  seg: string;
  labelCounts: number[];
  probIndex: number[];
  prob: number[][];
}
export interface RefCase {
  model: string;
  shape: [number, number, number];
  spacing: number[];
  input: string;
  preprocessed: { shape: number[]; bbox: number[][]; sampleIndex: number[]; sampleValue: number[]; mean: number; std: number };
  runs: Record<string, RefRun>;
}

export function readReference(): { cases: Record<string, RefCase>; steps: unknown; nnunetCommit: string } {
  return JSON.parse(readFileSync(path.join(NNUNET_REF_DIR, 'reference.json'), 'utf8'));
}

export function readInput(c: RefCase): Int16Array {
  const b = readFileSync(path.join(NNUNET_REF_DIR, c.input));
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** A reference case as medseg holds a series: i fastest, dims [ni, nj, nk], spacing [si, sj, sk], identity LPS axes. */
export function refCaseVolume(c: RefCase): Volume {
  const [nk, nj, ni] = c.shape;
  const [sk, sj, si] = c.spacing;
  return {
    dims: [ni, nj, nk],
    spacingMm: [si, sj, sk],
    originLps: [0, 0, 0],
    directionLps: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    voxels: readInput(c),
  };
}

export function readSeg(run: RefRun): Uint8Array {
  return new Uint8Array(readFileSync(path.join(NNUNET_REF_DIR, run.seg)));
}

/** The fixture model as a ModelFolder, its manifest derived from plans.json + dataset.json. */
export function fixtureModel(name: string): ModelFolder {
  const dir = path.join(NNUNET_REF_DIR, name);
  const plans = JSON.parse(readFileSync(path.join(dir, 'plans.json'), 'utf8'));
  const dataset = JSON.parse(readFileSync(path.join(dir, 'dataset.json'), 'utf8'));
  const cfg = plans.configurations['3d_fullres'];
  const props = plans.foreground_intensity_properties_per_channel['0'];
  const normalization = cfg.normalization_schemes.map((s: string) =>
    s === 'CTNormalization'
      ? { scheme: s, mean: props.mean, std: props.std, percentile00_5: props.percentile_00_5, percentile99_5: props.percentile_99_5 }
      : { scheme: s },
  );
  const res = (k: { order: number; order_z: number; force_separate_z: boolean | null }) => ({
    order: k.order,
    orderZ: k.order_z,
    forceSeparateZ: k.force_separate_z,
  });
  const nnunet = {
    transposeForward: plans.transpose_forward,
    transposeBackward: plans.transpose_backward,
    spacing: cfg.spacing,
    patchSize: cfg.patch_size,
    normalization,
    useMaskForNorm: cfg.use_mask_for_norm,
    resamplingData: res(cfg.resampling_fn_data_kwargs),
    resamplingProbabilities: res(cfg.resampling_fn_probabilities_kwargs),
    mirrorAxes: [0, 1, 2],
    folds: ['fold_0/network.onnx', 'fold_1/network.onnx'],
  };
  const ijk = nnunetToIjk(nnunet);
  const labels = Object.entries(dataset.labels as Record<string, number>)
    .filter(([, v]) => v > 0)
    .map(([n, v]) => ({ value: v, name: n, colorRgb: [200, 100, 50], kind: 'organ' }));
  const manifest = parseManifest(
    {
      id: `nnunet-fixture-${name}`,
      version: '0',
      name,
      modality: dataset.channel_names['0'] === 'CT' ? 'CT' : 'MR',
      dimensions: 3,
      spacingMm: ijk.spacingMm,
      patchSize: ijk.patchSize,
      sizeDivisor: 4,
      overlap: 0.5,
      normalization: { type: 'volume-zscore' },
      outsideValue: 0,
      input: { name: 'input', layout: 'NCDHW', channels: 1 },
      output: { name: 'logits', layout: 'NCDHW', activation: 'logits' },
      labels,
      nnunet,
    },
    dir,
  );
  return { dir, manifest, onnxPath: path.join(dir, 'fold_0/network.onnx'), sha256: '', opset: 17, sizeBytes: 0, warnings: [] };
}
