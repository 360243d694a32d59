// `medseg bodycomp CT_PATH --tissues T --vertebrae V [...] --json`: tissue volumes (mL, partial-volume band) per
// vertebral level and tissue areas (cm²) with mean HU on one axial slice (L3's centre by default).
import type { SliceChoice } from '../../../shared/domain/measure/bodyComposition.js';
import { intensityUnitFor } from '../../../shared/domain/intensityUnit.js';
import { AppError } from '../../../shared/errors.js';
import { measureBodyComposition, readNamedLabels, type BodyCompositionReport } from '../../services/measure/bodyComposition.js';
import { loadVolumeFromPath } from '../../services/series/volumes.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg bodycomp CT_PATH --tissues T.nii.gz|MASK_FOLDER --vertebrae V.nii.gz [--tissue-names F.csv] [--vertebra-names F.csv]\n' +
  '       [--slice L3|K|z=MM] [--series UID] [--modality CT] [--json]\n' +
  '  --tissues: a multi-label map (names from --tissue-names) or a folder of binary masks, one NAME.nii.gz per tissue.\n' +
  '  --vertebrae: a label map whose names (--vertebra-names, lines "value,name") include vertebrae_L3 or L3 etc.\n' +
  '  --slice: a level (default L3: the slice nearest its centre), a slice index K, or z=MM (LPS z, nearest slice).\n' +
  '  Mean HU only for CT: --modality CT states it for a NIfTI CT_PATH, which does not record it.';

function parseSlice(text: string | undefined): SliceChoice | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^z=/i.test(t)) {
    const z = Number(t.slice(2));
    if (t.slice(2).trim() === '' || !Number.isFinite(z)) throw new UsageError(`--slice z=MM: not a number: '${text}'\nusage: ${usage}`);
    return { zLpsMm: z };
  }
  if (/^\d+$/.test(t)) return { k: Number(t) };
  if (/^(vertebrae_)?[CTLS]\d{1,2}$/i.test(t)) return { level: t };
  throw new UsageError(`--slice: expected a level (L3), a slice index or z=MM, got '${text}'\nusage: ${usage}`);
}

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        tissues: { type: 'string' },
        vertebrae: { type: 'string' },
        'tissue-names': { type: 'string' },
        'vertebra-names': { type: 'string' },
        slice: { type: 'string' },
        series: { type: 'string' },
        modality: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one CT_PATH\nusage: ${usage}`);
    if (!values.tissues || !values.vertebrae) throw new UsageError(`--tissues and --vertebrae are required\nusage: ${usage}`);
    const slice = parseSlice(values.slice);
    const tissues = await readNamedLabels(values.tissues, values['tissue-names']);
    const vertebrae = await readNamedLabels(values.vertebrae, values['vertebra-names']);
    if (vertebrae.names.size === 0)
      throw new AppError(
        'INVALID_INPUT',
        `${values.vertebrae}: no label names; give --vertebra-names (e.g. labels_total.csv) so the levels can be found by name.`,
      );
    const { volume, geometry, modality } = await loadVolumeFromPath(positionals[0], values.series);
    const stated = values.modality?.trim().toUpperCase();
    if (stated !== undefined && modality !== '' && stated !== modality.toUpperCase())
      throw new UsageError(`--modality ${stated}: the DICOM series says ${modality}\nusage: ${usage}`);
    const result = measureBodyComposition(volume, geometry, intensityUnitFor(modality || stated || ''), tissues, vertebrae, slice);
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else printHuman(result, io.stdout);
    return EXIT_OK;
  },
};

function printHuman(r: BodyCompositionReport, out: (s: string) => void): void {
  const f = (x: number | null, d = 1): string => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(d));
  out(`geometry ${r.geometryStatus}\n`);
  for (const w of r.warnings) out(`  ${w.code}: ${w.message}\n`);
  for (const l of r.levels) {
    out(`${l.level}: slices ${l.sliceRange[0]}..${l.sliceRange[1]}${l.truncated ? ' (cut by the scan: volumes are lower bounds)' : ''}\n`);
    for (const t of l.tissues) out(`  ${t.name}: ${f(t.volumeMl)} mL (${f(t.volumeMlLower)}–${f(t.volumeMlUpper)})\n`);
  }
  const s = r.slice;
  out(`slice k=${s.k} z=${f(s.zLps)} mm${s.level ? ` (${s.level})` : ''}\n`);
  for (const t of s.tissues) out(`  ${t.name}: ${f(t.areaCm2, 2)} cm²${t.meanHu === null ? '' : `, mean ${f(t.meanHu)} HU`}\n`);
}
