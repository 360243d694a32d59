// Each nnU-Net step against nnU-Net's own answer on small arrays (test/fixtures/nnunet-reference/reference.json,
// made by test/fixtures/make-nnunet-reference.py) and against cases worked out by hand.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../../helpers/paths.js';
import { HALF_TO_FLOAT, roundHalf, toHalfBits } from '../../../shared/domain/nnunet/half.js';
import { gaussianImportanceMap, paddingToPatch, slidingWindowSteps } from '../../../shared/domain/nnunet/window.js';
import { newShapeForSpacing, resampleToShape, separateZAxis } from '../../../shared/domain/nnunet/resample.js';
import { bboxOfMask, cropToBbox, nonzeroMaskFilled, uncropFromBbox } from '../../../shared/domain/nnunet/crop.js';
import { normalizeNnunet } from '../../../shared/domain/nnunet/normalize.js';
import type { Shape3 } from '../../../shared/domain/nnunet/array3.js';

const ref = JSON.parse(readFileSync(path.join(REPO_DIR, 'test/fixtures/nnunet-reference/reference.json'), 'utf8'));
const steps = ref.steps;
const f32 = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const u8 = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const u16 = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  return new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const ALIGNED = { order: 3, orderZ: 0, forceSeparateZ: null, anisotropyThreshold: 3 };

describe('float16', () => {
  it('rounds to nearest, ties to even, with subnormals and overflow', () => {
    expect(roundHalf(1 + 2 ** -11)).toBe(1); // a tie: to even (1.0)
    expect(roundHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // a tie: to even mantissa 2
    expect(roundHalf(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10);
    expect(roundHalf(65504)).toBe(65504);
    expect(roundHalf(65520)).toBe(Infinity);
    expect(roundHalf(2 ** -24)).toBe(2 ** -24);
    expect(roundHalf(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal: to even (0)
    expect(roundHalf(1.5 * 2 ** -24)).toBe(2 ** -23);
    expect(roundHalf(-3.14159)).toBe(-3.140625);
    for (let h = 0; h < 0x7c00; h += 37) expect(toHalfBits(HALF_TO_FLOAT[h])).toBe(h);
  });
});

describe('sliding window (compute_steps_for_sliding_window, pad_nd_image, compute_gaussian)', () => {
  it('steps: the worked example in nnU-Net (110 voxels, patch 64, step 0.5 -> 0, 23, 46) and the reference cases', () => {
    expect(slidingWindowSteps([110, 64, 64], [64, 64, 64], 0.5)).toEqual([[0, 23, 46], [0], [0]]);
    for (const c of steps.steps) expect(slidingWindowSteps(c.image, c.patch, c.step)).toEqual(c.steps);
    expect(() => slidingWindowSteps([10, 64, 64], [16, 64, 64], 0.5)).toThrow(/pad first/);
  });
  it('padding is centred with the odd voxel above, as nnU-Net pads', () => {
    expect(paddingToPatch([27, 40, 32], [32, 32, 32])).toEqual([
      [2, 3],
      [0, 0],
      [0, 0],
    ]);
    for (const c of steps.padding) {
      const pads = paddingToPatch(c.shape, c.patch);
      // nnU-Net's slicer that undoes the padding is [below, below + size)
      expect(pads.map(([lo], a) => [lo, lo + c.shape[a]])).toEqual(c.slicer);
    }
  });
  it('the Gaussian map equals nnU-Net float16 map bit for bit; max 10 at floor(p/2); no zero', () => {
    for (const c of steps.gaussian) {
      const g = gaussianImportanceMap(c.patch);
      const expected = u16(c.halfBitsB64);
      expect(g.length).toBe(expected.length);
      let diff = 0;
      for (let i = 0; i < g.length; i++) if (toHalfBits(g[i]) !== expected[i]) diff++;
      expect(diff).toBe(0);
      const [a, b, d] = c.patch;
      expect(g[(Math.floor(a / 2) * b + Math.floor(b / 2)) * d + Math.floor(d / 2)]).toBe(10);
      expect(Math.min(...g)).toBeGreaterThan(0);
    }
  });
});

describe('resampling (resample_data_or_seg_to_shape)', () => {
  it('new shapes as compute_new_shape rounds them', () => {
    for (const c of steps.newShape) expect(newShapeForSpacing(c.shape, c.old, c.new)).toEqual(c.result);
  });
  it('picks the separate low-res axis as nnU-Net does', () => {
    expect(separateZAxis([3.2, 0.8, 0.9], [1.5, 1.2, 1.0], ALIGNED)).toBe(0);
    expect(separateZAxis([1, 1, 1.2], [0.5, 1.5, 0.9], ALIGNED)).toBeNull();
    expect(separateZAxis([1, 1, 1], [4, 1, 1], ALIGNED)).toBe(0); // the target spacing decides when the source is isotropic
    expect(separateZAxis([4, 4, 1], [1, 1, 1], ALIGNED)).toBeNull(); // two coarse axes: whole-grid resampling
    expect(separateZAxis([1, 1, 1.2], [1, 1, 1], { ...ALIGNED, forceSeparateZ: true })).toBe(2);
  });
  it('equals nnU-Net on cubic 3D, anisotropic (planes cubic/linear + nearest along z) and linear cases within 1e-4', () => {
    for (const c of steps.resample) {
      const x = Float64Array.from(f32(c.inputF32B64));
      const y = resampleToShape({ shape: c.shape, data: x }, c.newShape, c.currentSpacing, c.newSpacing, {
        order: c.order,
        orderZ: c.orderZ,
        forceSeparateZ: null,
        anisotropyThreshold: 3,
      });
      const expected = f32(c.outputF32B64);
      expect(y.shape).toEqual(c.newShape);
      let maxErr = 0;
      for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(Math.fround(y.data[i]) - expected[i]));
      // values are ~100 in size with an outlier of 900; float32 storage gives ~1e-5
      expect(maxErr).toBeLessThan(1e-4);
    }
  });
  it('reproduces a constant and leaves an unchanged shape alone', () => {
    const x = new Float64Array(4 * 5 * 6).fill(7.5);
    const y = resampleToShape({ shape: [4, 5, 6], data: x }, [9, 3, 11], [1, 1, 1], [0.4, 2, 0.5], ALIGNED);
    for (const v of y.data) expect(v).toBeCloseTo(7.5, 12);
    expect(resampleToShape({ shape: [4, 5, 6], data: x }, [4, 5, 6], [1, 1, 1], [2, 2, 2], ALIGNED).data).toBe(x);
  });
});

describe('crop to non-zero and normalisation', () => {
  it('fills holes, keeps border dents outside, crops to nnU-Net bbox and pastes back', () => {
    const c = steps.crop;
    const shape = c.shape as Shape3;
    const img = f32(c.inputF32B64);
    const mask = nonzeroMaskFilled([img], shape);
    const bbox = bboxOfMask(mask, shape);
    expect(bbox).toEqual(c.bbox);
    // nnU-Net keeps the mask of the cropped region (seg >= 0)
    expect(Array.from(cropToBbox({ shape, data: mask }, bbox).data)).toEqual(Array.from(u8(c.maskU8B64)));
    expect(mask[(3 * 8 + 4) * 9 + 4]).toBe(1); // the hole is filled
    expect(mask[(2 * 8 + 2) * 9 + 1]).toBe(0); // the dent open to the outside is not
    const crop = cropToBbox({ shape, data: img }, bbox);
    const back = uncropFromBbox(crop, bbox, shape);
    expect(Array.from(back.data)).toEqual(Array.from(img)); // everything outside the bbox is zero in this image
    expect(bboxOfMask(new Uint8Array(8), [2, 2, 2])).toEqual([
      [0, 2],
      [0, 2],
      [0, 2],
    ]);
  });
  it('CT: clip to the percentiles then z-score; z-score within the mask leaves outside voxels; equals nnU-Net in float32', () => {
    const n = steps.normalization;
    const x = f32(n.inputF32B64);
    const p = n.ctProps;
    const ct = normalizeNnunet(
      x.slice(),
      { scheme: 'CTNormalization', mean: p.mean, std: p.std, percentile00_5: p.percentile_00_5, percentile99_5: p.percentile_99_5 },
      false,
      null,
    );
    expect(Array.from(ct)).toEqual(Array.from(f32(n.ctF32B64)));
    const mask = u8(n.maskU8B64);
    const zm = normalizeNnunet(x.slice(), { scheme: 'ZScoreNormalization' }, true, mask);
    const z = normalizeNnunet(x.slice(), { scheme: 'ZScoreNormalization' }, false, null);
    const ezm = f32(n.zMaskF32B64);
    const ez = f32(n.zF32B64);
    for (let i = 0; i < x.length; i++) {
      expect(zm[i]).toBeCloseTo(ezm[i], 5);
      expect(z[i]).toBeCloseTo(ez[i], 5);
      if (!mask[i]) expect(zm[i]).toBe(x[i]);
    }
  });
});
