// The timeline.* entries of the method table: the patient's timeline from the catalog (main/services/batch/timeline.ts,
// the same computation as `medseg timeline --db`) with the user's stored matching corrections applied.
import type { Database } from 'better-sqlite3';
import type { timelineMethods } from '../../shared/ipc/contract-timeline.js';
import { AppError } from '../../shared/errors.js';
import { addMatchEdit, clearMatchEdits, listMatchEdits } from '../db/lesionMatchEdits.js';
import { patientTimelineFromDb, type PatientTimeline } from '../services/batch/timeline.js';
import type { MethodImpls } from './types.js';

type TimelineMethodName = keyof typeof timelineMethods;

export function createTimelineService(db: Database): { methods: Pick<MethodImpls, TimelineMethodName> } {
  const timelineOf = (patientId: string, matchDistanceMm?: number): PatientTimeline =>
    patientTimelineFromDb(db, patientId, { matchDistanceMm }, listMatchEdits(db, patientId));
  return {
    methods: {
      'timeline.get': async ({ patientId, matchDistanceMm }) => timelineOf(patientId, matchDistanceMm),
      'timeline.editMatch': async ({ patientId, matchDistanceMm, fromCase, toCase, fromLesion, toLesion }) => {
        // refuse a correction the timeline could not apply, rather than store it and show it as ignored
        const current = timelineOf(patientId, matchDistanceMm);
        const usable = current.timepoints.filter((t) => t.error === '');
        const n = usable.findIndex((t) => t.caseKey === fromCase);
        if (n < 0 || usable[n + 1]?.caseKey !== toCase)
          throw new AppError('INVALID_INPUT', `Studies ${fromCase} and ${toCase} are not consecutive measured studies of patient ${patientId}.`);
        if (!usable[n].lesions?.some((l) => l.id === fromLesion)) throw new AppError('INVALID_INPUT', `Study ${fromCase} has no lesion ${fromLesion}.`);
        if (toLesion !== null && !usable[n + 1].lesions?.some((l) => l.id === toLesion))
          throw new AppError('INVALID_INPUT', `Study ${toCase} has no lesion ${toLesion}.`);
        addMatchEdit(db, patientId, { fromCase, toCase, fromLesion, toLesion });
        return timelineOf(patientId, matchDistanceMm);
      },
      'timeline.resetMatches': async ({ patientId, matchDistanceMm }) => {
        clearMatchEdits(db, patientId);
        return timelineOf(patientId, matchDistanceMm);
      },
    },
  };
}
