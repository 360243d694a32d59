// `medseg bodycomp CT_PATH --tissues T --vertebrae V [...] --json`: tissue volumes (mL, partial-volume band) per
// vertebral level and tissue areas (cm²) with mean HU on one axial slice (L3's centre by default). With --model the
// tissue masks are made by a segmentation model on the CT first (e.g. bodycomp-ct), recorded in `tissuesFrom`.
import type { SliceChoice } from '../../../shared/domain/measure/bodyComposition.js';
import { intensityUnitFor } from '../../../shared/domain/intensityUnit.js';
import { AppError } from '../../../shared/errors.js';
import {
  measureBodyComposition,
  readNamedLabels,
  tissuesFromModel,
  type BodyCompositionReport,
  type NamedLabelFile,
  type TissuesFromModel,
} from '../../services/measure/bodyComposition.js';
import { resolveModel } from '../../services/inference/registry.js';
import type { DeviceChoice } from '../../services/inference/providers.js';
import { loadVolumeFromPath } from '../../services/series/volumes.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg bodycomp CT_PATH (--tissues T.nii.gz|MASK_FOLDER | --model ID) --vertebrae V.nii.gz [--tissue-names F.csv] [--vertebra-names F.csv]\n' +
  '       [--slice L3|K|z=MM] [--series UID] [--modality CT] [--device auto|cpu|gpu] [--threads N] [--allow-modality-mismatch] [--json]\n' +
  '  --tissues: a multi-label map (names from --tissue-names) or a folder of binary masks, one NAME.nii.gz per tissue.\n' +
  '  --model: make the tissue masks with a segmentation model (e.g. bodycomp-ct) on CT_PATH; its id, version and sha256 are reported.\n' +
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
        model: { type: 'string' },
        device: { type: 'string' },
        threads: { type: 'string' },
        'allow-modality-mismatch': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one CT_PATH\nusage: ${usage}`);
    if (!values.vertebrae) throw new UsageError(`--vertebrae is required\nusage: ${usage}`);
    if ((values.tissues === undefined) === (values.model === undefined)) throw new UsageError(`give either --tissues or --model\nusage: ${usage}`);
    const device = (values.device ?? 'auto') as DeviceChoice;
    if (!['auto', 'cpu', 'gpu'].includes(device)) throw new UsageError(`--device must be auto, cpu or gpu\nusage: ${usage}`);
    const threads = values.threads === undefined ? undefined : Number(values.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads must be a whole number >= 1\nusage: ${usage}`);
    const slice = parseSlice(values.slice);
    // a missing model or tissue file is found before the CT is read and the model runs
    const model = values.model !== undefined ? await resolveModel(values.model) : null;
    let tissues: NamedLabelFile | null = values.tissues !== undefined ? await readNamedLabels(values.tissues, values['tissue-names']) : null;
    const vertebrae = await readNamedLabels(values.vertebrae, values['vertebra-names']);
    if (vertebrae.names.size === 0)
      throw new AppError(
        'INVALID_INPUT',
        `${values.vertebrae}: no label names; give --vertebra-names (e.g. labels_total.csv) so the levels can be found by name.`,
      );
    const { volume, geometry, modality, bodyPart } = await loadVolumeFromPath(positionals[0], values.series);
    const stated = values.modality?.trim().toUpperCase();
    if (stated !== undefined && modality !== '' && stated !== modality.toUpperCase())
      throw new UsageError(`--modality ${stated}: the DICOM series says ${modality}\nusage: ${usage}`);
    let tissuesFrom: TissuesFromModel | null = null;
    if (model) {
      const made = await tissuesFromModel(volume, geometry, { modality: modality || stated || '', bodyPart, directionLps: volume.directionLps }, model, {
        device,
        threads,
        allowModalityMismatch: values['allow-modality-mismatch'] === true,
      });
      tissues = made.tissues;
      tissuesFrom = made.provenance;
      if (tissuesFrom.modalityCheck.mismatchAllowed) io.stderr(`warning: ${tissuesFrom.modalityCheck.mismatch} (run anyway: --allow-modality-mismatch)\n`);
    }
    const result = measureBodyComposition(volume, geometry, intensityUnitFor(modality || stated || ''), tissues!, vertebrae, slice);
    if (values.json) io.stdout(JSON.stringify({ ...result, tissuesFrom }) + '\n');
    else {
      if (tissuesFrom)
        io.stdout(
          `tissues from model ${tissuesFrom.model.id} ${tissuesFrom.model.version} (sha256 ${tissuesFrom.model.sha256.slice(0, 12)}…) on ${tissuesFrom.executionProvider}\n`,
        );
      printHuman(result, io.stdout);
    }
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
