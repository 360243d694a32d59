// `medseg deid PATH -o OUTDIR [--shift-dates] [--allow-burned-in] [--key K] [--json]`: de-identified copies of DICOM
// files under PS3.15 Annex E (Basic Profile, optionally Retain Longitudinal Temporal Information Modified Dates).
import { deidentifyToFolder } from '../../services/deid/deidentify.js';
import { appendAudit } from '../../db/audit.js';
import { openCatalogDb, parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg deid PATH -o OUTDIR [--shift-dates] [--allow-burned-in] [--key KEY] [--db FILE] [--json]\n' +
  '  PATH: a DICOM file or folder (images, SEG, SR). Basic Application Level Confidentiality Profile (PS3.15 E.1-1):\n' +
  '  identifying attributes removed or replaced, private attributes removed, UIDs remapped to 2.25 UIDs (consistently\n' +
  '  across all files of the run, so SEG/SR references stay intact), pixel data copied byte for byte.\n' +
  '  --shift-dates   Retain Longitudinal Temporal Information (Modified Dates): dates shifted by a per-patient offset.\n' +
  '  --allow-burned-in  write files that state BurnedInAnnotation = YES (refused otherwise: check their pixels first).\n' +
  '  --key KEY       mapping key: the same key maps UIDs, pseudonyms and date offsets the same way across runs (default: random).\n' +
  '  --db FILE       the catalog whose audit log records the export (default: none).';

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        out: { type: 'string', short: 'o' },
        'shift-dates': { type: 'boolean' },
        'allow-burned-in': { type: 'boolean' },
        key: { type: 'string' },
        db: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one PATH\nusage: ${usage}`);
    if (!values.out) throw new UsageError(`-o OUTDIR is required\nusage: ${usage}`);
    if (values.key === '') throw new UsageError(`--key must not be empty\nusage: ${usage}`);
    const result = await deidentifyToFolder({
      inputPath: positionals[0],
      outDir: values.out,
      shiftDates: values['shift-dates'] === true,
      allowBurnedIn: values['allow-burned-in'] === true,
      mappingKey: values.key,
    });
    if (values.db !== undefined) {
      const db = await openCatalogDb(values.db);
      try {
        appendAudit(db, {
          action: 'deid',
          subject: values.out,
          details: {
            input: positionals[0],
            written: result.written.length,
            skipped: result.skipped.length,
            shiftDates: result.shiftDates,
            burnedInOverridden: result.burnedInOverridden.length,
          },
        });
      } finally {
        db.close();
      }
    }
    const summary = { written: result.written.length, skipped: result.skipped, patients: result.patients, shiftDates: result.shiftDates };
    if (values.json) io.stdout(JSON.stringify({ ...summary, files: result.written.map((w) => w.output) }) + '\n');
    else io.stdout(`deid: ${result.written.length} file(s) written to ${values.out}, ${result.skipped.length} skipped, ${result.patients} patient(s)\n`);
    for (const s of result.skipped) io.stderr(`medseg deid: skipped ${s.path}: ${s.reason}\n`);
    for (const p of result.burnedInOverridden) io.stderr(`medseg deid: warning: written although BurnedInAnnotation = YES: ${p}\n`);
    return EXIT_OK;
  },
};
