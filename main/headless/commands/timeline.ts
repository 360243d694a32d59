// `medseg timeline --patient ID --results DIR [--json]`: a patient's studies in a `medseg batch` table as a timeline:
// per time point the label volumes (change in mL and %, flagged within the bands' overlap), lesions matched across
// time points, new and vanished lesions, and the RECIST 1.1 response.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BatchRow } from '../../../shared/domain/batch/results.js';
import { recistTimeline, type Timepoint } from '../../../shared/domain/measure/recistResponse.js';
import { AppError } from '../../../shared/errors.js';
import { listCatalog } from '../../db/catalog.js';
import { readCursor } from '../../db/edits.js';
import { listMeasurementRuns, loadMeasurements } from '../../db/measurements.js';
import { listSegmentations } from '../../db/segmentations.js';
import { openCatalogDb, parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg timeline --patient ID --results DIR [--match-distance MM] [--json]\n' +
  "  DIR is a `medseg batch --out` folder; ID a patient id or the manifest's subject. Lesion labels whose name contains\n" +
  '  "node" are measured by their short axis (RECIST lymph nodes).';

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
function casesFromDb(dbFile: string, patient: string): TimelineCase[] {
  const db = openCatalogDb(dbFile);
  try {
    const node = listCatalog(db).find((p) => p.patientId === patient);
    if (!node) throw new AppError('NOT_FOUND', `Patient ${patient} is not in ${dbFile}.`);
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
          source: dbFile,
          label: null,
          name: '',
          kind: 'case',
          labelKind: '',
          lesionId: null,
          voxels: null,
          volumeMl: null,
          volumeMlLower: null,
          volumeMlUpper: null,
          centroidXLps: null,
          centroidYLps: null,
          centroidZLps: null,
          recistLongMm: null,
          recistShortMm: null,
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
          label: r.labelValue,
          name: r.labelName,
          kind: r.instanceId === 0 ? 'label' : 'lesion',
          labelKind: r.kind,
          lesionId: r.instanceId === 0 ? null : r.instanceId,
          voxels: r.voxels,
          volumeMl: r.volumeMl,
          volumeMlLower: r.volumeMlLower,
          volumeMlUpper: r.volumeMlUpper,
          centroidXLps: r.centroidXLps,
          centroidYLps: r.centroidYLps,
          centroidZLps: r.centroidZLps,
          recistLongMm: r.recistLongMm,
          recistShortMm: r.recistShortMm,
          geometryStatus: run.geometryStatus,
        }));
        if (rows.length > 0) out.push({ rows, first: rows[0] });
      }
    }
    return out;
  } finally {
    db.close();
  }
}

async function rowsFromResults(dir: string): Promise<BatchRow[]> {
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

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      { patient: { type: 'string' }, results: { type: 'string' }, db: { type: 'string' }, 'match-distance': { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (!values.patient || (values.results === undefined) === (values.db === undefined))
      throw new UsageError(`--patient and one of --results, --db are required\nusage: ${usage}`);
    const matchDistanceMm = values['match-distance'] === undefined ? undefined : Number(values['match-distance']);
    if (matchDistanceMm !== undefined && !(matchDistanceMm > 0)) throw new UsageError(`--match-distance must be a positive number of mm\nusage: ${usage}`);
    const cases =
      values.results !== undefined ? casesOf(await rowsFromResults(values.results), values.patient) : sortCases(casesFromDb(values.db!, values.patient));
    if (cases.length === 0) throw new AppError('NOT_FOUND', `No studies of patient ${values.patient} in ${values.results ?? values.db}.`);
    // failed cases (no mm/mL) are listed but cannot take part in the response
    const usable = cases.filter((c) => c.first.error === '');
    const timeline = recistTimeline(usable.map(timepointOf), { matchDistanceMm });
    const byKey = new Map(usable.map((c, n) => [c.first.caseKey, timeline.timepoints[n]]));
    const timepoints = cases.map((c) => ({
      caseKey: c.first.caseKey,
      seriesInstanceUid: c.first.seriesInstanceUid,
      studyDate: c.first.studyDate,
      timepoint: c.first.timepoint,
      geometryStatus: c.first.geometryStatus,
      error: c.first.error,
      errorMessage: c.first.errorMessage,
      ...(byKey.get(c.first.caseKey) ?? { response: null }),
    }));
    const out = { patient: values.patient, method: cases[0].first.method, baseline: usable[0]?.first.caseKey ?? null, targets: timeline.targets, timepoints };
    if (values.json) io.stdout(JSON.stringify(out) + '\n');
    else {
      io.stdout(`patient ${values.patient}, ${cases.length} studies, method ${out.method}; ${timeline.targets.length} target lesion(s)\n`);
      for (const t of timepoints) {
        const head = `${t.studyDate} ${t.timepoint || t.seriesInstanceUid}`;
        if (t.error) {
          io.stdout(`${head}: not evaluable (${t.error})\n`);
          continue;
        }
        const r = byKey.get(t.caseKey)!;
        io.stdout(
          `${head}: sum ${r.sumMm.toFixed(1)} mm${r.response ? `, ${r.response}` : ' (baseline)'}` +
            (r.newLesions.length ? `, new: ${r.newLesions.join(' ')}` : '') +
            (r.vanishedLesions.length ? `, vanished: ${r.vanishedLesions.join(' ')}` : '') +
            '\n',
        );
        for (const l of r.labels) {
          const change =
            l.changeMl === null
              ? ''
              : ` (${l.changeMl >= 0 ? '+' : ''}${l.changeMl.toFixed(2)} mL${l.changePercent === null ? '' : `, ${l.changePercent.toFixed(0)} %`}${l.withinBands ? ', within the bands' : ''})`;
          io.stdout(`  ${l.name}: ${l.volumeMl.toFixed(2)} mL [${l.volumeMlLower.toFixed(2)}–${l.volumeMlUpper.toFixed(2)}]${change}\n`);
        }
      }
    }
    return EXIT_OK;
  },
};
