// `medseg models [--validate DIR] [--json]`: lists the bundled and user models (and folders that fail validation),
// or validates one external model folder and says exactly what is wrong with it.
// `medseg models import DIR ...`: makes a model folder from nnU-Net v2 results (services/inference/nnunetImport.ts).
import { resolve } from 'node:path';
import { listModels, loadModelFolder, userModelsDir, type ModelFolder } from '../../services/inference/registry.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_FAILED, EXIT_OK, type CliCommand, type CliIo } from './types.js';

const usage =
  'medseg models [--validate DIR] [--json]\n' +
  'medseg models import DIR [--id ID] [--models-dir D] [--modality CT|MR|PT|US|OT] [--folds 0,1,...] [--json]\n' +
  '  DIR: an nnU-Net v2 results folder (dataset.json, plans.json, fold_N/checkpoint_final.pth + fold_N/network.onnx\n' +
  '  from scripts/export-nnunet-onnx.py); the model is written to D (default <userData>/models) and used as --model ID';

async function importCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { id: { type: 'string' }, 'models-dir': { type: 'string' }, modality: { type: 'string' }, folds: { type: 'string' }, json: { type: 'boolean' } },
    usage,
  );
  if (positionals.length !== 1) throw new UsageError(`give exactly one nnU-Net results folder\nusage: ${usage}`);
  const folds = values.folds
    ?.split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (folds && folds.some((f) => !/^(fold_)?(\d+|all)$/.test(f))) throw new UsageError(`--folds takes fold numbers such as 0,1 (or all)\nusage: ${usage}`);
  // loaded only here: listing models needs none of it
  const { importNnunetModel } = await import('../../services/inference/nnunetImport.js');
  const r = await importNnunetModel(positionals[0], { id: values.id, modelsDir: values['models-dir'], modality: values.modality, folds });
  const m = r.model.manifest;
  const summary = {
    id: r.id,
    dimensions: m.dimensions,
    modality: m.modality,
    labels: m.labels.map((l) => ({ value: l.value, name: l.name, kind: l.kind })),
    folds: r.description.folds.map((f) => f.name),
    configuration: r.description.configuration,
    dir: r.dir,
  };
  if (values.json) io.stdout(JSON.stringify(summary) + '\n');
  else {
    io.stdout(`imported ${r.id}: ${m.modality} ${m.dimensions}D, ${summary.labels.length} labels, ${summary.folds.length} fold(s) -> ${r.dir}\n`);
    // a model outside the folders medseg searches is named by its folder
    const listed = values['models-dir'] === undefined || resolve(values['models-dir']) === resolve(userModelsDir());
    io.stdout(`run it with: medseg segment PATH --model ${listed ? r.id : r.dir}\n`);
  }
  return EXIT_OK;
}

function describe(m: ModelFolder) {
  const x = m.manifest;
  return {
    id: x.id,
    version: x.version,
    name: x.name,
    modality: x.modality,
    dimensions: x.dimensions,
    spacingMm: x.spacingMm,
    patchSize: x.patchSize,
    labels: x.labels.map((l) => ({ value: l.value, name: l.name, kind: l.kind })),
    sha256: m.sha256,
    opset: m.opset,
    sizeBytes: m.sizeBytes,
    dir: m.dir,
    warnings: m.warnings,
  };
}

export const command: CliCommand = {
  usage,
  async run(args, io) {
    if (args[0] === 'import') return importCommand(args.slice(1), io);
    const { values, positionals } = parseCommandArgs(args, { validate: { type: 'string' }, json: { type: 'boolean' } }, usage);
    if (positionals.length) throw new UsageError(`unexpected ${positionals.join(' ')}\nusage: ${usage}`);
    if (values.validate) {
      const m = await loadModelFolder(values.validate);
      if (values.json) io.stdout(JSON.stringify({ valid: true, model: describe(m) }) + '\n');
      else {
        io.stdout(`valid: ${m.manifest.id} ${m.manifest.version} (opset ${m.opset}, sha256 ${m.sha256.slice(0, 12)}…)\n`);
        for (const w of m.warnings) io.stderr(`warning: ${w}\n`);
      }
      return EXIT_OK;
    }
    const listing = await listModels();
    if (values.json) {
      io.stdout(JSON.stringify({ models: listing.models.map(describe), invalid: listing.invalid }) + '\n');
    } else {
      for (const m of listing.models) {
        const x = m.manifest;
        io.stdout(`${x.id.padEnd(16)} ${x.version.padEnd(7)} ${x.modality} ${x.dimensions}D  ${x.labels.map((l) => l.name).join(', ')}\n`);
      }
      for (const bad of listing.invalid) io.stdout(`invalid ${bad.dir}: ${bad.message}\n`);
    }
    return listing.models.length > 0 ? EXIT_OK : EXIT_FAILED;
  },
};
