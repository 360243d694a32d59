// `medseg measure PATH (--labels L.nii.gz | --threshold LO:HI | --grow I,J,K:LO:HI) [...] --json`: per-label
// volumes with partial-volume band, HU statistics, centroids and lesion instances with RECIST diameters.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { regionGrow } from '../../../shared/domain/classical/regionGrow.js';
import { thresholdMask } from '../../../shared/domain/classical/threshold.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { measurementCsv, measurementRows } from '../../../shared/domain/measure/export.js';
import type { MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { defaultLabelTable, measureSegmentation } from '../../services/measure/measure.js';
import { readNiftiLabels } from '../../services/nifti/nifti.js';
import { loadVolumeFromPath } from '../../services/series/volumes.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg measure PATH (--labels LABELS.nii.gz | --threshold=LO:HI | --grow=I,J,K:LO:HI) [--series UID] [--connectivity 6|26] ' +
  '[--lesion-labels V,V...] [--label-names NAMES.csv] [--max-voxels N] [--csv OUT.csv] [--json]\n' +
  '  --threshold/--grow make label 1 (a lesion-kind label: split into instances); values starting with "-" need "=".\n' +
  '  --grow seed I,J,K are voxel indices of PATH as loaded (i = column, j = row, k = slice in position order).\n' +
  '  --labels values are lesion-kind only when listed in --lesion-labels; NAMES.csv has lines "value,name".';

function parseRange(text: string, what: string): { lo: number; hi: number } {
  const parts = text.split(':');
  const lo = Number(parts[0]);
  const hi = Number(parts[1]);
  if (parts.length !== 2 || parts.some((p) => p.trim() === '') || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new UsageError(`${what}: expected LO:HI with LO <= HI, got '${text}'\nusage: ${usage}`);
  }
  return { lo, hi };
}

function parseGrow(text: string): { seed: Vec3; lo: number; hi: number } {
  const at = text.indexOf(':');
  const seed = text.slice(0, Math.max(0, at)).split(',').map(Number);
  if (at < 0 || seed.length !== 3 || !seed.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new UsageError(`--grow: expected I,J,K:LO:HI (voxel indices), got '${text}'\nusage: ${usage}`);
  }
  return { seed: seed as Vec3, ...parseRange(text.slice(at + 1), '--grow') };
}

function readNames(file: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
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
      {
        labels: { type: 'string' },
        threshold: { type: 'string' },
        grow: { type: 'string' },
        series: { type: 'string' },
        connectivity: { type: 'string' },
        'lesion-labels': { type: 'string' },
        'label-names': { type: 'string' },
        'max-voxels': { type: 'string' },
        csv: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one PATH\nusage: ${usage}`);
    const modes = [values.labels, values.threshold, values.grow].filter((x) => x !== undefined);
    if (modes.length !== 1) throw new UsageError(`give exactly one of --labels, --threshold, --grow\nusage: ${usage}`);
    const connectivity = values.connectivity === undefined ? 6 : Number(values.connectivity);
    if (connectivity !== 6 && connectivity !== 26) throw new UsageError(`--connectivity must be 6 or 26\nusage: ${usage}`);
    const threshold = values.threshold !== undefined ? parseRange(values.threshold, '--threshold') : undefined;
    const grow = values.grow !== undefined ? parseGrow(values.grow) : undefined;
    const maxVoxels = values['max-voxels'] !== undefined ? Number(values['max-voxels']) : undefined;
    if (maxVoxels !== undefined && !(Number.isInteger(maxVoxels) && maxVoxels > 0)) throw new UsageError(`--max-voxels must be a positive integer\nusage: ${usage}`);

    const { volume, geometry } = await loadVolumeFromPath(positionals[0], values.series);
    const { voxels: _voxels, ...grid } = volume;
    let labelMap: LabelMap;
    let note = '';
    if (values.labels !== undefined) {
      const seg = await readNiftiLabels(values.labels);
      const lesions = new Set((values['lesion-labels'] ?? '').split(',').filter((s) => s !== '').map(Number));
      const names = values['label-names'] ? readNames(values['label-names']) : undefined;
      labelMap = { ...seg, table: defaultLabelTable(seg.labels, lesions, names) };
    } else if (threshold) {
      labelMap = { ...grid, labels: thresholdMask(volume, threshold.lo, threshold.hi), table: [{ value: 1, name: `threshold ${threshold.lo}..${threshold.hi}`, colorRgb: [255, 64, 64], kind: 'lesion' }] };
    } else {
      const g = grow!;
      let r;
      try {
        r = regionGrow(volume, g.seed, { lo: g.lo, hi: g.hi }, { connectivity, maxVoxels });
      } catch (err) {
        throw new AppError('INVALID_INPUT', (err as Error).message);
      }
      if (r.capped) note = `region growing stopped at --max-voxels ${maxVoxels}: the region is incomplete`;
      labelMap = { ...grid, labels: r.mask, table: [{ value: 1, name: `region ${g.seed.join(',')} ${g.lo}..${g.hi}`, colorRgb: [64, 255, 64], kind: 'lesion' }] };
    }
    const result: MeasurementResult & { note?: string } = measureSegmentation(volume, labelMap, geometry, { connectivity });
    if (note) result.note = note;
    if (values.csv) await writeFile(values.csv, measurementCsv(measurementRows(result)));
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else printHuman(result, io.stdout);
    if (note) io.stderr(`medseg measure: ${note}\n`);
    return EXIT_OK;
  },
};

function printHuman(r: MeasurementResult, out: (s: string) => void): void {
  const f = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  out(`geometry ${r.geometry.status}, voxel ${f(r.geometry.voxelVolumeMl * 1000, 3)} mm^3\n`);
  for (const fnd of r.geometry.findings) out(`  ${fnd.code}: ${fnd.message}\n`);
  for (const l of r.labels) {
    if (l.voxels === 0) continue;
    const s = l.stats;
    out(`${l.value} ${l.name}: ${f(l.volumeMl)} mL (${f(l.volumeMlLower)}–${f(l.volumeMlUpper)}), ${l.voxels} voxels` + (s ? `, mean ${f(s.mean)} ± ${f(s.sd)}` : '') + '\n');
    for (const i of l.instances) {
      out(`  #${i.id}: ${f(i.volumeMl, 2)} mL (${f(i.volumeMlLower, 2)}–${f(i.volumeMlUpper, 2)}), RECIST ${f(i.recistLongMm)} x ${f(i.recistShortMm)} mm, max ${f(i.maxDiameterMm)} mm\n`);
    }
  }
}
