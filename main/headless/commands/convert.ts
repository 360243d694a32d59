// `medseg convert PATH -o OUT.nii.gz [--series UID] [--force]`: writes a volume as NIfTI in modality units, with its
// geometry report recorded in the header and a JSON sidecar; an unsafe series is refused unless --force.
import { convertToNifti } from '../../services/nifti/convertSeries.js';
import { sidecarPathOf } from '../../services/nifti/niftiGeometry.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg convert PATH -o OUT.nii[.gz] [--series UID] [--force] [--json]\n' +
  '  An unsafe series (missing slice, no positions, …) is refused with UNSAFE_GEOMETRY; --force writes it anyway,\n' +
  '  and the file stays marked unsafe (header and OUT.json sidecar) when medseg reads it back.';

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { output: { type: 'string', short: 'o' }, series: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one PATH\nusage: ${usage}`);
    if (!values.output) throw new UsageError(`-o OUT.nii.gz is required\nusage: ${usage}`);
    const converted = await convertToNifti(positionals[0], values.output, { seriesUid: values.series, force: values.force });
    const result = {
      output: values.output,
      sidecar: sidecarPathOf(values.output),
      seriesInstanceUid: converted.seriesInstanceUid,
      dims: converted.dims,
      spacingMm: converted.spacingMm,
      geometry: converted.geometry,
      forced: values.force === true && converted.geometry.status === 'unsafe',
      writtenFrom: converted.writtenFrom,
    };
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else {
      io.stdout(`wrote ${values.output} (${converted.dims.join('x')}, geometry ${converted.geometry.status}${result.forced ? ', forced' : ''})\n`);
      for (const f of converted.geometry.findings) io.stderr(`  ${f.code}: ${f.message}\n`);
    }
    return EXIT_OK;
  },
};
