// The manifest's nnunet block: a valid 3D nnU-Net manifest parses, and inconsistent ones are refused with MODEL_INVALID.
import { describe, expect, it } from 'vitest';
import { nnunetToIjk, parseManifest } from '../../../main/services/inference/manifest.js';

function manifest3d(nnunetOverrides: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  // network axes after transposeForward [0, 2, 1]: array [k, i, j]; spacing (k 3 mm, i 0.8, j 0.7), patch (16, 64, 48)
  const nnunet = {
    transposeForward: [0, 2, 1],
    transposeBackward: [0, 2, 1],
    spacing: [3, 0.8, 0.7],
    patchSize: [16, 64, 48],
    normalization: [{ scheme: 'CTNormalization', mean: 100, std: 50, percentile00_5: -1000, percentile99_5: 1500 }],
    useMaskForNorm: [false],
    resamplingData: { order: 3, orderZ: 0, forceSeparateZ: null },
    resamplingProbabilities: { order: 1, orderZ: 0, forceSeparateZ: null },
    folds: ['fold_0/network.onnx', 'fold_1/network.onnx'],
    ...nnunetOverrides,
  };
  return {
    id: 'nn-test',
    version: '1',
    name: 'test',
    modality: 'CT',
    dimensions: 3,
    spacingMm: [0.8, 0.7, 3], // [i, j, k]
    patchSize: [64, 48, 16],
    sizeDivisor: 16,
    overlap: 0.5,
    normalization: { type: 'volume-zscore' },
    outsideValue: -1024,
    input: { name: 'input', layout: 'NCDHW', channels: 1 },
    output: { name: 'logits', layout: 'NCDHW', activation: 'logits' },
    labels: [{ value: 1, name: 'a', colorRgb: [1, 2, 3], kind: 'organ' }],
    nnunet,
    ...top,
  };
}

describe('manifest nnunet block', () => {
  it('parses a 3D nnU-Net manifest and fills the nnU-Net defaults', () => {
    const m = parseManifest(manifest3d(), 'x');
    expect(m.nnunet?.tileStepSize).toBe(0.5);
    expect(m.nnunet?.useMirroring).toBe(true);
    expect(m.nnunet?.mirrorAxes).toEqual([0, 1, 2]);
    expect(m.nnunet?.anisotropyThreshold).toBe(3);
    expect(m.nnunet?.cropToNonzero).toBe(true);
  });
  it('maps nnU-Net transposed array order to medseg [i, j, k]', () => {
    // array axes [k, j, i]; network axis 0 = array 0 (k), 1 = array 2 (i), 2 = array 1 (j)
    expect(nnunetToIjk({ transposeForward: [0, 2, 1], spacing: [3, 0.8, 0.7], patchSize: [16, 64, 48] })).toEqual({
      spacingMm: [0.8, 0.7, 3],
      patchSize: [64, 48, 16],
    });
    expect(nnunetToIjk({ transposeForward: [0, 1, 2], spacing: [3, 2, 1], patchSize: [8, 16, 32] })).toEqual({ spacingMm: [1, 2, 3], patchSize: [32, 16, 8] });
  });
  it('refuses a wrong inverse transpose, a top-level spacing that disagrees, a 2D model with an nnunet block, a folder-escaping fold', () => {
    expect(() => parseManifest(manifest3d({ transposeBackward: [0, 1, 2] }), 'x')).toThrow(/transposeBackward/);
    expect(() => parseManifest(manifest3d({}, { spacingMm: [0.7, 0.8, 3] }), 'x')).toThrow(/spacingMm/);
    expect(() => parseManifest(manifest3d({ folds: ['../x.onnx'] }), 'x')).toThrow(/folds/);
    expect(() => parseManifest(manifest3d({ useMaskForNorm: [false, true] }), 'x')).toThrow(/useMaskForNorm/);
    expect(() =>
      parseManifest(
        manifest3d(
          {},
          {
            dimensions: 2,
            spacingMm: [1, 1],
            patchSize: [16, 16],
            input: { name: 'i', layout: 'NCHW', channels: 1 },
            output: { name: 'o', layout: 'NCHW', activation: 'logits' },
          },
        ),
        'x',
      ),
    ).toThrow(/nnunet: only for dimensions 3/);
  });
});
