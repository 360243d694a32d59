// timeline.* through the method table on a catalog (synthetic cohort imported, thresholded and measured as the app does):
// the same response as `medseg timeline --db`, a correction of the matching changes it, survives reopening the database
// (and reaches the CLI), a correction naming studies that are not consecutive is refused, and reset restores the rest.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { makeCohort } from '../../helpers/cohort.js';

const ctx = { emit: () => {} };

describe('timeline methods', () => {
  it('shows, corrects, keeps and resets the lesion matching of a patient', async () => {
    const cohort = makeCohort(1, 300, 5);
    const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-timeline-m-')), 'cat.db');
    let table = createServiceTable({ db: openDatabase(dbFile), mode: 'http', appVersion: 'test' });
    try {
      await table.methods['import.paths']({ paths: [cohort.dir] }, ctx);
      const { patients } = await table.methods['catalog.list']({}, ctx);
      for (const s of patients[0].studies.flatMap((st) => st.series)) {
        const { segmentationId } = await table.methods['classical.apply'](
          { seriesId: s.seriesId, params: { tool: 'threshold', loValue: 170, hiValue: 2000 } },
          ctx,
        );
        await table.methods['measure.segmentation']({ segmentationId, connectivity: 6 }, ctx);
      }
      const auto = await table.methods['timeline.get']({ patientId: 'COH-001' }, ctx);
      // T0: lesions of 14 and 10 mm diameter; T1: 16 and 12 mm (+17 %): SD; T2: a new lesion: PD
      expect(auto.timepoints.map((t) => t.response)).toEqual([null, 'SD', 'PD']);
      const [t0, t1] = auto.timepoints;
      expect(t1.matches?.length).toBe(2);
      // the grids differ by 5 slices (10 mm) along z, the anatomy does not: matched lesions sit at the same LPS z
      expect(t1.matches!.every((m) => m.distanceMm < 1.5)).toBe(true);
      const pair = t1.matches![0];

      const unpaired = await table.methods['timeline.editMatch'](
        { patientId: 'COH-001', fromCase: t0.caseKey, toCase: t1.caseKey, fromLesion: pair.fromId, toLesion: null },
        ctx,
      );
      expect(unpaired.timepoints[1]).toMatchObject({ response: 'PD', newLesions: [pair.toId], vanishedLesions: [pair.fromId] });
      expect(unpaired.timepoints[1].matches!.map((m) => m.fromId)).not.toContain(pair.fromId);

      // T0 → T2 are not consecutive: refused, nothing stored
      await expect(
        table.methods['timeline.editMatch'](
          { patientId: 'COH-001', fromCase: t0.caseKey, toCase: auto.timepoints[2].caseKey, fromLesion: pair.fromId, toLesion: null },
          ctx,
        ),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(
        table.methods['timeline.editMatch']({ patientId: 'COH-001', fromCase: t0.caseKey, toCase: t1.caseKey, fromLesion: '9:99', toLesion: null }, ctx),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    } finally {
      await table.close();
    }

    // the correction survives a restart, and `medseg timeline --db` applies it too
    table = createServiceTable({ db: openDatabase(dbFile), mode: 'http', appVersion: 'test' });
    try {
      const reloaded = await table.methods['timeline.get']({ patientId: 'COH-001' }, ctx);
      expect(reloaded.timepoints[1].response).toBe('PD');
      expect(reloaded.timepoints[1].matches!.length).toBe(1);
      const cli = await runCliCaptured(['timeline', '--patient', 'COH-001', '--db', dbFile, '--json']);
      expect(cli.code, cli.stderr).toBe(0);
      expect((JSON.parse(cli.stdout) as typeof reloaded).timepoints.map((t) => t.response)).toEqual([null, 'PD', 'PD']);
      const reset = await table.methods['timeline.resetMatches']({ patientId: 'COH-001' }, ctx);
      expect(reset.timepoints.map((t) => t.response)).toEqual([null, 'SD', 'PD']);
      expect(reset.timepoints[1].matches!.every((m) => !m.edited)).toBe(true);
    } finally {
      await table.close();
    }
  });
});
