// `medseg models import`: turns an nnU-Net v2 results folder (dataset.json, plans.json, fold_*/checkpoint_final.pth
// with fold_*/network.onnx beside each, as scripts/export-nnunet-onnx.py writes them) into a medseg model folder.
// Everything the engine would have to guess is refused instead: a wrong guess here is a wrong mask later.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { AppError } from '../../../shared/errors.js';
import { defaultLabelColor, labelKindOf, type LabelKind } from '../../../shared/domain/labelTable.js';
import { readOnnxInfo, type OnnxInfo } from './onnxInfo.js';
import { listModels, loadModelFolder, bundledModelsDir, userModelsDir, type ModelFolder } from './registry.js';

/** Keys the export script writes into each network.onnx (ModelProto.metadata_props). */
export const EXPORT_METADATA = {
  trainer: 'nnunet.trainer_name',
  plans: 'nnunet.plans_name',
  configuration: 'nnunet.configuration',
  fold: 'nnunet.fold',
  mirrorAxes: 'nnunet.inference_allowed_mirroring_axes',
  checkpointSha256: 'nnunet.checkpoint_sha256',
} as const;

/** nnU-Net's intensity schemes (plans configurations[c].normalization_schemes) this importer can express. */
export const SUPPORTED_NORMALIZATION = ['CTNormalization', 'ZScoreNormalization', 'NoNormalization', 'RescaleTo01Normalization'] as const;
export type NnunetNormalization = (typeof SUPPORTED_NORMALIZATION)[number];

/** A fold of the results folder with its exported network. */
export interface NnunetFold {
  name: string;
  checkpointPath: string;
  onnxPath: string;
  onnxSha256: string;
  checkpointSha256: string;
  info: OnnxInfo;
}

/** What the importer read from the results folder, checked: the input of the manifest and of the model card. */
export interface NnunetModelDescription {
  sourceDir: string;
  datasetName: string;
  trainer: string;
  plansName: string;
  configuration: string;
  dimensions: 2 | 3;
  modality: 'CT' | 'MR' | 'PT' | 'US' | 'OT';
  channelName: string;
  normalization: NnunetNormalization;
  useMaskForNorm: boolean;
  /** CTNormalization's dataset statistics of the foreground (channel 0). */
  ctIntensity: { mean: number; sd: number; percentile005: number; percentile995: number } | null;
  /** In nnU-Net's transposed axis order (plans transpose_forward applied), as plans.json gives them. */
  spacingMm: number[];
  patchSize: number[];
  transposeForward: number[];
  transposeBackward: number[];
  /** Axes (of the network input, transposed order) nnU-Net mirrors at inference; [] when the checkpoint allows none. */
  mirrorAxes: number[] | null;
  /** nnU-Net's resample_data_or_seg_to_shape arguments for the image and for the class probabilities. */
  resamplingData: NnunetResampling;
  resamplingProbabilities: NnunetResampling;
  /** Divisor of every spatial size the network accepts: product of its pooling strides per axis. */
  sizeDivisor: number[];
  labels: { value: number; name: string; kind: LabelKind; colorRgb: [number, number, number] }[];
  folds: NnunetFold[];
}

export interface NnunetResampling {
  order: number;
  orderZ: number;
  forceSeparateZ: boolean | null;
}

const MR_CHANNEL = /^(mri?|t1|t2|t1w|t2w|t1c|t1ce|t1gd|t1km|t1_?post|t2\*?|flair|adc|dwi|pd|pdw|swi|dixon|water|fat|in_?phase|opp_?phase|perfusion|cine)$/i;

/** The DICOM modality of nnU-Net's channel name ("CT", "T2", "MRI", "FLAIR", "PET"...), or null when it says none. */
export function modalityOfChannelName(name: string): NnunetModelDescription['modality'] | null {
  const n = name.trim();
  if (/^ct$/i.test(n)) return 'CT';
  if (MR_CHANNEL.test(n) || /^mr[_ -]/i.test(n)) return 'MR';
  if (/^(pet|pt)$/i.test(n)) return 'PT';
  if (/^(us|ultrasound)$/i.test(n)) return 'US';
  return null;
}

function refuse(message: string): never {
  throw new AppError('MODEL_UNSUPPORTED', message);
}

function invalid(message: string): never {
  throw new AppError('MODEL_INVALID', message);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function numberArray(x: unknown, what: string): number[] {
  if (!Array.isArray(x) || x.some((v) => typeof v !== 'number' || !Number.isFinite(v))) invalid(`${what} must be a list of numbers.`);
  return x as number[];
}

async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  if (!existsSync(path)) invalid(`${what} is missing: ${path}`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    invalid(`${path} is not valid JSON (${(err as Error).message}).`);
  }
  if (!isRecord(json)) invalid(`${path} is not a JSON object.`);
  return json;
}

/** plans.json's configuration with `inherits_from` resolved (a child's keys replace its parent's), as nnU-Net does. */
export function resolveConfiguration(plans: Record<string, unknown>, name: string): Record<string, unknown> {
  const configurations = plans.configurations;
  if (!isRecord(configurations)) invalid('plans.json has no "configurations".');
  const seen: string[] = [];
  const chain: Record<string, unknown>[] = [];
  for (let c: string | undefined = name; c !== undefined;) {
    if (seen.includes(c)) invalid(`plans.json: configuration inheritance loops (${[...seen, c].join(' -> ')}).`);
    seen.push(c);
    const conf: unknown = configurations[c];
    if (!isRecord(conf)) invalid(`plans.json has no configuration "${c}" (it has: ${Object.keys(configurations).join(', ')}).`);
    chain.unshift(conf);
    c = typeof conf.inherits_from === 'string' ? conf.inherits_from : undefined;
  }
  return Object.assign({}, ...chain) as Record<string, unknown>;
}

/** Product of the pooling strides per axis: nnU-Net pads every tile to a multiple of it. */
function poolingDivisor(conf: Record<string, unknown>, dims: number): number[] {
  const arch = isRecord(conf.architecture) && isRecord(conf.architecture.arch_kwargs) ? conf.architecture.arch_kwargs : null;
  const strides = arch?.strides ?? conf.pool_op_kernel_sizes;
  const out = new Array<number>(dims).fill(1);
  if (!Array.isArray(strides)) return out;
  for (const s of strides) {
    const per = typeof s === 'number' ? new Array<number>(dims).fill(s) : Array.isArray(s) ? (s as number[]) : [];
    per.forEach((v, a) => {
      if (a < dims && typeof v === 'number' && v > 0) out[a] *= v;
    });
  }
  return out;
}

/** The labels of dataset.json, refused when region-based or not 1..N; the ignore label is not a network output. */
export function labelsOfDataset(dataset: Record<string, unknown>): NnunetModelDescription['labels'] {
  const labels = dataset.labels;
  if (!isRecord(labels)) invalid('dataset.json has no "labels" object.');
  if (dataset.regions_class_order !== undefined) {
    refuse(
      'dataset.json has "regions_class_order": the model was trained on regions (overlapping sigmoid outputs), which medseg cannot turn into one label map.',
    );
  }
  const out: NnunetModelDescription['labels'] = [];
  for (const [name, raw] of Object.entries(labels)) {
    if (name === 'ignore') continue;
    let value = raw;
    if (Array.isArray(raw)) {
      if (raw.length !== 1) refuse(`dataset.json label "${name}" is a region ${JSON.stringify(raw)}: region-based training is not supported.`);
      value = raw[0];
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      invalid(`dataset.json label "${name}" has value ${JSON.stringify(raw)}, not a whole number.`);
    if (value === 0) continue; // background
    out.push({ value, name, kind: labelKindOf(value, { name }), colorRgb: defaultLabelColor(value) });
  }
  out.sort((a, b) => a.value - b.value);
  if (out.length === 0) invalid('dataset.json names no label besides background.');
  if (out.some((l, i) => l.value !== i + 1)) {
    invalid(`dataset.json labels must be 1..N without gaps (nnU-Net trains them so); found ${out.map((l) => l.value).join(', ')}.`);
  }
  if (out.length > 255) refuse(`dataset.json has ${out.length} labels; medseg models hold at most 255.`);
  return out;
}

/** trainer__plans__configuration, the name nnU-Net gives a results folder, or null. */
export function parseResultsFolderName(dir: string): { trainer: string; plans: string; configuration: string } | null {
  const parts = basename(resolve(dir)).split('__');
  if (parts.length !== 3 || parts.some((p) => p === '')) return null;
  return { trainer: parts[0], plans: parts[1], configuration: parts[2] };
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function readFolds(dir: string, only?: string[]): Promise<NnunetFold[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && /^fold_(\d+|all)$/.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  let chosen = names;
  if (only) {
    const wanted = [...new Set(only.map((f) => (f.startsWith('fold_') ? f : `fold_${f}`)))];
    const missing = wanted.filter((f) => !names.includes(f));
    if (missing.length) invalid(`${dir} has no ${missing.join(', ')} (it has: ${names.join(', ') || 'no fold_N folders'}).`);
    chosen = wanted;
  }
  if (chosen.length === 0) invalid(`${dir} has no fold_N folder: this is not an nnU-Net results folder (trainer__plans__configuration).`);
  const folds: NnunetFold[] = [];
  for (const name of chosen) {
    const checkpointPath = join(dir, name, 'checkpoint_final.pth');
    const onnxPath = join(dir, name, 'network.onnx');
    if (!existsSync(checkpointPath)) invalid(`${name}/checkpoint_final.pth is missing in ${dir} (the training did not finish, or the fold was not copied).`);
    if (!existsSync(onnxPath)) {
      invalid(`${name}/network.onnx is missing in ${dir}: export the checkpoints first (python3 scripts/export-nnunet-onnx.py ${dir}).`);
    }
    const bytes = await readFile(onnxPath);
    folds.push({
      name,
      checkpointPath,
      onnxPath,
      onnxSha256: createHash('sha256').update(bytes).digest('hex'),
      checkpointSha256: await sha256File(checkpointPath),
      info: readOnnxInfo(bytes),
    });
  }
  return folds;
}

export interface DescribeOptions {
  /** Folds to use ('0', 'fold_1', 'all'); default every fold_* folder. */
  folds?: string[];
  /** The DICOM modality, when dataset.json's channel name does not say (e.g. "0": "abdomen"). */
  modality?: string;
}

/** Reads and checks an nnU-Net v2 results folder; throws MODEL_INVALID (broken/missing) or MODEL_UNSUPPORTED. */
export async function describeNnunetResults(dirIn: string, opts: DescribeOptions = {}): Promise<NnunetModelDescription> {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) throw new AppError('NOT_FOUND', `${dir} is not a folder.`);
  const dataset = await readJson(join(dir, 'dataset.json'), 'dataset.json');
  const plans = await readJson(join(dir, 'plans.json'), 'plans.json');
  const folds = await readFolds(dir, opts.folds);

  // which configuration the checkpoints were trained with: the export records it; the folder name says it too
  const fromName = parseResultsFolderName(dir);
  const fromOnnx = folds.map((f) => ({
    fold: f.name,
    trainer: f.info.metadata.get(EXPORT_METADATA.trainer),
    configuration: f.info.metadata.get(EXPORT_METADATA.configuration),
    checkpointSha256: f.info.metadata.get(EXPORT_METADATA.checkpointSha256),
  }));
  const configs = new Set(fromOnnx.map((f) => f.configuration).filter((c): c is string => !!c));
  if (configs.size > 1) invalid(`the folds' networks were exported from different configurations (${[...configs].join(', ')}).`);
  const configuration = [...configs][0] ?? fromName?.configuration;
  if (!configuration) {
    invalid(
      `cannot tell the configuration: ${dir} is not named trainer__plans__configuration and its network.onnx files do not record it (export them with scripts/export-nnunet-onnx.py).`,
    );
  }
  if (fromName && configs.size === 1 && fromName.configuration !== configuration) {
    invalid(`the folder is named for configuration ${fromName.configuration} but its networks were exported from ${configuration}.`);
  }
  for (const f of fromOnnx) {
    const fold = folds.find((x) => x.name === f.fold)!;
    if (f.checkpointSha256 && f.checkpointSha256 !== fold.checkpointSha256) {
      invalid(`${f.fold}/network.onnx was exported from another checkpoint than ${f.fold}/checkpoint_final.pth (sha256 differs): export it again.`);
    }
  }
  const trainer = fromOnnx.find((f) => f.trainer)?.trainer ?? fromName?.trainer ?? 'unknown';
  const plansName = typeof plans.plans_name === 'string' ? plans.plans_name : (fromName?.plans ?? 'unknown');
  const datasetName = typeof plans.dataset_name === 'string' ? plans.dataset_name : typeof dataset.name === 'string' ? dataset.name : basename(dir);

  if (/cascade/i.test(configuration))
    refuse(`configuration ${configuration} is a cascade stage: it needs the low-resolution stage's output as input, which medseg does not run.`);
  const conf = resolveConfiguration(plans, configuration);
  if (conf.previous_stage !== undefined && conf.previous_stage !== null) {
    refuse(`configuration ${configuration} is the second stage of a cascade (previous_stage ${String(conf.previous_stage)}): medseg does not run cascades.`);
  }

  const channels = dataset.channel_names ?? dataset.modality;
  if (!isRecord(channels) || Object.keys(channels).length === 0) invalid('dataset.json has no "channel_names".');
  const channelNames = Object.keys(channels)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => String(channels[k]));
  if (channelNames.length !== 1) {
    refuse(`the model takes ${channelNames.length} input channels (${channelNames.join(', ')}); medseg feeds one series per model.`);
  }
  const labels = labelsOfDataset(dataset);

  const patchSize = numberArray(conf.patch_size, `plans.json configuration ${configuration} patch_size`);
  const spacingMm = numberArray(conf.spacing, `plans.json configuration ${configuration} spacing`);
  if (patchSize.length === 2) refuse(`configuration ${configuration} is 2D: medseg runs nnU-Net's 3D configurations (3d_fullres, 3d_lowres).`);
  if (patchSize.length !== 3 || spacingMm.length !== 3)
    invalid(`configuration ${configuration} has patch_size ${patchSize.length}D and spacing ${spacingMm.length}D; 3 values each expected.`);
  const transposeForward = numberArray(plans.transpose_forward, 'plans.json transpose_forward');
  const transposeBackward = numberArray(plans.transpose_backward, 'plans.json transpose_backward');
  const isPermutation = (p: number[]): boolean => p.length === 3 && [0, 1, 2].every((a) => p.includes(a));
  if (!isPermutation(transposeForward) || !isPermutation(transposeBackward) || transposeForward.some((a, i) => transposeBackward[a] !== i)) {
    invalid(
      `plans.json transpose_forward ${JSON.stringify(transposeForward)} / transpose_backward ${JSON.stringify(transposeBackward)} are not inverse permutations of 3 axes.`,
    );
  }

  const schemes = conf.normalization_schemes;
  if (!Array.isArray(schemes) || typeof schemes[0] !== 'string') invalid(`configuration ${configuration} has no normalization_schemes.`);
  const scheme = schemes[0] as string;
  if (!(SUPPORTED_NORMALIZATION as readonly string[]).includes(scheme)) {
    refuse(
      `intensity normalisation ${scheme} is not supported (medseg does ${SUPPORTED_NORMALIZATION.join(', ')}): the network would see other values than in training.`,
    );
  }
  const normalization = scheme as NnunetNormalization;
  const useMaskForNorm = Array.isArray(conf.use_mask_for_norm) && conf.use_mask_for_norm[0] === true;
  let ctIntensity: NnunetModelDescription['ctIntensity'] = null;
  if (normalization === 'CTNormalization') {
    const props = isRecord(plans.foreground_intensity_properties_per_channel)
      ? plans.foreground_intensity_properties_per_channel
      : isRecord(plans.foreground_intensity_properties_by_modality)
        ? plans.foreground_intensity_properties_by_modality
        : null;
    const p0 = props && isRecord(props['0']) ? props['0'] : null;
    const num = (k: string): number => {
      const v = p0?.[k];
      if (typeof v !== 'number' || !Number.isFinite(v))
        invalid(`plans.json foreground_intensity_properties_per_channel["0"].${k} is missing: CT normalisation needs it.`);
      return v;
    };
    ctIntensity = { mean: num('mean'), sd: num('std'), percentile005: num('percentile_00_5'), percentile995: num('percentile_99_5') };
    if (ctIntensity.sd < 0 || !(ctIntensity.percentile995 >= ctIntensity.percentile005))
      invalid('plans.json CT intensity properties are broken (std < 0 or percentile 99.5 below 0.5).');
  }

  const channelModality = modalityOfChannelName(channelNames[0]);
  const stated = opts.modality?.trim().toUpperCase();
  if (stated !== undefined && !['CT', 'MR', 'PT', 'US', 'OT'].includes(stated))
    throw new AppError('INVALID_INPUT', `--modality ${stated}: use CT, MR, PT, US or OT.`);
  if (stated && channelModality && stated !== channelModality) {
    invalid(`--modality ${stated} contradicts dataset.json's channel name "${channelNames[0]}" (${channelModality}).`);
  }
  const modality = (stated ?? channelModality ?? (normalization === 'CTNormalization' ? 'CT' : null)) as NnunetModelDescription['modality'] | null;
  if (!modality) {
    invalid(`dataset.json's channel name "${channelNames[0]}" does not say the modality: give it with --modality CT|MR|PT|US|OT.`);
  }
  if (normalization === 'CTNormalization' && modality !== 'CT') {
    refuse(`the plans normalise channel "${channelNames[0]}" as CT (Hounsfield units) but the modality is ${modality}.`);
  }

  // every fold's network must take one channel and give background + labels, 5D
  const classes = labels.length + 1;
  for (const f of folds) {
    const where = `${f.name}/network.onnx`;
    if (f.info.inputs.length !== 1) invalid(`${where} has ${f.info.inputs.length} inputs; one image tensor expected.`);
    const input = f.info.inputs[0];
    const output = f.info.outputs.find((o) => o.name === 'logits');
    if (!output)
      invalid(`${where} has no output named "logits" (it has: ${f.info.outputs.map((o) => o.name).join(', ')}); export it with scripts/export-nnunet-onnx.py.`);
    if (input.name !== 'input') invalid(`${where}'s input is named "${input.name}"; the export script names it "input".`);
    if (input.shape.length !== 5 || output.shape.length !== 5)
      invalid(`${where} is not a 3D network (input rank ${input.shape.length}, output rank ${output.shape.length}; 5 expected).`);
    if (typeof input.shape[1] === 'number' && input.shape[1] !== 1) refuse(`${where} takes ${input.shape[1]} input channels; medseg feeds one.`);
    if (typeof output.shape[1] === 'number' && output.shape[1] !== classes) {
      invalid(`${where} gives ${output.shape[1]} output channels but dataset.json has ${labels.length} labels + background = ${classes}.`);
    }
  }

  const mirrorRaw = folds[0].info.metadata.get(EXPORT_METADATA.mirrorAxes);
  let mirrorAxes: number[] | null = null;
  if (mirrorRaw !== undefined) {
    try {
      const parsed: unknown = JSON.parse(mirrorRaw);
      mirrorAxes = parsed === null ? [] : numberArray(parsed, 'mirroring axes');
    } catch {
      invalid(`${folds[0].name}/network.onnx records mirroring axes "${mirrorRaw}", not a JSON list.`);
    }
    if (mirrorAxes!.some((a) => !Number.isInteger(a) || a < 0 || a > 2)) invalid(`mirroring axes ${mirrorRaw} are not axes 0..2.`);
  }

  const resampling = (which: 'data' | 'probabilities', defaultOrder: number): NnunetResampling => {
    const fn = conf[`resampling_fn_${which}`];
    if (fn !== undefined && fn !== 'resample_data_or_seg_to_shape') {
      refuse(`configuration ${configuration} resamples ${which} with ${String(fn)}; medseg reproduces resample_data_or_seg_to_shape only.`);
    }
    const kw = isRecord(conf[`resampling_fn_${which}_kwargs`]) ? (conf[`resampling_fn_${which}_kwargs`] as Record<string, unknown>) : {};
    const int = (v: unknown, d: number): number => {
      if (v === undefined) return d;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 5)
        invalid(`configuration ${configuration} resampling_fn_${which}_kwargs has order ${String(v)}.`);
      return v;
    };
    const force = kw.force_separate_z;
    if (force !== undefined && force !== null && typeof force !== 'boolean')
      invalid(`resampling_fn_${which}_kwargs.force_separate_z must be true, false or null.`);
    return { order: int(kw.order, defaultOrder), orderZ: int(kw.order_z, 0), forceSeparateZ: (force as boolean | null | undefined) ?? null };
  };
  return {
    sourceDir: dir,
    datasetName,
    trainer,
    plansName,
    configuration,
    dimensions: 3,
    modality,
    channelName: channelNames[0],
    normalization,
    useMaskForNorm,
    ctIntensity,
    spacingMm,
    patchSize,
    transposeForward,
    transposeBackward,
    mirrorAxes,
    resamplingData: resampling('data', 3),
    resamplingProbabilities: resampling('probabilities', 1),
    sizeDivisor: poolingDivisor(conf, 3),
    labels,
    folds,
  };
}

/** A model id from the dataset and configuration: "Dataset004_Hippocampus" + 3d_fullres -> "dataset004_hippocampus-3d_fullres". */
export function defaultModelId(d: Pick<NnunetModelDescription, 'datasetName' | 'configuration'>): string {
  const id = `${d.datasetName}-${d.configuration}`
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 100);
  return id || 'nnunet-model';
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The medseg manifest of a described nnU-Net model (schema: manifest.ts, its nnunet block). */
export function nnunetManifest(d: NnunetModelDescription, id: string, foldPaths: string[]): Record<string, unknown> {
  // nnunet vectors are in the transposed array order; the top level restates them in [i, j, k]
  const spacingArr = [0, 0, 0];
  const patchArr = [0, 0, 0];
  d.transposeForward.forEach((arrayAxis, a) => {
    spacingArr[arrayAxis] = d.spacingMm[a];
    patchArr[arrayAxis] = d.patchSize[a];
  });
  const ct = d.ctIntensity;
  const normalization =
    d.normalization === 'CTNormalization' && ct
      ? { scheme: d.normalization, mean: ct.mean, std: ct.sd, percentile00_5: ct.percentile005, percentile99_5: ct.percentile995 }
      : { scheme: d.normalization };
  return {
    id,
    version: d.folds.map((f) => f.onnxSha256.slice(0, 8)).join('+'),
    name: `${d.datasetName} (nnU-Net ${d.configuration})`,
    description: `Imported nnU-Net v2 model: ${d.trainer}__${d.plansName}__${d.configuration}, ${d.folds.length} fold(s) (${d.folds.map((f) => f.name).join(', ')}).`,
    modality: d.modality,
    dimensions: 3,
    spacingMm: [...spacingArr].reverse(),
    patchSize: [...patchArr].reverse(),
    // every patch axis is a multiple of its own pooling divisor, so of their common divisor
    sizeDivisor: d.sizeDivisor.reduce(gcd),
    overlap: 0.5,
    // the engine runs the nnunet block's normalisation; this restates it for readers of the top level
    normalization:
      d.normalization === 'CTNormalization' && ct
        ? { type: 'ct-clip-zscore', clipHu: [ct.percentile005, ct.percentile995], mean: ct.mean, sd: Math.max(ct.sd, 1e-8) }
        : { type: 'volume-zscore' },
    outsideValue: d.modality === 'CT' ? -1024 : 0,
    input: { name: 'input', layout: 'NCDHW', channels: 1 },
    output: { name: 'logits', layout: 'NCDHW', activation: 'logits' },
    labels: d.labels.map((l) => ({ value: l.value, name: l.name, colorRgb: l.colorRgb, kind: l.kind, postprocess: 'none' })),
    intendedUse: 'Research model imported from nnU-Net results; not a medical device. Check its MODEL_CARD.md.',
    nnunet: {
      transposeForward: d.transposeForward,
      transposeBackward: d.transposeBackward,
      spacing: d.spacingMm,
      patchSize: d.patchSize,
      normalization: [normalization],
      useMaskForNorm: [d.useMaskForNorm],
      cropToNonzero: true,
      resamplingData: d.resamplingData,
      resamplingProbabilities: d.resamplingProbabilities,
      anisotropyThreshold: 3,
      tileStepSize: 0.5,
      useMirroring: d.mirrorAxes === null || d.mirrorAxes.length > 0,
      mirrorAxes: d.mirrorAxes ?? [0, 1, 2],
      useGaussian: true,
      folds: foldPaths,
      source: `${d.trainer}__${d.plansName}__${d.configuration}`,
    },
  };
}

/** MODEL_CARD.md stub: what the importer knows for certain, and what the user must fill in. */
export function nnunetModelCard(d: NnunetModelDescription, id: string, importedAt: Date): string {
  const lines = [
    `# ${id}`,
    '',
    `Imported from nnU-Net v2 results with \`medseg models import\` on ${importedAt.toISOString()}.`,
    '',
    '## Provenance',
    '',
    `- Source folder: \`${d.sourceDir}\``,
    `- Dataset: ${d.datasetName}`,
    `- Trainer / plans / configuration: ${d.trainer} / ${d.plansName} / ${d.configuration}`,
    `- Input: one channel, "${d.channelName}" (${d.modality}), normalised with ${d.normalization}${d.useMaskForNorm ? ' inside the non-zero mask' : ''}`,
    `- Network grid spacing ${d.spacingMm.join(' x ')} mm, patch ${d.patchSize.join(' x ')} (nnU-Net's transposed axes, transpose_forward ${JSON.stringify(d.transposeForward)})`,
    `- Mirroring axes at inference: ${d.mirrorAxes === null ? 'not recorded by the export (all three assumed)' : JSON.stringify(d.mirrorAxes)}`,
    `- Folds ensembled (their blended logits averaged, as nnUNetPredictor does): ${d.folds.map((f) => f.name).join(', ')}`,
    '',
    '| fold | network.onnx sha256 | checkpoint_final.pth sha256 |',
    '|---|---|---|',
    ...d.folds.map((f) => `| ${f.name} | \`${f.onnxSha256}\` | \`${f.checkpointSha256}\` |`),
    '',
    '## Labels',
    '',
    ...d.labels.map((l) => `- ${l.value}: ${l.name} (${l.kind})`),
    '',
    '## To fill in',
    '',
    '- Training data (where from, how many cases, which scanners), license of the weights and of the data.',
    "- Held-out results (nnU-Net's cross-validation summary.json per fold).",
    "- Intended use and known limits. medseg does not apply nnU-Net's postprocessing.pkl (largest-component rules).",
    '',
  ];
  return lines.join('\n');
}

export interface ImportOptions extends DescribeOptions {
  /** Model id; default from the dataset and configuration. */
  id?: string;
  /** Where the model folder is written; default the user's models folder. */
  modelsDir?: string;
  /** Folders whose model ids are taken (default: bundled + user models). */
  existingRoots?: string[];
  now?: Date;
}

export interface ImportedModel {
  id: string;
  dir: string;
  model: ModelFolder;
  description: NnunetModelDescription;
}

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Writes <modelsDir>/<id>/ (manifest.json, MODEL_CARD.md, fold_N/network.onnx) into a
 * temporary folder, validates it as any model folder is validated, then renames it into place: a refused or
 * interrupted import leaves nothing behind, and an existing model is never overwritten.
 */
export async function importNnunetModel(sourceDir: string, opts: ImportOptions = {}): Promise<ImportedModel> {
  const d = await describeNnunetResults(sourceDir, opts);
  const id = opts.id ?? defaultModelId(d);
  if (!ID_PATTERN.test(id)) throw new AppError('INVALID_INPUT', `model id "${id}": use lower-case letters, digits, . _ - (starting with a letter or digit).`);
  const modelsDir = resolve(opts.modelsDir ?? userModelsDir());
  const target = join(modelsDir, id);
  if (existsSync(target)) throw new AppError('CONFLICT', `${target} exists already: choose another --id or remove that folder.`);
  const roots = opts.existingRoots ?? [bundledModelsDir(), userModelsDir()];
  // the id must be free everywhere models are looked up, and in the target folder (under any folder name)
  const taken = await listModels([...roots.filter((r) => resolve(r) !== modelsDir), modelsDir]);
  if (taken.models.some((m) => m.manifest.id === id)) throw new AppError('CONFLICT', `a model with id ${id} exists already: choose another --id.`);

  await mkdir(modelsDir, { recursive: true });
  const tmp = join(modelsDir, `.import-${id}-${randomBytes(4).toString('hex')}`);
  try {
    const foldPaths: string[] = [];
    for (const f of d.folds) {
      const rel = `${f.name}/network.onnx`;
      await mkdir(join(tmp, f.name), { recursive: true });
      await copyFile(f.onnxPath, join(tmp, rel));
      if ((await sha256File(join(tmp, rel))) !== f.onnxSha256) throw new AppError('IO_ERROR', `${rel} changed while it was copied.`);
      foldPaths.push(rel);
    }
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(nnunetManifest(d, id, foldPaths), null, 2) + '\n');
    await writeFile(join(tmp, 'MODEL_CARD.md'), nnunetModelCard(d, id, opts.now ?? new Date()));
    await loadModelFolder(tmp); // the schema and the ONNX checks every model folder passes
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { id, dir: target, model: await loadModelFolder(target), description: d };
}
