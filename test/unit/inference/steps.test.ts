// Each inference pipeline step on small cases whose answers follow from the maths: model grid, resampling,
// normalisation, tiling, Gaussian blending, argmax, largest component, ONNX header reading and manifest checks.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { identityDirection, ijkToLps, type Volume } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { modelGrid } from '../../../shared/domain/inference/modelGrid.js';
import { resampleLabelsNearest, resampleLinear } from '../../../shared/domain/resample.js';
import { normalizeIntensities } from '../../../shared/domain/inference/normalize.js';
import { accumulateTile, argmaxClasses, gaussianWeights, softmaxChannels, tileStarts } from '../../../shared/domain/inference/window.js';
import { keepEnclosedComponents, keepLargestComponents } from '../../../shared/domain/inference/postprocess.js';
import { readOnnxInfo } from '../../../main/services/inference/onnxInfo.js';
import { parseManifest } from '../../../main/services/inference/manifest.js';
import { loadModelFolder } from '../../../main/services/inference/registry.js';
import { REPO_DIR } from '../../helpers/paths.js';

const FIXTURE = `${REPO_DIR}/test/fixtures/threshold-model`;

/** A 4x3x2 volume whose i axis points Right and j axis Anterior (flipped relative to LPS), 2 x 3 x 5 mm. */
function flippedVolume(): Volume {
  const dims: [number, number, number] = [4, 3, 2];
  const voxels = new Float32Array(24);
  for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) voxels[i + 4 * (j + 3 * k)] = 100 * k + 10 * j + i;
  return {
    dims,
    spacingMm: [2, 3, 5],
    originLps: [10, 20, 30],
    directionLps: [
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, 1],
    ],
    voxels,
  };
}

describe('model grid and resampling', () => {
  it('puts an LR/AP-flipped series on an LPS-aligned grid with the same voxel centres, values mirrored', () => {
    const vol = flippedVolume();
    const grid = modelGrid(vol, [2, 3]);
    expect(grid.dims).toEqual([4, 3, 2]);
    expect(grid.spacingMm).toEqual([2, 3, 5]);
    // the most-left, most-posterior corner of the series: i = 3 (x = 10 - 6), j = 2 (y = 20 - 6)
    expect(grid.originLps).toEqual([4, 14, 30]);
    const v = resampleLinear(vol.voxels, vol, grid, -1024);
    for (let k = 0; k < 2; k++)
      for (let j = 0; j < 3; j++)
        for (let i = 0; i < 4; i++) {
          expect(v[i + 4 * (j + 3 * k)]).toBeCloseTo(100 * k + 10 * (2 - j) + (3 - i), 4);
        }
  });

  it('interpolates a linear ramp exactly and marks points outside the series', () => {
    const dims: [number, number, number] = [5, 5, 3];
    const voxels = new Float32Array(75);
    for (let k = 0; k < 3; k++) for (let j = 0; j < 5; j++) for (let i = 0; i < 5; i++) voxels[i + 5 * (j + 5 * k)] = 2 * i + 3 * j + 5 * k;
    const src: Volume = {
      dims,
      spacingMm: [1, 1, 1],
      originLps: [0, 0, 0],
      directionLps: identityDirection(),
      voxels,
    };
    const dst = {
      dims: [9, 9, 3] as [number, number, number],
      spacingMm: [0.5, 0.5, 1] as [number, number, number],
      originLps: [0, 0, 0] as [number, number, number],
      directionLps: src.directionLps,
    };
    const out = resampleLinear(voxels, src, dst, -7);
    // dst voxel (i, j, k) sits at source coordinate (i/2, j/2, k)
    for (let k = 0; k < 3; k++)
      for (let j = 0; j < 9; j++)
        for (let i = 0; i < 9; i++) {
          expect(out[i + 9 * (j + 9 * k)]).toBeCloseTo(2 * (i / 2) + 3 * (j / 2) + 5 * k, 4);
        }
    const shifted = { ...dst, originLps: [10, 0, 0] as [number, number, number] };
    expect(resampleLinear(voxels, src, shifted, -7).every((x) => x === -7)).toBe(true);
  });

  it('takes labels back by nearest neighbour so a round trip through a flipped grid is the identity', () => {
    const vol = flippedVolume();
    const grid = modelGrid(vol, [2, 3]);
    const labels = new Uint8Array(24).map((_, n) => (n * 7) % 5);
    const onGrid = resampleLabelsNearest({ ...vol, labels }, grid);
    expect(Array.from(resampleLabelsNearest({ ...grid, labels: onGrid }, vol))).toEqual(Array.from(labels));
    // and a labelled voxel stays at the same LPS position
    const n = 1 + 4 * (2 + 3 * 1);
    const lps = ijkToLps(vol, [1, 2, 1]);
    const gi = Math.round((lps[0] - grid.originLps[0]) / 2);
    const gj = Math.round((lps[1] - grid.originLps[1]) / 3);
    expect(onGrid[gi + 4 * (gj + 3 * 1)]).toBe(labels[n]);
  });

  it('keeps the series slice step for a 2D model and downsamples in-plane to the model spacing', () => {
    const vol: Volume = {
      dims: [10, 10, 4],
      spacingMm: [1, 1, 2],
      originLps: [0, 0, 0],
      directionLps: identityDirection(),
      voxels: new Int16Array(400),
    };
    const grid = modelGrid(vol, [3, 3]);
    expect(grid.spacingMm).toEqual([3, 3, 2]);
    expect(grid.dims).toEqual([4, 4, 4]);
  });
});

describe('normalisation', () => {
  it('clips and z-scores CT, windows to 0..1, and z-scores a volume', () => {
    expect(Array.from(normalizeIntensities(Float32Array.of(-1000, 50, 300, 2000), { type: 'ct-clip-zscore', clipHu: [-200, 300], mean: 50, sd: 250 }))).toEqual(
      [-1, 0, 1, 1],
    );
    expect(Array.from(normalizeIntensities(Float32Array.of(-2000, -1000, -450, 100, 500), { type: 'ct-window01', windowHu: [-1000, 100] }))).toEqual([
      0, 0, 0.5, 1, 1,
    ]);
    const z = normalizeIntensities(Float32Array.of(1, 2, 3, 4), { type: 'volume-zscore' });
    const sd = Math.sqrt(1.25);
    expect(Array.from(z).map((x) => +x.toFixed(5))).toEqual([-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd].map((x) => +x.toFixed(5)));
  });
});

describe('sliding window', () => {
  it('places tiles evenly, covering the slice, ending at its edge', () => {
    expect(tileStarts(10, 4, 0.5)).toEqual([0, 2, 4, 6]);
    expect(tileStarts(4, 8, 0.5)).toEqual([0]);
    expect(tileStarts(167, 128, 0.5)).toEqual([0, 39]);
    const s = tileStarts(300, 128, 0.25);
    expect(s[s.length - 1] + 128).toBe(300);
    for (let t = 1; t < s.length; t++) expect(s[t] - s[t - 1]).toBeLessThanOrEqual(96);
  });

  it('has a Gaussian importance map peaking at the centre, symmetric, floored above zero', () => {
    const w = gaussianWeights(8, 8);
    expect(Math.max(...w)).toBeLessThanOrEqual(1);
    expect(w[3 * 8 + 3]).toBeCloseTo(w[4 * 8 + 4], 6);
    expect(w[0]).toBeCloseTo(w[63], 6);
    expect(w[0]).toBeGreaterThanOrEqual(1e-3);
    expect(w[3 * 8 + 3]).toBeGreaterThan(w[3 * 8 + 0]);
  });

  it('blends overlapping tiles by weight and takes the argmax as uint8, ties to the lower class', () => {
    // slice 1 x 6, two tiles 1 x 4 at x = 0 and x = 2; tile A says class 1 (0.8), tile B says class 2 (0.6)
    const acc = new Float32Array(3 * 6);
    const wsum = new Float32Array(6);
    const probsA = Float32Array.from([0.1, 0.1, 0.1, 0.1, 0.8, 0.8, 0.8, 0.8, 0.1, 0.1, 0.1, 0.1]);
    const probsB = Float32Array.from([0.1, 0.1, 0.1, 0.1, 0.3, 0.3, 0.3, 0.3, 0.6, 0.6, 0.6, 0.6]);
    const weightsA = Float32Array.from([1, 1, 0.1, 0.1]); // A is unsure about its right half
    const weightsB = Float32Array.from([1, 1, 1, 1]);
    accumulateTile(acc, wsum, 1, 6, probsA, weightsA, 3, 1, 4, 0, 0);
    accumulateTile(acc, wsum, 1, 6, probsB, weightsB, 3, 1, 4, 0, 2);
    expect(Array.from(wsum).map((x) => +x.toFixed(4))).toEqual([1, 1, 1.1, 1.1, 1, 1]);
    // pixel 2: class1 = 0.8*0.1 + 0.3 = 0.38, class2 = 0.1*0.1 + 0.6 = 0.61 -> 2
    expect(acc[6 + 2]).toBeCloseTo(0.38, 5);
    expect(acc[12 + 2]).toBeCloseTo(0.61, 5);
    const out = new Uint8Array(6);
    argmaxClasses(acc, 3, 6, out);
    expect(Array.from(out)).toEqual([1, 1, 2, 2, 2, 2]);
    const tie = new Uint8Array(1);
    argmaxClasses(Float32Array.of(0.5, 0.5), 2, 1, tie);
    expect(tie[0]).toBe(0);
  });

  it('turns logits into probabilities per pixel', () => {
    const d = Float32Array.of(0, 1000, Math.log(3), 1000);
    softmaxChannels(d, 2, 2);
    expect(d[0]).toBeCloseTo(0.25, 6);
    expect(d[2]).toBeCloseTo(0.75, 6);
    expect(d[1]).toBeCloseTo(0.5, 6); // huge equal logits do not overflow
  });
});

describe('post-processing', () => {
  it('keeps the largest 6-connected piece of a label and leaves other labels alone', () => {
    // 4x4x1: label 1 blob of 3 voxels, a diagonal-only neighbour (separate under 6-connectivity), label 2 untouched
    const l = Uint8Array.from([1, 1, 0, 2, 1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 1]);
    const before = Uint8Array.from(l);
    expect(keepLargestComponents(l, [4, 4, 1], [1])).toEqual(new Map([[1, 2]]));
    expect(Array.from(l)).toEqual([1, 1, 0, 2, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    // both labels at once: label 2 is one piece and stays; same answer for label 1
    expect(keepLargestComponents(before, [4, 4, 1], [1, 2])).toEqual(
      new Map([
        [1, 2],
        [2, 0],
      ]),
    );
    expect(Array.from(before)).toEqual(Array.from(l));
    // across slices: k-neighbours connect, so a column through 3 slices beats a 2-voxel blob
    const z = Uint8Array.from([1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]); // 4x1x3: blob at i=0,1 of slice 0; column at i=3
    keepLargestComponents(z, [4, 1, 3], [1]);
    expect(Array.from(z)).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});

describe('lesion inside its organ', () => {
  it('keeps a tumour piece enclosed by liver and drops one lying outside it', () => {
    // 6x3x1, rows j = 0..2; liver = 1, tumour = 7
    const l = Uint8Array.from([1, 1, 1, 7, 0, 0, 1, 7, 1, 0, 7, 0, 1, 1, 1, 0, 0, 1]);
    // (1,1): 4 of 4 neighbours liver -> kept; (3,0): 1 of 3 -> dropped; (4,1): 0 of 4 -> dropped
    expect(keepEnclosedComponents(l, [6, 3, 1], 7, 1, 0.5)).toBe(2);
    expect(Array.from(l)).toEqual([1, 1, 1, 0, 0, 0, 1, 7, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1]);
    // in a single row the same piece has 1 of 2 neighbours liver: kept at a bar of 0.3
    const m = Uint8Array.from([1, 1, 1, 7, 0, 0]);
    expect(keepEnclosedComponents(m, [6, 1, 1], 7, 1, 0.3)).toBe(0);
  });
});

describe('model folders', () => {
  it('reads opset, tensor names and dynamic axes from an ONNX file', () => {
    const info = readOnnxInfo(readFileSync(path.join(FIXTURE, 'model.onnx')));
    expect(info.opsets.get('')).toBe(13);
    expect(info.inputs.map((i) => [i.name, i.shape])).toEqual([['image', ['batch', 1, 'height', 'width']]]);
    expect(info.outputs.map((o) => [o.name, o.shape])).toEqual([['logits', ['batch', 2, 'height', 'width']]]);
    expect(() => readOnnxInfo(new TextEncoder().encode('{"not":"onnx"}'))).toThrow(AppError);
  });

  it('rejects a manifest with clear messages', () => {
    const good = JSON.parse(readFileSync(path.join(FIXTURE, 'manifest.json'), 'utf8'));
    expect(parseManifest(good, 'x').id).toBe('threshold-test');
    const noParent = { ...good, labels: [{ ...good.labels[0], postprocess: 'inside-label' }] };
    expect(() => parseManifest(noParent, 'x')).toThrow(/labels\.0\.insideLabel: 'inside-label' needs insideLabel/);
    const bad = { ...good, patchSize: [20, 16], labels: [{ ...good.labels[0], value: 2 }] };
    try {
      parseManifest(bad, 'x');
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).code).toBe('MODEL_INVALID');
      expect((err as Error).message).toMatch(/patchSize.*20 is not a multiple of sizeDivisor 8/);
      expect((err as Error).message).toMatch(/labels: label values must be 1\.\.N/);
    }
  });

  it('validates an external folder against its ONNX graph: tensor names and class count', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-model-'));
    copyFileSync(path.join(FIXTURE, 'model.onnx'), path.join(dir, 'model.onnx'));
    const good = JSON.parse(readFileSync(path.join(FIXTURE, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...good, input: { ...good.input, name: 'input_0' } }));
    await expect(loadModelFolder(dir)).rejects.toThrow(/input\.name "input_0" is not an input of model\.onnx \(it has: image\)/);
    const twoLabels = [...good.labels, { value: 2, name: 'extra', colorRgb: [0, 0, 255], kind: 'organ' }];
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...good, labels: twoLabels }));
    await expect(loadModelFolder(dir)).rejects.toThrow(/has 2 channels but the label table has 2 labels \+ background = 3/);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(good));
    const ok = await loadModelFolder(dir);
    expect(ok.opset).toBe(13);
    expect(ok.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ok.warnings.join(' ')).toMatch(/MODEL_CARD\.md is missing/);
  });
});
