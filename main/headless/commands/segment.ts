// `medseg segment PATH [--model ID] [--device auto|cpu|gpu] [-o OUT.nii.gz] [--db F] --json`: runs a bundled (or
// external) model on a DICOM series or NIfTI volume; writes the label map on the input grid and/or stores it.
import { rename, rm } from 'node:fs/promises';
import { AppError } from '../../../shared/errors.js';
import { loadVolumeFromPath } from '../../services/series/volumes.js';
import { writeNifti } from '../../services/nifti/nifti.js';
import { importPaths } from '../../services/catalog/importer.js';
import { resolveModel } from '../../services/inference/registry.js';
import { startSegmentation } from '../../services/inference/runner.js';
import type { DeviceChoice } from '../../services/inference/providers.js';
import { assertSegmentable, checkModelFits, findCatalogSeries, labelVolumes, saveModelSegmentation } from '../../services/inference/segmentSeries.js';
import { openCatalogDb, parseCommandArgs, progressBar, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg segment PATH [--model ID|DIR] [--device auto|cpu|gpu] [--threads N] [--series UID] [-o OUT.nii.gz] [--db FILE] [--json]\n' +
  '  [--modality CT|MR|...]     the modality of a NIfTI input (NIfTI does not record it; DICOM does)\n' +
  '  [--allow-modality-mismatch] run a model on another modality or body region than it was made for (recorded with the result)';
export const DEFAULT_MODEL = 'abdomen-ct';

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        model: { type: 'string' },
        device: { type: 'string' },
        threads: { type: 'string' },
        series: { type: 'string' },
        output: { type: 'string', short: 'o' },
        db: { type: 'string' },
        json: { type: 'boolean' },
        modality: { type: 'string' },
        'allow-modality-mismatch': { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one PATH\nusage: ${usage}`);
    const device = (values.device ?? 'auto') as DeviceChoice;
    if (!['auto', 'cpu', 'gpu'].includes(device)) throw new UsageError(`--device must be auto, cpu or gpu\nusage: ${usage}`);
    const threads = values.threads === undefined ? undefined : Number(values.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads must be a whole number >= 1\nusage: ${usage}`);
    const path = positionals[0];

    const model = await resolveModel(values.model ?? DEFAULT_MODEL);
    const loaded = await loadVolumeFromPath(path, values.series);
    const statedModality = values.modality?.trim().toUpperCase();
    if (statedModality !== undefined && loaded.modality !== '' && statedModality !== loaded.modality.toUpperCase()) {
      throw new UsageError(`--modality ${statedModality}: the DICOM series says ${loaded.modality}\nusage: ${usage}`);
    }
    assertSegmentable(loaded.volume, loaded.geometry, model);
    const modalityCheck = checkModelFits(
      model,
      { modality: loaded.modality || statedModality || '', bodyPart: loaded.bodyPart, directionLps: loaded.volume.directionLps },
      values['allow-modality-mismatch'] === true,
    );
    // resolve where it will be stored before the long run, so a bad --db fails fast
    const db = values.db !== undefined ? await openCatalogDb(values.db) : null;
    try {
      let seriesId: number | null = null;
      if (db) {
        if (!loaded.seriesInstanceUid)
          throw new AppError('INVALID_INPUT', '--db stores results of DICOM series; a NIfTI file has no series in the catalog (use -o).');
        // files imported before add nothing and are not listed in the import summary: find the series in the catalog
        await importPaths(db, [path]);
        seriesId = findCatalogSeries(db, loaded.seriesInstanceUid, loaded.volume);
      }
      const bar = progressBar(io, `segmenting (${model.manifest.id})`);
      const job = startSegmentation(loaded.volume, model, { device, threads, onProgress: (p) => bar.update(p.tilesDone, p.tilesTotal) });
      const onSigint = (): void => job.cancel();
      process.once('SIGINT', onSigint);
      let result;
      try {
        result = await job.promise;
      } finally {
        process.off('SIGINT', onSigint);
        bar.finish();
      }
      if (values.output) {
        // write beside the target and rename: an interrupted write never leaves a half file under the real name
        const tmp = `${values.output}.partial-${process.pid}${/\.gz$/i.test(values.output) ? '.nii.gz' : '.nii'}`;
        try {
          await writeNifti(
            tmp,
            { ...result.labelMap, voxels: result.labelMap.labels },
            { labels: true, description: `medseg ${model.manifest.id} ${model.manifest.version}` },
          );
          await rename(tmp, values.output);
        } catch (err) {
          await rm(tmp, { force: true });
          throw err;
        }
      }
      const segmentationId = db && seriesId !== null ? saveModelSegmentation(db, seriesId, model, result, modalityCheck) : null;
      const labels = labelVolumes(result.labelMap);
      if (values.json) {
        io.stdout(
          JSON.stringify({
            model: { id: model.manifest.id, version: model.manifest.version, sha256: model.sha256 },
            executionProvider: result.provider,
            fallbacks: result.fallbacks,
            seconds: result.seconds,
            labels,
            modalityCheck,
            // where the result was stored (--db): measure it with `medseg measure --db F --segmentation ID`
            stored: segmentationId !== null ? { seriesId, segmentationId } : null,
          }) + '\n',
        );
        // the reasons are in "fallbacks"; one line says that there are some
        if (result.fallbacks.length > 0)
          io.stderr(`note: ran on ${result.provider}; ${result.fallbacks.map((f) => f.provider).join(', ')} not usable here (reasons in "fallbacks")\n`);
      } else {
        io.stdout(`${model.manifest.id} ${model.manifest.version} on ${result.provider} in ${result.seconds.toFixed(1)} s\n`);
        for (const f of result.fallbacks) io.stdout(`  skipped ${f.provider}: ${f.reason}\n`);
        for (const l of labels)
          io.stdout(`  ${String(l.value).padStart(3)} ${l.name.padEnd(16)} ${String(l.voxels).padStart(9)} voxels ${l.volumeMl.toFixed(1).padStart(8)} mL\n`);
        if (values.output) io.stdout(`wrote ${values.output}\n`);
        if (segmentationId !== null) io.stdout(`stored as segmentation ${segmentationId} of series ${seriesId}\n`);
      }
      if (modalityCheck.mismatchAllowed) io.stderr(`warning: ${modalityCheck.mismatch} (run anyway: --allow-modality-mismatch, recorded with the result)\n`);
      if (model.manifest.intendedUse) io.stderr(`note: ${model.manifest.intendedUse}\n`);
      return EXIT_OK;
    } finally {
      db?.close();
    }
  },
};
