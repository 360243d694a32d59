// `medseg convert PATH -o OUT.nii.gz [--series UID] [--force]`: writes a volume as NIfTI in modality units, with its
// geometry report recorded in the header and a JSON sidecar; an unsafe series is refused unless --force.
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import { sidecarPathOf } from '../../services/nifti/niftiGeometry.js';
import { loadVolumeFromPath } from '../../services/series/volumes.js';
import { writeNifti } from '../../services/nifti/nifti.js';
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
    // The volume only goes to the file: decode workers may write it in shared memory.
    const loaded = await loadVolumeFromPath(positionals[0], values.series, { sharedMemory: true });
    // A NIfTI file is a grid in mm: the same gate as every other mm output, unless the user insists.
    if (!values.force) requirePhysicalUnits(loaded.geometry, 'Writing NIfTI (a grid in mm) without --force');
    await writeNifti(values.output, loaded.volume, { geometry: loaded.geometry });
    const result = {
      output: values.output,
      sidecar: sidecarPathOf(values.output),
      seriesInstanceUid: loaded.seriesInstanceUid,
      dims: loaded.volume.dims,
      spacingMm: loaded.volume.spacingMm,
      geometry: loaded.geometry,
      forced: values.force === true && loaded.geometry.status === 'unsafe',
    };
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else {
      io.stdout(`wrote ${values.output} (${loaded.volume.dims.join('x')}, geometry ${loaded.geometry.status}${result.forced ? ', forced' : ''})\n`);
      for (const f of loaded.geometry.findings) io.stderr(`  ${f.code}: ${f.message}\n`);
    }
    return EXIT_OK;
  },
};
