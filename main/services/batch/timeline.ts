// A patient's timeline from a `medseg batch` table or the catalog DB: studies in time order, each with its label volumes
// and lesions, and the RECIST 1.1 response (shared/domain/measure/recistResponse.ts). Failed or stale studies are
// listed with their code and take no part in the response.
import type { Database } from 'better-sqlite3';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { measurementColumns, NO_MEASUREMENT, type BatchRow } from '../../../shared/domain/batch/results.js';
import {
  recistTimeline,
  type MatchEdit,
  type RecistOptions,
  type Timepoint,
  type TimelineLesion,
  type TimepointResponse,
} from '../../../shared/domain/measure/recistResponse.js';
import { AppError } from '../../../shared/errors.js';
import { listCatalog } from '../../db/catalog.js';
import { readCursor } from '../../db/edits.js';
import { listMeasurementRuns, loadMeasurements } from '../../db/measurements.js';
import { listSegmentations } from '../../db/segmentations.js';

interface CaseRows {
  rows: BatchRow[];
  first: BatchRow;
}

/** One study of the timeline, from either source: its rows in the batch table's shape, or why it has none. */
type TimelineCase = CaseRows;

/** The patient's cases in time order (study date, then the manifest's time point, then series). */
function casesOf(rows: BatchRow[], patient: string): CaseRows[] {
  const byCase = new Map<string, BatchRow[]>();
  for (const r of rows) {
    if (r.patientId !== patient && r.subject !== patient) continue;
    const list = byCase.get(r.caseKey) ?? [];
    list.push(r);
    byCase.set(r.caseKey, list);
  }
  return sortCases([...byCase.values()].map((list) => ({ rows: list, first: list[0] })));
}

function sortCases(cases: CaseRows[]): CaseRows[] {
  const key = (c: CaseRows): string => `${c.first.studyDate}\u0000${c.first.timepoint}\u0000${c.first.seriesInstanceUid}`;
  return cases.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function timepointOf(c: CaseRows): Timepoint {
  const v = (x: number | null): number => x ?? 0;
  return {
    key: c.first.timepoint || c.first.seriesInstanceUid,
    date: c.first.studyDate,
    lesions: c.rows
      .filter((r) => r.kind === 'lesion' && r.volumeMl !== null)
      .map((r) => ({
        id: `${r.label}:${r.lesionId}`,
        organ: r.name,
        centroidLps: [v(r.centroidXLps), v(r.centroidYLps), v(r.centroidZLps)],
        longAxisMm: v(r.recistLongMm),
        shortAxisMm: v(r.recistShortMm),
        isNode: /\bnodes?\b/i.test(r.name),
      })),
    labels: c.rows
      .filter((r) => r.kind === 'label' && r.volumeMl !== null)
      .map((r) => ({
        name: r.name,
        volumeMl: v(r.volumeMl),
        volumeMlLower: v(r.volumeMlLower),
        volumeMlUpper: v(r.volumeMlUpper),
        centroidLps: r.centroidXLps === null ? null : [v(r.centroidXLps), v(r.centroidYLps), v(r.centroidZLps)],
        isOrgan: r.labelKind === 'organ',
      })),
  };
}

/** A patient's measured series in a catalog DB, in the batch table's row shape (mm/mL as stored by the measure service). */
function casesFromDb(db: Database, dbName: string, patient: string): TimelineCase[] {
  const node = listCatalog(db).find((p) => p.patientId === patient);
  if (!node) throw new AppError('NOT_FOUND', `Patient ${patient} is not in ${dbName}.`);
  const out: TimelineCase[] = [];
  for (const study of node.studies) {
    for (const series of study.series) {
      const base: BatchRow = {
        caseKey: `series-${series.seriesId}`,
        patientId: patient,
        pseudonym: '',
        subject: patient,
        timepoint: '',
        studyDate: study.studyDate ?? '',
        seriesInstanceUid: series.seriesInstanceUid,
        source: dbName,
        ...NO_MEASUREMENT,
        geometryStatus: series.geometry.status,
        error: '',
        errorMessage: '',
        method: '',
        modelId: '',
        modelVersion: '',
        modelSha256: '',
        provider: '',
        softwareVersion: '',
        computationVersion: '',
        seconds: 0,
      };
      // the newest segmentation that has a measurement
      const measured = listSegmentations(db, series.seriesId)
        .reverse()
        .map((seg) => ({ seg, run: listMeasurementRuns(db, seg.id)[0] }))
        .find((x) => x.run !== undefined);
      if (!measured) {
        const row = { ...base, error: 'NOT_FOUND', errorMessage: `Series ${series.seriesId} has no measured segmentation.` };
        out.push({ rows: [row], first: row });
        continue;
      }
      const { seg, run } = measured;
      let current = 0;
      try {
        current = readCursor(db, seg.id);
      } catch {
        current = 0;
      }
      const stale = run.labelMapVersion === null ? current !== 0 : run.labelMapVersion !== current;
      const method = seg.model ? `model ${seg.model.id} ${seg.model.version}` : `segmentation ${seg.id} (${seg.source})`;
      const withRun = { ...base, caseKey: `series-${series.seriesId}-run-${run.id}`, method, computationVersion: run.computationVersion };
      if (stale) {
        const row = {
          ...withRun,
          error: 'STALE_RESULT',
          errorMessage: `Segmentation ${seg.id} was edited after its last measurement (run ${run.id}): measure it again.`,
        };
        out.push({ rows: [row], first: row });
        continue;
      }
      const rows: BatchRow[] = loadMeasurements(db, run.id).rows.map((r) => ({
        ...withRun,
        ...measurementColumns(r),
        geometryStatus: run.geometryStatus,
      }));
      if (rows.length > 0) out.push({ rows, first: rows[0] });
    }
  }
  return out;
}

export async function rowsFromResults(dir: string): Promise<BatchRow[]> {
  const file = path.join(dir, 'results.jsonl');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new AppError('NOT_FOUND', `${file} does not exist: run medseg batch --out ${dir} first.`);
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as BatchRow);
}

export interface TimelineStudy extends Partial<TimepointResponse> {
  caseKey: string;
  seriesInstanceUid: string;
  studyDate: string;
  timepoint: string;
  geometryStatus: string;
  error: string;
  errorMessage: string;
  response: TimepointResponse['response'];
}

export interface PatientTimeline {
  patient: string;
  method: string;
  baseline: string | null;
  targets: TimelineLesion[];
  timepoints: TimelineStudy[];
  /** Matching corrections that name studies no longer consecutive or measured again since: not applied. */
  outdatedEdits?: CaseMatchEdit[];
}

/** A matching correction between two studies named by their caseKey (stable for one measurement run). */
export interface CaseMatchEdit {
  fromCase: string;
  toCase: string;
  fromLesion: string;
  toLesion: string | null;
}

function buildTimeline(cases: TimelineCase[], patient: string, where: string, opts: RecistOptions, edits: CaseMatchEdit[] = []): PatientTimeline {
  if (cases.length === 0) throw new AppError('NOT_FOUND', `No studies of patient ${patient} in ${where}.`);
  // failed cases (no mm/mL) are listed but cannot take part in the response
  const usable = cases.filter((c) => c.first.error === '');
  const points = usable.map(timepointOf);
  // corrections apply between consecutive usable studies only; the rest are reported, not silently dropped
  const next = new Map(usable.slice(0, -1).map((c, n) => [c.first.caseKey, usable[n + 1].first.caseKey]));
  const indexOf = new Map(usable.map((c, n) => [c.first.caseKey, n]));
  const matchEdits: MatchEdit[] = [];
  const outdated: CaseMatchEdit[] = [];
  for (const e of edits) {
    if (next.get(e.fromCase) !== e.toCase) {
      outdated.push(e);
      continue;
    }
    const from = points[indexOf.get(e.fromCase)!];
    const to = points[indexOf.get(e.toCase)!];
    matchEdits.push({ fromKey: from.key, toKey: to.key, fromId: e.fromLesion, toId: e.toLesion });
  }
  const timeline = recistTimeline(points, { ...opts, matchEdits: [...(opts.matchEdits ?? []), ...matchEdits] });
  const byKey = new Map(usable.map((c, n) => [c.first.caseKey, timeline.timepoints[n]]));
  const timepoints = cases.map((c): TimelineStudy => ({
    caseKey: c.first.caseKey,
    seriesInstanceUid: c.first.seriesInstanceUid,
    studyDate: c.first.studyDate,
    timepoint: c.first.timepoint,
    geometryStatus: c.first.geometryStatus,
    error: c.first.error,
    errorMessage: c.first.errorMessage,
    ...(byKey.get(c.first.caseKey) ?? { response: null }),
  }));
  return {
    patient,
    method: cases[0].first.method,
    baseline: usable[0]?.first.caseKey ?? null,
    targets: timeline.targets,
    timepoints,
    ...(edits.length > 0 ? { outdatedEdits: outdated } : {}),
  };
}

/** From the results of `medseg batch --out DIR` (patient id or the manifest's subject). */
export async function patientTimelineFromResults(dir: string, patient: string, opts: RecistOptions = {}): Promise<PatientTimeline> {
  return buildTimeline(casesOf(await rowsFromResults(dir), patient), patient, dir, opts);
}

/** From the catalog: per series the latest measurement of its newest measured segmentation, unless edited since. */
export function patientTimelineFromDb(db: Database, patient: string, opts: RecistOptions = {}, edits: CaseMatchEdit[] = []): PatientTimeline {
  return buildTimeline(sortCases(casesFromDb(db, db.name, patient)), patient, db.name, opts, edits);
}
