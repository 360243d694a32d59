// `medseg export PATH --labels L.nii.gz|ID --format seg|sr|nifti|seg.nrrd|… -o OUT [--db F]`: writes a segmentation
// of a source series in an exchange format; every format is a handler in main/services/export/formats.ts.
import { loadExportContext } from '../../services/export/context.js';
import { exportFormat, exportFormatNames } from '../../services/export/formats.js';
import { appendAudit } from '../../db/audit.js';
import { openCatalogDb, parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage = () =>
  `medseg export [PATH] --labels (LABELS.nii.gz | SEGMENTATION_ID) --format ${exportFormatNames().join('|')} -o OUT [--db FILE] [--series UID]\n` +
  '    [--label-names NAMES.csv] [--lesion-labels V,V...] [--pseudonym NAME] [--json]\n' +
  '  --pseudonym NAME: pdf/csv/json show NAME instead of the patient identity.\n' +
  '  PATH: the source DICOM series (or NIfTI volume for nifti/seg.nrrd); optional with a stored SEGMENTATION_ID (--db), whose series is used.\n' +
  '  Files are written atomically (temp + rename). Notes (derived UIDs, resampling) go to stderr, or into --json.';

export const command: CliCommand = {
  get usage() {
    return usage();
  },
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        labels: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string', short: 'o' },
        db: { type: 'string' },
        series: { type: 'string' },
        'label-names': { type: 'string' },
        'lesion-labels': { type: 'string' },
        json: { type: 'boolean' },
        pseudonym: { type: 'string' },
      },
      usage(),
    );
    if (positionals.length > 1) throw new UsageError(`give at most one PATH\nusage: ${usage()}`);
    if (!values.labels) throw new UsageError(`--labels is required\nusage: ${usage()}`);
    if (!values.format) throw new UsageError(`--format is required\nusage: ${usage()}`);
    if (!values.out) throw new UsageError(`-o OUT is required\nusage: ${usage()}`);
    if (!exportFormatNames().includes(values.format)) throw new UsageError(`unknown --format ${values.format}\nusage: ${usage()}`);
    const stored = /^\d+$/.test(values.labels);
    if (!stored && positionals.length === 0) throw new UsageError(`a label map file needs the source series PATH\nusage: ${usage()}`);
    if (stored && values.db === undefined) throw new UsageError(`--labels ${values.labels} is a stored segmentation id: give --db FILE\nusage: ${usage()}`);
    const lesionValues = new Set(
      (values['lesion-labels'] ?? '')
        .split(',')
        .filter((s) => s !== '')
        .map(Number),
    );
    const handler = await exportFormat(values.format);
    const ctx = await loadExportContext({
      sourcePath: positionals[0],
      labels: stored ? Number(values.labels) : values.labels,
      dbPath: values.db,
      seriesUid: values.series,
      labelNamesPath: values['label-names'],
      lesionValues,
    });
    const result = await handler.write(ctx, { outPath: values.out, options: values.pseudonym !== undefined ? { pseudonym: values.pseudonym } : {} });
    if (values.db !== undefined) await recordExport(values.db, values.format, result.files, ctx.provenance);
    const notes = [...new Set([...ctx.notes, ...result.notes])];
    if (values.json) io.stdout(JSON.stringify({ ...result, notes, provenance: ctx.provenance }) + '\n');
    else io.stdout(`${result.format}: ${result.files.join(', ')} (${result.bytes} bytes)\n`);
    for (const n of notes) io.stderr(`medseg export: note: ${n}\n`);
    return EXIT_OK;
  },
};

/** The audit log of the catalog the labels came from records the export. */
async function recordExport(dbPath: string, format: string, files: string[], provenance: unknown): Promise<void> {
  const db = await openCatalogDb(dbPath);
  try {
    appendAudit(db, { action: 'export', subject: files[0] ?? '', details: { format, files, provenance } });
  } finally {
    db.close();
  }
}
