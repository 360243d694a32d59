// Method-table entries of the follow-up timeline (issue 14), spread into `methods` in contract.ts: a patient's measured
// studies from the catalog with label volumes, RECIST 1.1 response and the lesion matching, which the user may correct.
import { z } from 'zod';
import { vec3Schema } from '../domain/schemas.js';

const patientId = z.string().min(1).max(200);
const recistResponseSchema = z.enum(['CR', 'PR', 'SD', 'PD', 'NE']);

export const timelineLesionSchema = z.object({
  id: z.string(),
  organ: z.string(),
  centroidLps: vec3Schema,
  longAxisMm: z.number(),
  shortAxisMm: z.number(),
  isNode: z.boolean().optional(),
});

const lesionMatchSchema = z.object({ fromId: z.string(), toId: z.string(), distanceMm: z.number(), edited: z.boolean().optional() });
const matchEditSchema = z.object({ fromKey: z.string(), toKey: z.string(), fromId: z.string(), toId: z.string().nullable() });
export const caseMatchEditSchema = z.object({ fromCase: z.string(), toCase: z.string(), fromLesion: z.string(), toLesion: z.string().nullable() });

const labelChangeSchema = z.object({
  name: z.string(),
  volumeMl: z.number(),
  volumeMlLower: z.number(),
  volumeMlUpper: z.number(),
  changeMl: z.number().nullable(),
  changePercent: z.number().nullable(),
  withinBands: z.boolean().nullable(),
});

/** One study; the response fields are absent when it failed or its measurement is stale (error says why). */
export const timelineStudySchema = z.object({
  caseKey: z.string(),
  seriesInstanceUid: z.string(),
  studyDate: z.string(),
  timepoint: z.string(),
  geometryStatus: z.string(),
  error: z.string(),
  errorMessage: z.string(),
  response: recistResponseSchema.nullable(),
  key: z.string().optional(),
  date: z.string().optional(),
  sumMm: z.number().optional(),
  nadirMm: z.number().nullable().optional(),
  changeFromBaselinePercent: z.number().nullable().optional(),
  changeFromNadirMm: z.number().nullable().optional(),
  changeFromNadirPercent: z.number().nullable().optional(),
  targets: z.array(z.object({ baselineId: z.string(), id: z.string().nullable(), diameterMm: z.number() })).optional(),
  newLesions: z.array(z.string()).optional(),
  vanishedLesions: z.array(z.string()).optional(),
  lesions: z.array(timelineLesionSchema).optional(),
  matches: z.array(lesionMatchSchema).optional(),
  ignoredEdits: z.array(matchEditSchema).optional(),
  labels: z.array(labelChangeSchema).optional(),
});

export const patientTimelineSchema = z.object({
  patient: z.string(),
  method: z.string(),
  baseline: z.string().nullable(),
  targets: z.array(timelineLesionSchema),
  timepoints: z.array(timelineStudySchema),
  outdatedEdits: z.array(caseMatchEditSchema).optional(),
});

export const timelineMethods = {
  /** The patient's timeline from the catalog (as `medseg timeline --db`), with the user's matching corrections applied. */
  'timeline.get': { input: z.object({ patientId, matchDistanceMm: z.number().positive().max(500).optional() }).strict(), output: patientTimelineSchema },
  /**
   * Corrects the matching between two consecutive studies (caseKeys): pair fromLesion with toLesion, or unpair it
   * (toLesion null). Stored, so it survives a reload; answers with the recomputed timeline.
   */
  'timeline.editMatch': {
    input: caseMatchEditSchema.extend({ patientId, matchDistanceMm: z.number().positive().max(500).optional() }).strict(),
    output: patientTimelineSchema,
  },
  /** Forgets the patient's corrections: back to the automatic matching. */
  'timeline.resetMatches': {
    input: z.object({ patientId, matchDistanceMm: z.number().positive().max(500).optional() }).strict(),
    output: patientTimelineSchema,
  },
} as const;

export type PatientTimelineView = z.infer<typeof patientTimelineSchema>;
export type TimelineStudyView = z.infer<typeof timelineStudySchema>;
