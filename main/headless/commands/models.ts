// `medseg models [--validate DIR] [--json]`: lists the bundled and user models (and folders that fail validation),
// or validates one external model folder and says exactly what is wrong with it.
import { listModels, loadModelFolder, type ModelFolder } from '../../services/inference/registry.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_FAILED, EXIT_OK, type CliCommand } from './types.js';

const usage = 'medseg models [--validate DIR] [--json]';

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
