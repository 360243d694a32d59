// `medseg import PATH... [--db F] [--json]`: adds DICOM files, folders, zips and DICOMDIRs to the catalog.
import { importPaths } from '../../services/catalog/importer.js';
import { openCatalogDb, parseCommandArgs, progressBar, UsageError } from './common.js';
import { EXIT_FAILED, EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg import PATH... [--db FILE] [--json]   (DICOM files, folders, zips, DICOMDIRs; DICOM SEG and .seg.nrrd files become segmentations of their series)';

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { db: { type: 'string' }, json: { type: 'boolean' } }, usage);
    if (positionals.length === 0) throw new UsageError(`no PATH given\nusage: ${usage}`);
    const db = openCatalogDb(values.db);
    try {
      const bar = progressBar(io, 'importing');
      const summary = await importPaths(db, positionals, { onProgress: (p) => bar.update(p.filesDone, p.filesTotal) });
      bar.finish();
      if (values.json) {
        io.stdout(JSON.stringify(summary) + '\n');
      } else {
        io.stdout(
          `${summary.filesTotal} files: ${summary.instancesAdded} images added, ${summary.duplicatesSkipped} already known, ` +
            `${summary.skipped.length} skipped, ${summary.errors.length} errors\n`,
        );
        for (const s of summary.series) {
          io.stdout(
            `  series ${s.seriesId} ${s.modality} "${s.description}" ${s.dims.join('x')} geometry ${s.geometry.status}` + `${s.isNew ? '' : ' (updated)'}\n`,
          );
          for (const f of s.geometry.findings) io.stdout(`    ${f.severity}: ${f.code}: ${f.message}\n`);
        }
        for (const g of summary.segmentations ?? []) {
          io.stdout(
            `  segmentation ${g.segmentationIds.join(', ')} (${g.format}) on series ${g.seriesId}: ${g.segments.map((x) => `${x.name} ${x.voxels} voxels`).join(', ')}\n`,
          );
          for (const n of g.notes) io.stdout(`    note: ${n}\n`);
        }
        for (const e of summary.errors) io.stdout(`  error ${e.code}: ${e.message}\n`);
        for (const s of summary.skipped) io.stdout(`  skipped ${s.path}: ${s.reason}\n`);
      }
      return summary.series.length > 0 || summary.duplicatesSkipped > 0 || (summary.segmentations?.length ?? 0) > 0 ? EXIT_OK : EXIT_FAILED;
    } finally {
      db.close();
    }
  },
};
