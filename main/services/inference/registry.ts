// Finds and validates model folders (models/<id>/{model.onnx, manifest.json, MODEL_CARD.md}): the bundled ones,
// the user's <userData>/models, and any folder given explicitly. Validation errors say what to fix.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AppError } from '../../../shared/errors.js';
import { userDataDir } from '../../db/appPaths.js';
import { parseManifest, type ModelManifest } from './manifest.js';
import { readOnnxInfo, type OnnxInfo } from './onnxInfo.js';

/** onnxruntime-node 1.30 runs the default domain up to opset 23; older than 7 it refuses. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 23;
const FLOAT32 = 1;

export interface ModelFolder {
  dir: string;
  manifest: ModelManifest;
  onnxPath: string;
  /** sha256 of model.onnx (of the fold networks, concatenated, for nnU-Net models), hex: stored with every result so a segmentation names the exact weights. */
  sha256: string;
  opset: number;
  sizeBytes: number;
  warnings: string[];
}

/** The repository's models/ folder, found from this module's location (works from TS sources and from dist/). */
export function bundledModelsDir(): string {
  let dir = import.meta.dirname;
  for (let n = 0; n < 8; n++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return join(dir, 'models');
    dir = dirname(dir);
  }
  throw new AppError('NOT_FOUND', 'Cannot find the bundled models/ folder next to the application.');
}

export function userModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MEDSEG_MODELS_DIR ?? join(userDataDir(env), 'models');
}

export function validateOnnxAgainstManifest(info: OnnxInfo, m: ModelManifest, where: string): number {
  const fail = (msg: string): never => {
    throw new AppError('MODEL_INVALID', `${where}: ${msg}`);
  };
  const opset = info.opsets.get('') ?? 0;
  if (opset < MIN_OPSET || opset > MAX_OPSET) fail(`model.onnx uses opset ${opset}; this engine runs opsets ${MIN_OPSET}..${MAX_OPSET}.`);
  const foreign = [...info.opsets.keys()].filter((d) => d !== '' && d !== 'ai.onnx.ml' && d !== 'com.microsoft');
  if (foreign.length) fail(`model.onnx needs custom operator domains ${foreign.join(', ')}, which onnxruntime-node does not have.`);
  if (info.inputs.length !== 1)
    fail(`model.onnx has ${info.inputs.length} inputs (${info.inputs.map((i) => i.name).join(', ')}); the engine feeds exactly one image tensor.`);
  const input = info.inputs.find((i) => i.name === m.input.name);
  if (!input) fail(`manifest input.name "${m.input.name}" is not an input of model.onnx (it has: ${info.inputs.map((i) => i.name).join(', ')}).`);
  const output = info.outputs.find((o) => o.name === m.output.name);
  if (!output) fail(`manifest output.name "${m.output.name}" is not an output of model.onnx (it has: ${info.outputs.map((o) => o.name).join(', ')}).`);
  const rank = m.dimensions + 2;
  for (const [role, t] of [
    ['input', input!],
    ['output', output!],
  ] as const) {
    if (t.elemType !== FLOAT32) fail(`${role} "${t.name}" has ONNX element type ${t.elemType}; float32 (1) is required.`);
    if (t.shape.length !== rank) fail(`${role} "${t.name}" has rank ${t.shape.length}; a ${m.dimensions}D model needs rank ${rank} (${m.input.layout}).`);
    // spatial axes fixed in the graph must equal the manifest's patch (for nnU-Net, in the network's axis order)
    const patch = m.nnunet ? m.nnunet.patchSize : m.patchSize;
    t.shape.slice(2).forEach((d, axis) => {
      if (typeof d === 'number' && d !== patch[axis]) {
        fail(`${role} "${t.name}" has fixed spatial size ${t.shape.slice(2).join('x')} but manifest patchSize is ${patch.join('x')}.`);
      }
    });
  }
  const inCh = input!.shape[1];
  if (typeof inCh === 'number' && inCh !== m.input.channels) fail(`input "${input!.name}" has ${inCh} channels; manifest says ${m.input.channels}.`);
  const outCh = output!.shape[1];
  const classes = m.labels.length + 1;
  if (typeof outCh === 'number' && outCh !== classes) {
    fail(`output "${output!.name}" has ${outCh} channels but the label table has ${m.labels.length} labels + background = ${classes}.`);
  }
  return opset;
}

export async function loadModelFolder(dirIn: string): Promise<ModelFolder> {
  const dir = resolve(dirIn);
  const where = `model folder ${dir}`;
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(dir)) throw new AppError('NOT_FOUND', `${where} does not exist.`);
  if (!existsSync(manifestPath)) throw new AppError('MODEL_INVALID', `${where}: manifest.json is missing.`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (err) {
    throw new AppError('MODEL_INVALID', `${where}: manifest.json is not valid JSON (${(err as Error).message}).`);
  }
  const manifest = parseManifest(json, where);
  // a 3D nnU-Net model has one network per fold (nnunet.folds); the first one stands for the model in listings
  const networks = manifest.nnunet ? manifest.nnunet.folds : ['model.onnx'];
  for (const f of networks) if (!existsSync(join(dir, f))) throw new AppError('MODEL_INVALID', `${where}: ${f} is missing.`);
  const onnxPath = join(dir, networks[0]);
  const hash = createHash('sha256');
  let opset = 0;
  for (const f of networks) {
    const b = await readFile(join(dir, f));
    opset = validateOnnxAgainstManifest(readOnnxInfo(b), manifest, `${where} (${f})`);
    hash.update(b);
  }
  const bytes = await readFile(onnxPath);
  const warnings: string[] = [];
  if (!existsSync(join(dir, 'MODEL_CARD.md'))) warnings.push('MODEL_CARD.md is missing: nobody can tell what this model was trained on.');
  return {
    dir,
    manifest,
    onnxPath,
    // of model.onnx, or of all fold networks in manifest order
    sha256: networks.length === 1 ? createHash('sha256').update(bytes).digest('hex') : hash.digest('hex'),
    opset,
    sizeBytes: (await stat(onnxPath)).size,
    warnings,
  };
}

export interface ModelListing {
  models: ModelFolder[];
  /** Folders that look like models but failed validation, with the reason. */
  invalid: { dir: string; code: string; message: string }[];
}

/** Every model folder directly under the given roots (bundled first); a later id does not shadow an earlier one. */
export async function listModels(roots: string[] = [bundledModelsDir(), userModelsDir()]): Promise<ModelListing> {
  const out: ModelListing = { models: [], invalid: [] };
  const seen = new Set<string>();
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      // dot folders are not models (an import in progress writes .import-<id>-<random>)
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const dir = join(root, entry.name);
      if (!existsSync(join(dir, 'manifest.json')) && !existsSync(join(dir, 'model.onnx'))) continue; // e.g. train/
      try {
        const model = await loadModelFolder(dir);
        if (seen.has(model.manifest.id)) {
          out.invalid.push({ dir, code: 'MODEL_INVALID', message: `duplicate model id ${model.manifest.id}; the first one found is used` });
          continue;
        }
        seen.add(model.manifest.id);
        out.models.push(model);
      } catch (err) {
        const e = err instanceof AppError ? err : new AppError('INTERNAL', String(err));
        out.invalid.push({ dir, code: e.code, message: e.message });
      }
    }
  }
  return out;
}

/** A model by id from the usual roots, or a folder path. */
export async function resolveModel(idOrDir: string, roots?: string[]): Promise<ModelFolder> {
  if (idOrDir.includes('/') || idOrDir.includes('\\')) return loadModelFolder(idOrDir);
  const listing = await listModels(roots);
  const hit = listing.models.find((m) => m.manifest.id === idOrDir);
  if (hit) return hit;
  const broken = listing.invalid.find((i) => i.dir.endsWith(idOrDir));
  if (broken) throw new AppError('MODEL_INVALID', broken.message);
  throw new AppError('NOT_FOUND', `No model "${idOrDir}"; available: ${listing.models.map((m) => m.manifest.id).join(', ') || 'none'}.`);
}
