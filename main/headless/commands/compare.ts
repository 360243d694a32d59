// `medseg compare A.nii.gz B.nii.gz --json`: per-label Dice, IoU and HD95 (mm), and overall voxel accuracy.
import { compareSegmentations } from '../../services/measure/measure.js';
import { readNiftiLabels } from '../../services/nifti/nifti.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage = 'medseg compare A.nii.gz B.nii.gz [--json]   (both label maps on one grid)';

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, usage);
    if (positionals.length !== 2) throw new UsageError(`give exactly two label maps\nusage: ${usage}`);
    const [a, b] = await Promise.all(positionals.map((p) => readNiftiLabels(p)));
    const c = compareSegmentations(a, b);
    const out = {
      pixelAccuracy: c.pixelAccuracy,
      labels: c.labels.map((l) => ({ value: l.value, dice: l.dice, iou: l.iou, hd95Mm: l.hd95Mm })),
    };
    if (values.json) io.stdout(JSON.stringify(out) + '\n');
    else {
      io.stdout(`pixel accuracy ${out.pixelAccuracy.toFixed(6)}\n`);
      for (const l of out.labels) io.stdout(`${l.value}: Dice ${l.dice.toFixed(4)}, IoU ${l.iou.toFixed(4)}, HD95 ${l.hd95Mm === null ? '-' : l.hd95Mm.toFixed(2) + ' mm'}\n`);
    }
    return EXIT_OK;
  },
};
