// Models picked per series: the slice orientation of a grid (analytic direction matrices), 3D nnU-Net models refused
// on another orientation than axial unless overridden (the override recorded), and the method table's models.import,
// models.suggest (suitable models first, with the reason for the others) and models.list with dimensions.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sliceOrientation } from '../../../shared/domain/inference/modelChoice.js';
import type { Mat3 } from '../../../shared/domain/volume.js';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import { resolveModel } from '../../../main/services/inference/registry.js';
import { checkModelFits } from '../../../main/services/inference/segmentSeries.js';
import type { RpcReply } from '../../../shared/ipc/contract.js';
import { DATA_DIR } from '../../helpers/paths.js';
import { makeNnunetResults, TINY_DATASET } from '../../helpers/nnunetResults.js';
import { useTempModelsDir } from '../../helpers/modelsDir.js';

const CT_SERIES = path.join(DATA_DIR, 'totalsegmentator_example/example_ct_dicom');

/** Rotation by `deg` about the L axis applied to the axial axes: the slice normal tilts from S towards P. */
function tiltedAxial(deg: number): Mat3 {
  const r = (deg * Math.PI) / 180;
  return [
    [1, 0, 0],
    [0, Math.cos(r), -Math.sin(r)],
    [0, Math.sin(r), Math.cos(r)],
  ];
}
const SAGITTAL: Mat3 = [
  [0, 1, 0],
  [0, 0, -1],
  [-1, 0, 0],
];
const CORONAL: Mat3 = [
  [1, 0, 0],
  [0, 0, -1],
  [0, 1, 0],
];

const models = useTempModelsDir();

describe('slice orientation', () => {
  it('names the plane of the slice normal; beyond 30 degrees from every axis it is oblique', () => {
    expect(sliceOrientation(tiltedAxial(0))).toBe('axial');
    expect(sliceOrientation(tiltedAxial(18.5))).toBe('axial'); // a gantry tilt
    expect(sliceOrientation(tiltedAxial(29))).toBe('axial');
    expect(sliceOrientation(tiltedAxial(45))).toBe('oblique');
    expect(sliceOrientation(tiltedAxial(80))).toBe('coronal');
    expect(sliceOrientation(SAGITTAL)).toBe('sagittal');
    expect(sliceOrientation(CORONAL)).toBe('coronal');
    // feet-first (normal towards I) is still axial
    expect(sliceOrientation(tiltedAxial(180))).toBe('axial');
  });
});

describe('models per series', () => {
  it('a 3D nnU-Net model runs on axial series only unless overridden; 2D models take any orientation', async () => {
    const table = createServiceTable({ db: openDatabase(path.join(models.dir, 'x.db')), mode: 'http', appVersion: 'test' });
    const imp = await dispatch(table, 'models.import', { path: makeNnunetResults({ folds: ['fold_0'] }), id: 'nn-ct' }, { emit: () => {} });
    if (!imp.ok) throw new Error(imp.error.message);
    await table.close();
    const nn = await resolveModel('nn-ct');
    const abdomen = await resolveModel('abdomen-ct');
    expect(checkModelFits(nn, { modality: 'CT', directionLps: tiltedAxial(10) }, false).mismatch).toBeNull();
    expect(() => checkModelFits(nn, { modality: 'CT', directionLps: SAGITTAL }, false)).toThrow(
      expect.objectContaining({ code: 'MODALITY_MISMATCH', message: expect.stringMatching(/sagittal slices .* trained on axial/) }),
    );
    expect(checkModelFits(nn, { modality: 'CT', directionLps: CORONAL }, true)).toMatchObject({
      mismatchAllowed: true,
      mismatch: expect.stringMatching(/coronal/),
    });
    // the modality is checked first
    expect(() => checkModelFits(nn, { modality: 'MR', directionLps: tiltedAxial(0) }, false)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/MR.*CT/) }),
    );
    expect(checkModelFits(abdomen, { modality: 'CT', directionLps: SAGITTAL }, false).mismatch).toBeNull();
  });

  it('method table: models.import, models.list with dimensions, models.suggest on a real CT puts the CT models first', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-suggest-'));
    const table = createServiceTable({ db: openDatabase(path.join(dir, 'c.db')), mode: 'http', appVersion: 'test' });
    const call = (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: () => {} });
    try {
      const mr = await call('models.import', {
        path: makeNnunetResults({ dataset: { ...TINY_DATASET, channel_names: { '0': 'T2' } }, fullres: { normalization_schemes: ['ZScoreNormalization'] } }),
        id: 'nn-mr',
      });
      if (!mr.ok) throw new Error(mr.error.message);
      expect(mr.result).toMatchObject({ id: 'nn-mr', dimensions: 3, modality: 'MR', folds: ['fold_0', 'fold_1'], configuration: '3d_fullres' });
      const cascade = await call('models.import', { path: makeNnunetResults({ configuration: '3d_cascade_fullres' }) });
      expect(cascade.ok ? 'ok' : cascade.error.code).toBe('MODEL_UNSUPPORTED');

      const list = await call('models.list', {});
      if (!list.ok) throw new Error(list.error.message);
      const models = (list.result as { models: { id: string; dimensions: number; modality: string }[] }).models;
      expect(models.find((m) => m.id === 'abdomen-ct')).toMatchObject({ dimensions: 2, modality: 'CT' });
      expect(models.find((m) => m.id === 'nn-mr')).toMatchObject({ dimensions: 3, modality: 'MR' });

      const imp = await call('import.paths', { paths: [CT_SERIES] });
      if (!imp.ok) throw new Error(imp.error.message);
      const seriesId = (imp.result as { seriesIds: number[] }).seriesIds[0];
      const s = await call('models.suggest', { seriesId });
      if (!s.ok) throw new Error(s.error.message);
      const r = s.result as { seriesModality: string; sliceOrientation: string; models: { id: string; fits: boolean; reason: string | null }[] };
      expect(r).toMatchObject({ seriesModality: 'CT', sliceOrientation: 'axial' });
      const byId = new Map(r.models.map((m) => [m.id, m]));
      expect(byId.get('abdomen-ct')).toMatchObject({ fits: true, reason: null });
      expect(byId.get('nn-ct')).toMatchObject({ fits: true, reason: null });
      expect(byId.get('nn-mr')).toMatchObject({ fits: false, reason: expect.stringMatching(/series is CT but model nn-mr was made for MR/) });
      // suitable first
      const firstUnfit = r.models.findIndex((m) => !m.fits);
      expect(firstUnfit).toBeGreaterThan(0);
      expect(r.models.slice(firstUnfit).every((m) => !m.fits)).toBe(true);
      const missing = await call('models.suggest', { seriesId: 999 });
      expect(missing.ok ? 'ok' : missing.error.code).toBe('NOT_FOUND');
    } finally {
      await table.close();
    }
  });
});
