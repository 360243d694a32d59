// `medseg compare A.nii.gz B.nii.gz --json`: per-label Dice, IoU and HD95 and overall voxel accuracy; labels paired
// by name (value only when names are missing), HD95 in mm only where both files' geometry passes the gate.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mergeGeometryReports } from '../../../shared/domain/geometry.js';
import { compareSegmentations } from '../../services/measure/measure.js';
import { readNiftiLabels } from '../../services/nifti/nifti.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg compare A.nii.gz B.nii.gz [--names-a NAMES.csv] [--names-b NAMES.csv] [--label-names NAMES.csv] [--json]\n' +
  '  Both label maps on one grid, two different files. NAMES.csv has lines "value,name"; with names on both sides,\n' +
  '  labels are paired by name (liver = 5 in A and 1 in B is one pair), else by value (said so in the output).';

function readNames(file: string): Map<number, string> {
  const out = new Map<number, string>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}\nusage: ${usage}`);
  }
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s*,\s*(.+?)\s*$/.exec(line);
    if (m) out.set(Number(m[1]), m[2]);
  }
  return out;
}

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { 'names-a': { type: 'string' }, 'names-b': { type: 'string' }, 'label-names': { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length !== 2) throw new UsageError(`give exactly two label maps\nusage: ${usage}`);
    if (path.resolve(positionals[0]) === path.resolve(positionals[1]))
      throw new UsageError(`A and B are the same file: give two different label maps\nusage: ${usage}`);
    const shared = values['label-names'] ? readNames(values['label-names']) : undefined;
    const names = {
      a: values['names-a'] ? readNames(values['names-a']) : shared,
      b: values['names-b'] ? readNames(values['names-b']) : shared,
    };
    const [a, b] = await Promise.all(positionals.map((p) => readNiftiLabels(p)));
    const geometry = mergeGeometryReports(a.geometryReport, b.geometryReport);
    const c = compareSegmentations(a, b, geometry, names);
    const out = {
      a: positionals[0],
      b: positionals[1],
      pixelAccuracy: c.pixelAccuracy,
      pairedBy: c.pairedBy,
      hd95Unit: c.hd95Unit,
      geometry: { status: geometry.status, findings: geometry.findings },
      warnings: c.warnings,
      labels: c.labels.map((l) => ({
        value: l.valueA ?? l.valueB,
        valueA: l.valueA,
        valueB: l.valueB,
        nameA: l.nameA,
        nameB: l.nameB,
        dice: l.dice,
        iou: l.iou,
        hd95Mm: l.hd95Mm,
        hd95Voxels: l.hd95Voxels,
      })),
    };
    if (values.json) io.stdout(JSON.stringify(out) + '\n');
    else {
      io.stdout(`pixel accuracy ${out.pixelAccuracy.toFixed(6)}; labels paired by ${out.pairedBy}; geometry ${geometry.status}\n`);
      for (const w of out.warnings) io.stderr(`  ${w.code}: ${w.message}\n`);
      const side = (v: number | null, n: string | null): string => (v === null ? '(none)' : n ? `${v} ${n}` : `${v}`);
      for (const l of out.labels) {
        const hd = l.hd95Mm !== null ? `${l.hd95Mm.toFixed(2)} mm` : l.hd95Voxels !== null ? `${l.hd95Voxels.toFixed(2)} voxels (not mm)` : '-';
        io.stdout(`A ${side(l.valueA, l.nameA)} ↔ B ${side(l.valueB, l.nameB)}: Dice ${l.dice.toFixed(4)}, IoU ${l.iou.toFixed(4)}, HD95 ${hd}\n`);
      }
    }
    return EXIT_OK;
  },
};
