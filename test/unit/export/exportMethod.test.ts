// The 'export.segmentation' method on a stored model segmentation: written where asked, model and version named in
// the SEG, voxels kept in the .seg.nrrd; bad folders, formats and ids are coded refusals.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/adapters/dispatch.js';
import { openDatabase } from '../../../main/db/database.js';
import { saveSegmentation } from '../../../main/db/segmentations.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { decodeSegNrrd } from '../../../main/services/export/segNrrd.js';
import type { RpcReply } from '../../../shared/ipc/contract.js';
import { dciodvfy, pydicomValues } from '../../helpers/exportChecks.js';
import { DATA_DIR } from '../../helpers/paths.js';

const MR = path.join(DATA_DIR, 'dcm_qa_enh/Siemens_XA10/6_1.dcm');

describe('export.segmentation method', () => {
  it('exports a stored model segmentation as SEG (AUTOMATIC, model named) and .seg.nrrd; refuses bad requests with codes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-expm-'));
    const db = openDatabase(path.join(dir, 'c.db'));
    const table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
    const call = (m: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, m, input, { emit: () => {} });
    try {
      const imp = await call('import.paths', { paths: [MR] });
      expect(imp.ok).toBe(true);
      const seriesId = (imp as { result: { seriesIds: number[] } }).result.seriesIds[0];
      const rec = db.prepare('SELECT dims_json, spacing_mm_json, origin_lps_json, direction_lps_json FROM series WHERE id = ?').get(seriesId) as Record<
        string,
        string
      >;
      const dims = JSON.parse(rec.dims_json) as [number, number, number];
      // a slab: the first 20 columns of every row
      const labels = new Uint8Array(dims[0] * dims[1] * dims[2]);
      for (let p = 0; p < labels.length; p++) labels[p] = p % dims[0] < 20 ? 1 : 0;
      const segId = saveSegmentation(db, {
        seriesId,
        source: 'model',
        name: 'test model output',
        model: { id: 'abdomen-ct', version: '1.0.0', sha256: 'ab'.repeat(32) },
        labelMap: {
          dims: JSON.parse(rec.dims_json),
          spacingMm: JSON.parse(rec.spacing_mm_json),
          originLps: JSON.parse(rec.origin_lps_json),
          directionLps: JSON.parse(rec.direction_lps_json),
          labels,
          table: [{ value: 1, name: 'liver', colorRgb: [200, 100, 90], kind: 'organ' }],
        },
      });
      const r = await call('export.segmentation', { segmentationId: segId, format: 'seg', outDir: dir });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      const files = (r as { result: { files: string[] } }).result.files;
      expect(files).toEqual([path.join(dir, `segmentation-${segId}.seg.dcm`)]);
      expect(dciodvfy(files[0]).errors).toEqual([]);
      const d = pydicomValues(files[0], ['SegmentSequence.0.SegmentAlgorithmType', 'SegmentSequence.0.SegmentAlgorithmName', 'ContentDescription']);
      expect(d['SegmentSequence.0.SegmentAlgorithmType']).toBe('AUTOMATIC');
      expect(d['SegmentSequence.0.SegmentAlgorithmName']).toBe('abdomen-ct 1.0.0');
      expect(String(d.ContentDescription)).toMatch(/sha256 abababababab/);
      const n = await call('export.segmentation', { segmentationId: segId, format: 'seg.nrrd', outDir: dir, fileName: 'x.seg.nrrd' });
      expect(n.ok).toBe(true);
      const nrrd = decodeSegNrrd(readFileSync(path.join(dir, 'x.seg.nrrd')), 'x');
      expect(Buffer.compare(Buffer.from(nrrd.layers[0]), Buffer.from(labels))).toBe(0);
      expect(nrrd.segments.map((s) => s.name)).toEqual(['liver']);
      const code = (x: RpcReply<unknown>): string => (x.ok ? 'ok' : x.error.code);
      expect(code(await call('export.segmentation', { segmentationId: segId, format: 'seg', outDir: path.join(dir, 'missing') }))).toBe('NOT_FOUND');
      expect(code(await call('export.segmentation', { segmentationId: segId, format: 'gif', outDir: dir }))).toBe('INVALID_INPUT');
      expect(code(await call('export.segmentation', { segmentationId: 999, format: 'seg', outDir: dir }))).toBe('NOT_FOUND');
      expect(existsSync(path.join(dir, 'segmentation-999.seg.dcm'))).toBe(false);
    } finally {
      await table.close();
    }
  }, 60_000);
});
