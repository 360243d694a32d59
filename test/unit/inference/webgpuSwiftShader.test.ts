// The GPU path without a GPU: onnxruntime-node's WebGPU provider runs on Chromium's SwiftShader Vulkan driver (CPU).
// The engine, asked for --device gpu, must run the model on webgpu, record that provider, and give the CPU's result:
// logits of a tile within 1e-3 (measured ~3e-4 on this model), labels equal except where the CPU's top two classes
// are within 1e-3 of each other (near-ties). Slow (shader compilation, ~4 s first run): one small model, a small volume.
// The environment is set in this test process (a vitest fork of its own) before any WebGPU use, and is inherited by
// the provider probe's child process. Needs Debian chromium (the SwiftShader ICD) and libvulkan1 (the Vulkan loader);
// either missing fails the test: it never skips. Figures measured on a loaded 2-core machine: max logit difference
// 1.8e-5, 0 of 27,648 labels different. 3D nnU-Net networks do not run on this provider (3D ConvTranspose): the test
// checks the honest fallback to CPU.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModelFolder } from '../../../main/services/inference/registry.js';
import { segmentVolume } from '../../../main/services/inference/engine.js';
import { createSessionFor } from '../../../main/services/inference/providers.js';
import { loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { normalizeIntensities } from '../../../shared/domain/inference/normalize.js';
import type { Volume } from '../../../shared/domain/volume.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';
import { fixtureModel, readReference, refCaseVolume } from '../../helpers/nnunetReference.js';
import { tinyConvOnnx } from '../../helpers/tinyOnnx.js';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const MODEL = path.join(REPO_DIR, 'models/lung-nodule-ct');
const CT = path.join(DATA_DIR, 'totalsegmentator_example/example_ct_dicom');
const LOGIT_TOLERANCE = 1e-3;

/** A sub-block of a volume (same spacing and direction; origin moved to the block's first voxel). */
function crop(v: Volume, from: [number, number, number], size: [number, number, number]): Volume {
  const [nx, ny] = v.dims;
  const out = new Float32Array(size[0] * size[1] * size[2]);
  let n = 0;
  for (let k = 0; k < size[2]; k++)
    for (let j = 0; j < size[1]; j++) for (let i = 0; i < size[0]; i++) out[n++] = v.voxels[from[0] + i + nx * (from[1] + j + ny * (from[2] + k))];
  const originLps = [0, 1, 2].map((r) => v.originLps[r] + [0, 1, 2].reduce((s, a) => s + v.directionLps[a][r] * v.spacingMm[a] * from[a], 0));
  return { ...v, dims: [...size], originLps: originLps as Volume['originLps'], voxels: out };
}

/**
 * A model folder whose network is one 1x1 convolution: background below ~-400 HU, 'soft' between, 'bright' above
 * ~+400 HU (logits -10x+3, 0, 10x-7 of x = HU windowed to [-1000, 1000] -> [0, 1]).
 */
function tinyIntensityModel(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'medseg-tiny-model-'));
  writeFileSync(path.join(dir, 'model.onnx'), tinyConvOnnx({ outChannels: 3, spatialDims: 2, weights: [-10, 0, 10], bias: [3, 0, -7] }));
  const label = (value: number, name: string) => ({ value, name, colorRgb: [value * 100, 50, 50], kind: 'other' });
  const manifest = {
    id: 'tiny-intensity',
    version: '1',
    name: 'one-layer intensity classes (test)',
    modality: 'CT',
    dimensions: 2,
    spacingMm: [1, 1],
    patchSize: [48, 48],
    sizeDivisor: 16,
    overlap: 0.25,
    normalization: { type: 'ct-window01', windowHu: [-1000, 1000] },
    outsideValue: -1024,
    input: { name: 'input', layout: 'NCHW', channels: 1 },
    output: { name: 'logits', layout: 'NCHW', activation: 'logits' },
    labels: [label(1, 'soft'), label(2, 'bright')],
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  writeFileSync(path.join(dir, 'MODEL_CARD.md'), '# tiny-intensity\nTest model.\n');
  return dir;
}

beforeAll(() => {
  if (!existsSync(ICD)) {
    throw new Error(`SwiftShader's Vulkan driver is missing (${ICD}): install Debian's chromium to test the WebGPU path.`);
  }
  // Dawn loads the Vulkan loader from the library path, fixed at process start (chromium's own copy is not on it)
  if (!/libvulkan\.so\.1\b/.test(execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }))) {
    throw new Error('The Vulkan loader libvulkan.so.1 is missing: install Debian libvulkan1 to test the WebGPU path.');
  }
  process.env.XDG_RUNTIME_DIR = mkdtempSync(path.join(tmpdir(), 'medseg-xdg-'));
  process.env.VK_ICD_FILENAMES = ICD;
});

describe('WebGPU provider on SwiftShader', () => {
  it('a tile: webgpu logits equal the CPU logits within 1e-3', async () => {
    const model = await loadModelFolder(MODEL);
    const [h, w] = model.manifest.patchSize;
    const input = new Float32Array(h * w);
    // a bright disc on a dark field (a nodule-like input) plus a ramp, normalised as the engine does
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) input[y * w + x] = (Math.hypot(y - h / 2, x - w / 2) < 8 ? 40 : -800) + 3 * x;
    const feed = normalizeIntensities(input, model.manifest.normalization);
    const run = async (provider: string): Promise<Float32Array> => {
      const session = await createSessionFor(model.onnxPath, provider);
      try {
        const r = await session.run({ [model.manifest.input.name]: new ort.Tensor('float32', feed.slice(), [1, 1, h, w]) });
        return Float32Array.from(r[model.manifest.output.name].data as Float32Array);
      } finally {
        await session.release();
      }
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(gpu.length).toBe(cpu.length);
    let maxDiff = 0;
    for (let n = 0; n < cpu.length; n++) maxDiff = Math.max(maxDiff, Math.abs(cpu[n] - gpu[n]));
    console.log(`webgpu (SwiftShader) vs cpu, one ${h}x${w} tile: max |logit difference| ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThan(LOGIT_TOLERANCE);
  });

  it('the engine with --device gpu runs on webgpu (recorded) and gives the CPU labels on a small real CT block', async () => {
    // a one-layer network keeps SwiftShader's shader compilation short; the tile test above runs the real U-Net
    const model = await loadModelFolder(tinyIntensityModel());
    const loaded = await loadVolumeFromPath(CT);
    const [nx, ny] = loaded.volume.dims;
    const block = crop(loaded.volume, [Math.floor(nx / 2) - 48, Math.floor(ny / 2) - 48, 0], [96, 96, 3]);
    const cpu = await segmentVolume(block, model, { device: 'cpu', threads: 2 });
    const gpu = await segmentVolume(block, model, { device: 'gpu', gpuProviders: ['webgpu'] });
    expect(gpu.provider).toBe('webgpu');
    expect(gpu.fallbacks).toEqual([]);
    expect(cpu.provider).toBe('cpu');
    expect(gpu.params.tiles).toBe(cpu.params.tiles);
    let differ = 0;
    for (let n = 0; n < cpu.labelMap.labels.length; n++) if (cpu.labelMap.labels[n] !== gpu.labelMap.labels[n]) differ++;
    console.log(
      `webgpu (SwiftShader) vs cpu, ${block.dims.join('x')} CT block (${cpu.params.tiles} tiles): ${differ} of ${cpu.labelMap.labels.length} labels differ; ` +
        `gpu ${gpu.seconds.toFixed(1)} s, cpu ${cpu.seconds.toFixed(2)} s (shared machine)`,
    );
    // a near-tie can flip; anything beyond a handful of voxels is a real difference
    expect(differ / cpu.labelMap.labels.length).toBeLessThan(0.001);
    // the block holds all three classes, so equality is not that of two empty maps
    expect(new Set(cpu.labelMap.labels).size).toBe(3);
  });

  it('a 3D nnU-Net model: the WebGPU provider cannot run 3D ConvTranspose, so --device auto ends on CPU, says why, same labels', async () => {
    // measured: onnxruntime-node 1.30's WebGPU kernels create the session, then refuse the decoder's 3D ConvTranspose
    // at run time ("Only Conv2d or Conv1d are supported"); the engine must fall back, not fail or give other labels
    const base = fixtureModel('ct');
    const model = { ...base, manifest: { ...base.manifest, nnunet: { ...base.manifest.nnunet!, useMirroring: false, folds: ['fold_0/network.onnx'] } } };
    const volume: Volume = refCaseVolume(readReference().cases.ct_aniso);
    const cpu = await segmentVolume(volume, model, { device: 'cpu', threads: 2 });
    const gpu = await segmentVolume(volume, model, { device: 'auto', gpuProviders: ['webgpu'] });
    expect(gpu.provider).toBe('cpu');
    expect(gpu.fallbacks.find((f) => f.provider === 'webgpu')?.reason).toMatch(/ConvTranspose|Conv2d or Conv1d/);
    let differ = 0;
    for (let n = 0; n < cpu.labelMap.labels.length; n++) if (cpu.labelMap.labels[n] !== gpu.labelMap.labels[n]) differ++;
    console.log(
      `3D nnU-Net fixture, --device auto with webgpu: ran on ${gpu.provider} (${gpu.fallbacks
        .map((f) => f.reason)
        .join('; ')
        .slice(0, 200)}); ${differ} of ${cpu.labelMap.labels.length} labels differ from cpu`,
    );
    expect(differ).toBe(0);
  });
});
