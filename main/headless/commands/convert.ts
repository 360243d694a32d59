// `medseg convert PATH -o OUT.nii.gz [--series UID]`: writes a volume as NIfTI in modality units.
import { loadVolumeFromPath } from '../../services/series/volumes.js';
import { writeNifti } from '../../services/nifti/nifti.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage = 'medseg convert PATH -o OUT.nii[.gz] [--series UID] [--json]';

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { output: { type: 'string', short: 'o' }, series: { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one PATH\nusage: ${usage}`);
    if (!values.output) throw new UsageError(`-o OUT.nii.gz is required\nusage: ${usage}`);
    const loaded = await loadVolumeFromPath(positionals[0], values.series);
    await writeNifti(values.output, loaded.volume);
    const result = {
      output: values.output,
      seriesInstanceUid: loaded.seriesInstanceUid,
      dims: loaded.volume.dims,
      spacingMm: loaded.volume.spacingMm,
      geometry: loaded.geometry,
    };
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else {
      io.stdout(`wrote ${values.output} (${loaded.volume.dims.join('x')}, geometry ${loaded.geometry.status})\n`);
      for (const f of loaded.geometry.findings) io.stderr(`  ${f.code}: ${f.message}\n`);
    }
    return EXIT_OK;
  },
};
