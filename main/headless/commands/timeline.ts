// `medseg timeline --patient ID (--results DIR | --db F) [--json]`: a patient's studies as a timeline: per time point the
// label volumes (change in mL and %, flagged within the bands' overlap), lesions matched across time points, new and
// vanished lesions, and the RECIST 1.1 response (main/services/batch/timeline.ts).
import { patientTimelineFromDb, patientTimelineFromResults, type PatientTimeline } from '../../services/batch/timeline.js';
import { listMatchEdits } from '../../db/lesionMatchEdits.js';
import { openCatalogDb, parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg timeline --patient ID (--results DIR | --db FILE) [--match-distance MM] [--json]\n' +
  "  DIR: a `medseg batch --out` folder (ID: patient id or the manifest's subject). FILE: a catalog DB, where each series gives\n" +
  '  the latest measurement of its newest measured segmentation (STALE_RESULT once edited since), with the lesion-matching\n' +
  '  corrections made in the timeline view. Lesion labels whose name\n' +
  '  contains "node" are measured by their short axis (RECIST lymph nodes).';

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
    const opts = { matchDistanceMm };
    let out: PatientTimeline;
    if (values.results !== undefined) out = await patientTimelineFromResults(values.results, values.patient, opts);
    else {
      const db = await openCatalogDb(values.db);
      try {
        out = patientTimelineFromDb(db, values.patient, opts, listMatchEdits(db, values.patient));
      } finally {
        db.close();
      }
    }
    const timepoints = out.timepoints;
    if (values.json) io.stdout(JSON.stringify(out) + '\n');
    else {
      io.stdout(`patient ${values.patient}, ${timepoints.length} studies, method ${out.method}; ${out.targets.length} target lesion(s)\n`);
      for (const t of timepoints) {
        const head = `${t.studyDate} ${t.timepoint || t.seriesInstanceUid}`;
        if (t.error) {
          io.stdout(`${head}: not evaluable (${t.error})\n`);
          continue;
        }
        const r = t as Required<typeof t>;
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
