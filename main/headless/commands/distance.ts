// `medseg distance LABELMAP.nii.gz --from A --to B --json`: minimum distance (mm) between two labels (values or names)
// and the two closest voxel centres in LPS, from the exact distance transform; refused on unsafe geometry.
import { labelMask, minDistanceBetween } from '../../../shared/domain/planning/minDistance.js';
import { LABEL_TABLE_OPTIONS, LABEL_TABLE_USAGE, loadGatedLabelMap, resolveLabel } from './planningCommon.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage = 'medseg distance LABELMAP.nii.gz --from A --to B [--label-names NAMES.csv] [--json]   (A, B: label values or names)\n' + LABEL_TABLE_USAGE;

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' }, ...LABEL_TABLE_OPTIONS },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one LABELMAP\nusage: ${usage}`);
    if (values.from === undefined || values.to === undefined) throw new UsageError(`give --from and --to\nusage: ${usage}`);
    const { labelMap } = await loadGatedLabelMap(positionals[0], values, 'Distances in mm');
    const from = resolveLabel(labelMap, values.from);
    const to = resolveLabel(labelMap, values.to);
    const d = minDistanceBetween(labelMap, labelMask(labelMap.labels, from), labelMask(labelMap.labels, to));
    const result = { from, to, minDistanceMm: d.minDistanceMm, fromPointLps: d.fromPointLps, toPointLps: d.toPointLps };
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else {
      const pt = (p: number[]): string => p.map((x) => x.toFixed(1)).join(', ');
      io.stdout(`${d.minDistanceMm.toFixed(2)} mm between label ${from} at (${pt(d.fromPointLps)}) and label ${to} at (${pt(d.toPointLps)}) LPS mm\n`);
    }
    return EXIT_OK;
  },
};
