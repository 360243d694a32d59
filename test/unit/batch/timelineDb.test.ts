// `medseg timeline --db`: a patient's studies in the catalog (imported, segmented with a threshold, measured through the
// method table as the app does) give the same RECIST responses as the batch table; a segmentation edited after its
// measurement is listed as STALE_RESULT, never with its old figures.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { makeCohort } from '../../helpers/cohort.js';

type Tl = { timepoints: { seriesInstanceUid: string; error: string; response: string | null; newLesions?: string[] }[] };

describe('medseg timeline --db', () => {
  it('follows the measured segmentations of a patient, and refuses a measurement older than its label map', async () => {
    const cohort = makeCohort(1);
    const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-timeline-db-')), 'cat.db');
    const db = openDatabase(dbFile);
    const table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
    const ctx = { emit: () => {} };
    const segOf = new Map<string, number>();
    try {
      await table.methods['import.paths']({ paths: [cohort.dir] }, ctx);
      const { patients } = await table.methods['catalog.list']({}, ctx);
      const series = patients.find((p) => p.patientId === 'COH-001')!.studies.flatMap((s) => s.series);
      expect(series.length).toBe(3);
      for (const s of series) {
        const { segmentationId } = await table.methods['classical.apply'](
          { seriesId: s.seriesId, params: { tool: 'threshold', loValue: 170, hiValue: 2000 } },
          ctx,
        );
        await table.methods['measure.segmentation']({ segmentationId, connectivity: 6 }, ctx);
        segOf.set(s.seriesInstanceUid, segmentationId);
      }
    } finally {
      // closes the database too
      await table.close();
    }
    const run = async (): Promise<Tl> => {
      const r = await runCliCaptured(['timeline', '--patient', 'COH-001', '--db', dbFile, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Tl;
    };
    const fresh = await run();
    expect(fresh.timepoints.map((t) => [t.error, t.response])).toEqual([
      ['', null],
      ['', 'SD'],
      ['', 'PD'],
    ]);
    expect(fresh.timepoints[2].newLesions?.length).toBe(1);

    // paint into the second study's segmentation: its stored measurement no longer describes it
    const uid = cohort.truth.cases[1].seriesInstanceUid;
    const db2 = openDatabase(dbFile);
    const table2 = createServiceTable({ db: db2, mode: 'http', appVersion: 'test' });
    try {
      const segmentationId = segOf.get(uid)!;
      await table2.methods['edit.open']({ segmentationId }, ctx);
      await table2.methods['edit.stroke'](
        { segmentationId, stroke: { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[5, 5, 5]], radiusMm: 2, shape: 'sphere' } },
        ctx,
      );
    } finally {
      await table2.close();
    }
    const edited = await run();
    const t1 = edited.timepoints.find((t) => t.seriesInstanceUid === uid)!;
    expect(t1).toMatchObject({ error: 'STALE_RESULT', response: null });
    // the remaining two studies still give a response: the new lesion at the third one
    expect(edited.timepoints.map((t) => t.response)).toEqual([null, null, 'PD']);
  });
});
