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
export const SUPPORTED_NORMALIZATION = ['CTNormalization', 'ZScoreNormalization'] as const;
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
  /** Resampling the plans name for data and probabilities, with their keyword arguments. */
  resampling: { data: string; dataKwargs: Record<string, unknown>; probabilities: string; probabilitiesKwargs: Record<string, unknown> };
  /** Divisor of every spatial size the network accepts: product of its pooling strides per axis. */
  sizeDivisor: number[];
  labels: { value: number; name: string; kind: LabelKind; colorRgb: [number, number, number] }[];
  folds: NnunetFold[];
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
  for (let c: string | undefined = name; c !== undefined; ) {
    if (seen.includes(c)) invalid(`plans.json: configuration inheritance loops (${[...seen, c].join(' -> ')}).`);
    seen.push(c);
    const conf = configurations[c];
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
    refuse('dataset.json has "regions_class_order": the model was trained on regions (overlapping sigmoid outputs), which medseg cannot turn into one label map.');
  }
  const out: NnunetModelDescription['labels'] = [];
  for (const [name, raw] of Object.entries(labels)) {
    if (name === 'ignore') continue;
    let value = raw;
    if (Array.isArray(raw)) {
      if (raw.length !== 1) refuse(`dataset.json label "${name}" is a region ${JSON.stringify(raw)}: region-based training is not supported.`);
      value = raw[0];
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) invalid(`dataset.json label "${name}" has value ${JSON.stringify(raw)}, not a whole number.`);
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
    const wanted = only.map((f) => (f.startsWith('fold_') ? f : `fold_${f}`));
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
    invalid(`cannot tell the configuration: ${dir} is not named trainer__plans__configuration and its network.onnx files do not record it (export them with scripts/export-nnunet-onnx.py).`);
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

  if (/cascade/i.test(configuration)) refuse(`configuration ${configuration} is a cascade stage: it needs the low-resolution stage's output as input, which medseg does not run.`);
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
  if (patchSize.length !== 3 || spacingMm.length !== 3) invalid(`configuration ${configuration} has patch_size ${patchSize.length}D and spacing ${spacingMm.length}D; 3 values each expected.`);
  const transposeForward = numberArray(plans.transpose_forward, 'plans.json transpose_forward');
  const transposeBackward = numberArray(plans.transpose_backward, 'plans.json transpose_backward');
  const isPermutation = (p: number[]): boolean => p.length === 3 && [0, 1, 2].every((a) => p.includes(a));
  if (!isPermutation(transposeForward) || !isPermutation(transposeBackward) || transposeForward.some((a, i) => transposeBackward[a] !== i)) {
    invalid(`plans.json transpose_forward ${JSON.stringify(transposeForward)} / transpose_backward ${JSON.stringify(transposeBackward)} are not inverse permutations of 3 axes.`);
  }

  const schemes = conf.normalization_schemes;
  if (!Array.isArray(schemes) || typeof schemes[0] !== 'string') invalid(`configuration ${configuration} has no normalization_schemes.`);
  const scheme = schemes[0] as string;
  if (!(SUPPORTED_NORMALIZATION as readonly string[]).includes(scheme)) {
    refuse(`intensity normalisation ${scheme} is not supported (medseg does ${SUPPORTED_NORMALIZATION.join(', ')}): the network would see other values than in training.`);
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
      if (typeof v !== 'number' || !Number.isFinite(v)) invalid(`plans.json foreground_intensity_properties_per_channel["0"].${k} is missing: CT normalisation needs it.`);
      return v;
    };
    ctIntensity = { mean: num('mean'), sd: num('std'), percentile005: num('percentile_00_5'), percentile995: num('percentile_99_5') };
    if (!(ctIntensity.sd > 0) || !(ctIntensity.percentile995 > ctIntensity.percentile005)) invalid('plans.json CT intensity properties are degenerate (std <= 0 or empty percentile range).');
  }

  const channelModality = modalityOfChannelName(channelNames[0]);
  const stated = opts.modality?.trim().toUpperCase();
  if (stated !== undefined && !['CT', 'MR', 'PT', 'US', 'OT'].includes(stated)) throw new AppError('INVALID_INPUT', `--modality ${stated}: use CT, MR, PT, US or OT.`);
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
    const output = f.info.outputs.find((o) => o.name === 'logits') ?? (f.info.outputs.length === 1 ? f.info.outputs[0] : undefined);
    if (!output) invalid(`${where} has no output named "logits".`);
    if (input.name !== 'input') invalid(`${where}'s input is named "${input.name}"; the export script names it "input".`);
    if (input.shape.length !== 5 || output.shape.length !== 5) invalid(`${where} is not a 3D network (input rank ${input.shape.length}, output rank ${output.shape.length}; 5 expected).`);
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

  const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);
  const kw = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
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
    resampling: {
      data: str(conf.resampling_fn_data, 'resample_data_or_seg_to_shape'),
      dataKwargs: kw(conf.resampling_fn_data_kwargs),
      probabilities: str(conf.resampling_fn_probabilities, 'resample_data_or_seg_to_shape'),
      probabilitiesKwargs: kw(conf.resampling_fn_probabilities_kwargs),
    },
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
