// `medseg resect LABELMAP.nii.gz --organ L --plane X,Y,Z:NX,NY,NZ [--keep positive|negative] --json`: virtual
// resection by a plane (point and normal in LPS mm, the kept side is the remnant), or by a painted region
// (--region REGION.nii.gz, non-zero = resect, confined to the organ; lesion margins to the remnant); refused on unsafe
// geometry.
import { readNiftiLabels } from '../../services/nifti/nifti.js';
import { resectByPlane, resectByRegion } from '../../../shared/domain/planning/resection.js';
import { sameGrid, type Vec3 } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { LABEL_TABLE_OPTIONS, LABEL_TABLE_USAGE, loadGatedLabelMap, resolveLabel } from './planningCommon.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg resect LABELMAP.nii.gz --organ L (--plane X,Y,Z:NX,NY,NZ [--keep positive|negative] | --region REGION.nii.gz) [--label-names NAMES.csv] [--lesion-labels V,...] [--json]\n' +
  '  The plane: a point and a normal in LPS mm; the kept side (default: where the normal points) is the remnant.\n' +
  '  Lesion labels (their instances get margins to the plane) are other labels, so they are outside the organ total.\n' +
  LABEL_TABLE_USAGE;

function parsePlane(text: string): { pointLps: Vec3; normalLps: Vec3 } {
  const parts = text.split(':').map((s) => s.split(',').map((x) => (x.trim() === '' ? NaN : Number(x))));
  if (parts.length !== 2 || parts.some((p) => p.length !== 3 || !p.every(Number.isFinite))) {
    throw new UsageError(`--plane: expected X,Y,Z:NX,NY,NZ (LPS mm), got '${text}'\nusage: ${usage}`);
  }
  return { pointLps: parts[0] as Vec3, normalLps: parts[1] as Vec3 };
}

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        organ: { type: 'string' },
        plane: { type: 'string' },
        keep: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean' },
        ...LABEL_TABLE_OPTIONS,
      },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one LABELMAP\nusage: ${usage}`);
    if (values.organ === undefined) throw new UsageError(`give --organ L\nusage: ${usage}`);
    if ((values.plane === undefined) === (values.region === undefined)) throw new UsageError(`give exactly one of --plane and --region\nusage: ${usage}`);
    const keep = values.keep ?? 'positive';
    if (keep !== 'positive' && keep !== 'negative') throw new UsageError(`--keep must be positive or negative\nusage: ${usage}`);
    const plane = values.plane !== undefined ? parsePlane(values.plane) : undefined;
    const { labelMap } = await loadGatedLabelMap(positionals[0], values, 'Resection volumes in mL');
    const organ = resolveLabel(labelMap, values.organ);
    const lesions = labelMap.table.filter((l) => l.kind === 'lesion').map((l) => ({ value: l.value, name: l.name }));
    let result;
    if (plane) result = resectByPlane(labelMap, organ, plane, keep, lesions);
    else {
      const region = await readNiftiLabels(values.region!);
      if (!sameGrid(region, labelMap, 1e-3)) throw new AppError('INCONSISTENT_GEOMETRY', 'The resection region is not on the label map grid.');
      const mask = new Uint8Array(region.labels.length);
      for (let p = 0; p < mask.length; p++) mask[p] = region.labels[p] !== 0 ? 1 : 0;
      result = resectByRegion(labelMap, organ, mask, lesions);
    }
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else {
      const f = (x: number, d = 1): string => x.toFixed(d);
      io.stdout(
        `organ ${organ}: ${f(result.organMl)} mL (${f(result.organMlLower)}–${f(result.organMlUpper)}); resected ${f(result.resectedMl)} mL, remnant ${f(result.remnantMl)} mL = ` +
          `${f(result.remnantPercent)} % (${f(result.remnantPercentLower)}–${f(result.remnantPercentUpper)} %)\n`,
      );
      for (const m of result.marginsMm) io.stdout(`  ${m.name} #${m.instance}: margin ${f(m.marginMm)} mm\n`);
    }
    return EXIT_OK;
  },
};
