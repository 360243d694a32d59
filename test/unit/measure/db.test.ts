// End to end: import the real CT DICOM series, measure its TotalSegmentator label map (resampled through LPS
// onto the series grid), store the run in SQLite, read it back, export CSV; counts checked against nibabel.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { listMeasurementRuns, loadMeasurements, saveMeasurements } from '../../../main/db/measurements.js';
import { saveSegmentation } from '../../../main/db/segmentations.js';
import { importPaths } from '../../../main/services/catalog/importer.js';
import { readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { measureSegmentation } from '../../../main/services/measure/measure.js';
import { labelTableFor } from '../../../shared/domain/labelTable.js';
import { loadSeriesVolume } from '../../../main/services/series/volumes.js';
import { measurementCsv, measurementRows, MEASUREMENT_COLUMNS } from '../../../shared/domain/measure/export.js';
import type { MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { resampleLabelMapNearest } from '../../../shared/domain/resample.js';
import { python, TS_DIR } from '../../helpers/measureHelpers.js';

const SEG = path.join(TS_DIR, 'example_seg_dicom.nii.gz');
let db: Database;
let segId = 0;
let result: MeasurementResult;
let ref: Record<string, number> = {};

beforeAll(async () => {
  db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'medseg-measure-db-')), 'm.db'));
  await importPaths(db, [path.join(TS_DIR, 'example_ct_dicom')]);
  const seriesId = (db.prepare('SELECT id FROM series').get() as { id: number }).id;
  const { volume, geometry } = await loadSeriesVolume(db, seriesId);
  const seg = await readNiftiLabels(SEG);
  // value 5 (liver) as a lesion-kind label to exercise instance rows; names as in labels_total.csv
  const labelMap: LabelMap = { ...seg, table: labelTableFor(seg.labels, { rows: new Map([[5, { name: 'liver, "segment"' }]]), lesionValues: new Set([5]) }) };
  result = measureSegmentation(volume, labelMap, geometry, { connectivity: 26 });
  const onGrid = resampleLabelMapNearest(labelMap, volume) as LabelMap;
  segId = saveSegmentation(db, { seriesId, source: 'import', name: 'TotalSegmentator', labelMap: onGrid });
  ref = python<Record<string, number>>(`
import json, numpy as np, nibabel as nib
s = np.asarray(nib.load(${JSON.stringify(SEG)}).dataobj)
v, c = np.unique(s, return_counts=True)
print(json.dumps({str(int(a)): int(b) for a, b in zip(v, c) if a != 0}))
`);
});

describe('measurements on the imported DICOM series', () => {
  it('label counts after resampling onto the series grid equal nibabel counts of the NIfTI', () => {
    expect(result.geometry.status).not.toBe('unsafe');
    expect(Object.keys(ref).length).toBeGreaterThan(5);
    for (const [v, n] of Object.entries(ref)) expect(result.labels.find((l) => l.value === Number(v))!.voxels).toBe(n);
    const ml = result.geometry.voxelVolumeMl;
    expect(ml).toBeCloseTo((0.9765625 * 0.9765625 * 2) / 1000, 6);
  });

  it('stores a run with its computation version and reads back identical rows; CSV round-trips', () => {
    const runId = saveMeasurements(db, segId, result, 0);
    const runs = listMeasurementRuns(db, segId);
    expect(runs.map((r) => r.id)).toEqual([runId]);
    expect(runs[0]).toMatchObject({ computationVersion: 'measure-1', connectivity: 26, geometryStatus: result.geometry.status, labelMapVersion: 0 });
    const { rows } = loadMeasurements(db, runId);
    const expected = measurementRows(result).sort((a, b) => a.labelValue - b.labelValue || a.instanceId - b.instanceId);
    expect(rows).toEqual(expected);
    const liverInstances = rows.filter((r) => r.labelValue === 5 && r.instanceId > 0);
    expect(liverInstances.length).toBeGreaterThan(0);
    expect(liverInstances[0].recistLongMm).toBeGreaterThan(0);
    // Each lesion row keeps the anchor voxel its number follows, and the anchor is one of its own voxels.
    for (const r of liverInstances) expect(r.anchorIjk).toHaveLength(3);

    const csv = measurementCsv(rows);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(MEASUREMENT_COLUMNS.join(','));
    expect(lines).toHaveLength(rows.length + 1);
    const liverLine = lines.find((l) => l.startsWith('5,0,'))!;
    expect(liverLine).toContain('"liver, ""segment"""');
    const cells = liverLine.replace('"liver, ""segment"""', 'NAME').split(',');
    const volIdx = MEASUREMENT_COLUMNS.indexOf('volumeMl');
    expect(Number(cells[volIdx])).toBe(rows.find((r) => r.labelValue === 5 && r.instanceId === 0)!.volumeMl);
  });

  it('deleting the segmentation deletes its measurements; unknown segmentation is NOT_FOUND', () => {
    expect(() => saveMeasurements(db, 9999, result, 0)).toThrow(/does not exist/);
    db.prepare('DELETE FROM segmentations WHERE id = ?').run(segId);
    expect(listMeasurementRuns(db, segId)).toEqual([]);
    expect((db.prepare('SELECT COUNT(*) AS n FROM measurements').get() as { n: number }).n).toBe(0);
  });
});
