// The bundled 3D abdomen model (models/abdomen-ct-3d) through the engine on the held-out DICOM series: the per-organ
// Dice that models/train/eval_abdomen_models.py recorded in metrics.json (by running `medseg segment`) come out again
// against TotalSegmentator's labels of that series, and `medseg models --json` lists it as a 3D CT model.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { resampleLabelsNearest } from '../../../shared/domain/resample.js';
import { parseLabelTable } from '../../../shared/domain/labelTable.js';
import { resolveModel } from '../../../main/services/inference/registry.js';
import { segmentVolume } from '../../../main/services/inference/engine.js';
import { command as models } from '../../../main/headless/commands/models.js';
import { checkModelFits } from '../../../main/services/inference/segmentSeries.js';
import { voxelAxesCode } from '../../../shared/domain/inference/modelChoice.js';
import type { Mat3 } from '../../../shared/domain/volume.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';
import { labelDice } from '../../helpers/labelDice.js';

const DATA = path.join(DATA_DIR, 'totalsegmentator_example');
const MODEL_DIR = path.join(REPO_DIR, 'models', 'abdomen-ct-3d');

interface OrganMetrics {
  dice: number | null;
  truthMl: number;
  predictedMl: number;
}
interface Metrics {
  models: Record<string, { organs: Record<string, OrganMetrics>; sha256: string }>;
}

describe('abdomen-ct-3d (bundled 3D U-Net) on the held-out series', () => {
  it('reproduces the per-organ Dice of metrics.json through the engine', async () => {
    const metrics = JSON.parse(readFileSync(path.join(MODEL_DIR, 'metrics.json'), 'utf8')) as Metrics;
    const recorded = metrics.models['abdomen-ct-3d'];
    const model = await resolveModel('abdomen-ct-3d');
    // the figures belong to these weights: a retrained model.onnx without a new evaluation fails here
    expect(model.sha256).toBe(recorded.sha256);

    const input = await loadVolumeFromPath(path.join(DATA, 'example_ct_dicom'));
    const t0 = performance.now();
    const result = await segmentVolume(input.volume, model, { device: 'cpu', threads: 2 });
    const seconds = (performance.now() - t0) / 1000;
    expect(result.provider).toBe('cpu');
    expect(result.params.modelGrid.spacingMm).toEqual([3, 3, 3]);

    // the reference (dcm2niix order, rows bottom-up) mapped onto the series grid, values by TotalSegmentator name
    const ref = await readNiftiLabels(path.join(DATA, 'example_seg_dicom.nii.gz'));
    const refOnSeries = resampleLabelsNearest({ ...ref, labels: Uint8Array.from(ref.labels) }, input.volume);
    const tsValue = new Map([...parseLabelTable(readFileSync(path.join(DATA, 'labels_total.csv'), 'utf8'))].map(([v, row]) => [row.name, v]));
    const organs = model.manifest.labels.filter((l) => l.kind === 'organ');
    expect(organs.map((l) => l.name).sort()).toEqual(Object.keys(recorded.organs).sort());
    const lines: string[] = [];
    for (const l of organs) {
      const d = labelDice(result.labelMap.labels, l.value, refOnSeries, tsValue.get(l.name)!);
      const want = recorded.organs[l.name].dice;
      lines.push(`${l.name} ${d === null ? 'n/a' : d.toFixed(4)} (metrics.json ${want === null ? 'n/a' : want.toFixed(4)})`);
      if (want === null) expect(d).toBeNull();
      else expect(Math.abs((d ?? NaN) - want)).toBeLessThanOrEqual(1e-3);
    }
    console.log(`abdomen-ct-3d on example_ct_dicom in ${seconds.toFixed(1)} s (2 threads, shared CPU): ${lines.join(', ')}`);
  }, 120_000);

  it('is listed by `medseg models --json` as a 3D CT model next to the 2D one', async () => {
    const out: string[] = [];
    const code = await models.run(['--json'], { stdout: (s: string) => void out.push(s), stderr: () => {} });
    expect(code).toBe(0);
    const listing = JSON.parse(out.join('')) as { models: { id: string; dimensions: number; modality: string; sizeBytes: number }[]; invalid: unknown[] };
    expect(listing.invalid).toEqual([]);
    expect(listing.models.find((m) => m.id === 'abdomen-ct-3d')).toMatchObject({ dimensions: 3, modality: 'CT' });
    expect(listing.models.find((m) => m.id === 'abdomen-ct')).toMatchObject({ dimensions: 2, modality: 'CT' });
    expect(listing.models.find((m) => m.id === 'abdomen-ct-3d')!.sizeBytes).toBeLessThan(5 * 1024 * 1024);
  });

  it('refuses a series stored in another voxel order (a RAS-ordered NIfTI) unless overridden: it would see the body mirrored', async () => {
    const model = await resolveModel('abdomen-ct-3d');
    expect(model.manifest.voxelAxes).toBe('LPS');
    const identity: Mat3 = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    expect(voxelAxesCode(identity)).toBe('LPS');
    expect(
      voxelAxesCode([
        [-1, 0, 0],
        [0, 0.1, -0.99],
        [0, -1, 0],
      ]),
    ).toBe('RIA');
    // an axial DICOM series of a supine patient (example_ct_dicom's axes) fits
    expect(checkModelFits(model, { modality: 'CT', directionLps: identity }, false).mismatch).toBeNull();
    // the training CT itself as NIfTI: same plane (axial) but stored R->L and A->P reversed
    const nifti = await loadVolumeFromPath(path.join(DATA, 'example_ct_sm.nii.gz'));
    expect(voxelAxesCode(nifti.volume.directionLps)).toBe('RAS');
    let code = '';
    try {
      checkModelFits(model, { modality: 'CT', directionLps: nifti.volume.directionLps }, false);
    } catch (err) {
      code = (err as { code: string }).code;
      expect((err as Error).message).toMatch(/voxel axes run RAS .* trained on LPS/);
    }
    expect(code).toBe('MODALITY_MISMATCH');
    expect(checkModelFits(model, { modality: 'CT', directionLps: nifti.volume.directionLps }, true)).toMatchObject({
      mismatchAllowed: true,
      mismatch: expect.stringMatching(/RAS/),
    });
    // the 2D model resamples every series onto its own LPS grid: no such requirement
    expect(checkModelFits(await resolveModel('abdomen-ct'), { modality: 'CT', directionLps: nifti.volume.directionLps }, false).mismatch).toBeNull();
  });
});
