// medseg's 3D engine against nnU-Net's own nnUNetPredictor (reference outputs in test/fixtures/nnunet-reference):
// the same label map on >= 99.9 % of voxels, Dice >= 0.999 per label, probabilities within 2e-3, for a CT crop
// (anisotropic spacing, cropped border, padded) and an MR crop (isotropic, transposed model, z-score in the mask),
// with and without mirroring, one fold and the two-fold ensemble.
import { describe, expect, it } from 'vitest';
import { predictNnunet3d } from '../../../main/services/inference/nnunet3d.js';
import { fixtureModel, readInput, readReference, readSeg } from '../../helpers/nnunetReference.js';
import { preprocessNnunet } from '../../../shared/domain/nnunet/preprocess.js';
import { planFromManifest } from '../../../main/services/inference/nnunet3d.js';

const ref = readReference();
const PROB_TOL = 2e-3;

function dice(a: Uint8Array, b: Uint8Array, label: number): number {
  let inter = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === label;
    const y = b[i] === label;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}

describe.each(Object.entries(ref.cases))('nnU-Net equivalence: %s', (caseName, c) => {
  const model = fixtureModel(c.model);
  const input = readInput(c);

  it('preprocessing equals nnU-Net (crop box, network grid shape, sampled values within 1e-4)', () => {
    const pre = preprocessNnunet(input, c.shape, c.spacing, planFromManifest(model.manifest.nnunet!));
    expect(pre.shape).toEqual(c.preprocessed.shape);
    expect(pre.bbox).toEqual(c.preprocessed.bbox);
    let maxErr = 0;
    c.preprocessed.sampleIndex.forEach((idx, k) => (maxErr = Math.max(maxErr, Math.abs(pre.data[idx] - c.preprocessed.sampleValue[k]))));
    expect(maxErr).toBeLessThan(1e-4);
  });

  it.each(Object.entries(c.runs))('%s: labels, Dice and probabilities', async (key, run) => {
    const opts = { device: 'cpu' as const, threads: 1, useMirroring: run.mirroring, foldIndices: run.folds };
    const expected = readSeg(run);
    const n = expected.length;
    // the default (slab-streamed) form for the labels; the whole-grid form, which can return probabilities, for two runs
    const forms = key === 'f01_mirror' || key === 'f0_nomirror' ? [false, true] : [false];
    for (const withProbabilities of forms) {
      const r = await predictNnunet3d(input, c.shape, c.spacing, model, { ...opts, withProbabilities });
      expect(r.streamed).toBe(!withProbabilities);
      expect(r.labels.length).toBe(n);
      let same = 0;
      for (let i = 0; i < n; i++) if (r.labels[i] === expected[i]) same++;
      const agreement = same / n;
      const dices = [1, 2].map((l) => dice(r.labels, expected, l));
      let probNote = '';
      if (withProbabilities) {
        let maxProbErr = 0;
        run.probIndex.forEach((idx, k) => {
          for (let cl = 0; cl < run.prob.length; cl++) maxProbErr = Math.max(maxProbErr, Math.abs(r.probabilities![cl * n + idx] - run.prob[cl][k]));
        });
        probNote = `, max prob diff ${maxProbErr.toExponential(2)}`;
        expect(maxProbErr).toBeLessThan(PROB_TOL);
      }
      console.log(
        `${caseName} ${key} ${withProbabilities ? 'whole-grid' : 'streamed'}: agreement ${(agreement * 100).toFixed(3)} %, Dice ${dices.map((d) => d.toFixed(5)).join(' ')}${probNote} (${n - same} of ${n} voxels differ)`,
      );
      expect(agreement).toBeGreaterThanOrEqual(0.999);
      for (const d of dices) expect(d).toBeGreaterThanOrEqual(0.999);
    }
    // the reference is not degenerate: both foreground labels are present
    expect(run.labelCounts[1]).toBeGreaterThan(100);
    expect(run.labelCounts[2]).toBeGreaterThan(100);
  });

  it('float16 sums (the default, nnU-Net own) agree with nnU-Net at least as well as float32 sums', async () => {
    const run = c.runs.f0_mirror;
    const expected = readSeg(run);
    const agreement: Record<string, number> = {};
    for (const accumulator of ['float16', 'float32'] as const) {
      const r = await predictNnunet3d(input, c.shape, c.spacing, model, { device: 'cpu', threads: 1, accumulator, foldIndices: run.folds });
      let same = 0;
      for (let i = 0; i < expected.length; i++) if (r.labels[i] === expected[i]) same++;
      agreement[accumulator] = same / expected.length;
    }
    console.log(`${caseName} f0_mirror agreement: float16 ${(agreement.float16 * 100).toFixed(3)} %, float32 ${(agreement.float32 * 100).toFixed(3)} %`);
    expect(agreement.float16).toBeGreaterThanOrEqual(agreement.float32);
    expect(agreement.float32).toBeGreaterThanOrEqual(0.999);
  });
});
