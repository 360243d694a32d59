// Plans a cohort run: finds the series of the inputs (folder trees, zips, DICOMDIRs or a manifest CSV), keys each by
// the content hash of its files plus the method and parameters, and assigns it to a shard. The plan is a file
// (DIR/plan.json) so that local workers and Slurm array tasks read the same list of cases.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareCases, methodLabel, parseCsv, type BatchCaseInfo, type BatchMethod } from '../../../shared/domain/batch/results.js';
import { MEASURE_COMPUTATION_VERSION } from '../../../shared/domain/measure/measureLabels.js';
import { AppError, type ErrorData } from '../../../shared/errors.js';
import { readInstances } from '../catalog/importer.js';
import { expandInputs, readSourceBytes, sourceLabel, type SourceRef } from '../catalog/sources.js';
import { assembleSeries, type AssembledStack } from '../series/assemble.js';
import { writeFileAtomic } from './files.js';

export const PLAN_FILE = 'plan.json';

export interface PlannedCase extends BatchCaseInfo {
  stackKey: string;
  sources: SourceRef[];
  /** A label map given with the input (manifest column `labels`), for --labels-from. */
  labelsPath: string | null;
  /** Set when the case failed before any work (unreadable input, no series): the shard records it as is. */
  planError: ErrorData | null;
  shard: number;
  /** Files of the case's folder that could not be read (e.g. a cut-off file): reported with its rows. */
  unreadable: string[];
  /** Voxels of the series grid: what a worker needs memory for. */
  voxels: number;
}

export interface BatchPlan {
  formatVersion: 1;
  method: BatchMethod;
  methodLabel: string;
  /** How the shards find the model: its id, or the absolute folder it was given as (not part of the case keys). */
  modelRef: string | null;
  connectivity: 6 | 26;
  softwareVersion: string;
  computationVersion: string;
  shards: number;
  cases: PlannedCase[];
}

export interface PlanRequest {
  inputs: string[];
  method: BatchMethod;
  modelRef?: string | null;
  /** A label-map NIfTI per case is taken from the manifest's `labels` column (method 'labels'). */
  connectivity?: 6 | 26;
  shards: number;
  outDir: string;
}

/** The installed medseg version (package.json above this file, in the sources and in dist/). */
export function softwareVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    return `medseg ${(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version}`;
  } catch {
    return 'medseg unknown';
  }
}

/**
 * A pseudonym per patient, keyed by a secret kept in the output folder (DIR/.pseudonym-key, made once): stable across
 * reruns into the same folder, not reversible without that file.
 */
async function pseudonymizer(outDir: string): Promise<(patientId: string) => string> {
  const keyFile = path.join(outDir, '.pseudonym-key');
  let key: string;
  if (existsSync(keyFile)) key = (await readFile(keyFile, 'utf8')).trim();
  else {
    key = randomBytes(24).toString('hex');
    await writeFileAtomic(keyFile, key + '\n');
  }
  return (id) => 'P-' + createHash('sha256').update(key).update('\0').update(id).digest('hex').slice(0, 12);
}

interface ManifestRow {
  path: string;
  series: string;
  subject: string;
  timepoint: string;
  labels: string;
}

function readManifest(file: string, text: string): ManifestRow[] {
  const records = parseCsv(text);
  if (records.length === 0) throw new AppError('INVALID_INPUT', `${file}: the manifest is empty.`);
  const header = records[0].map((h) => h.trim().toLowerCase());
  const col = (...names: string[]): number => header.findIndex((h) => names.includes(h));
  const iPath = col('path', 'folder', 'file');
  if (iPath < 0) throw new AppError('INVALID_INPUT', `${file}: the manifest needs a "path" column (one row per study or series).`);
  const iSeries = col('seriesinstanceuid', 'series');
  const iSubject = col('subject', 'patient', 'patientid');
  const iTime = col('timepoint', 'time', 'visit');
  const iLabels = col('labels', 'labelmap');
  const base = path.dirname(path.resolve(file));
  const at = (r: string[], i: number): string => (i >= 0 ? (r[i] ?? '').trim() : '');
  return records.slice(1).map((r) => ({
    path: path.resolve(base, at(r, iPath)),
    series: at(r, iSeries),
    subject: at(r, iSubject),
    timepoint: at(r, iTime),
    labels: at(r, iLabels) ? path.resolve(base, at(r, iLabels)) : '',
  }));
}

interface FoundStack {
  stack: AssembledStack;
  source: string;
  subject: string;
  timepoint: string;
  labels: string;
  unreadable: string[];
}

/** Reads one input (folder, file, zip, DICOMDIR) into its stacks; unreadable files are kept per folder. */
async function stacksOf(input: string): Promise<{ stacks: AssembledStack[]; unreadable: { source: string; error: ErrorData }[]; listError: ErrorData | null }> {
  const expanded = await expandInputs([input]);
  const unreadable: { source: string; error: ErrorData }[] = [];
  const instances = await readInstances(expanded.sources, {
    onError: (s, err) => unreadable.push({ source: sourceLabel(s), error: { code: err.code, message: err.message } }),
  });
  const listError = expanded.errors[0] ? { code: expanded.errors[0].code, message: expanded.errors[0].message } : null;
  return { stacks: assembleSeries(instances), unreadable, listError };
}

/** The deepest folder that holds all of `dirs`. */
function commonFolder(dirs: string[]): string {
  let common = dirs[0] ?? '';
  for (const d of dirs.slice(1)) {
    while (common !== path.dirname(common) && d !== common && !d.startsWith(common + path.sep)) common = path.dirname(common);
  }
  return common;
}

function stackSources(stack: AssembledStack): SourceRef[] {
  const seen = new Map<string, SourceRef>();
  for (const f of stack.frames) {
    const ref: SourceRef = f.instance.archiveMember ? { path: f.instance.path, archiveMember: f.instance.archiveMember } : { path: f.instance.path };
    seen.set(sourceLabel(ref), ref);
  }
  return [...seen.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

/** sha256 over the method, parameters, computation version and every input byte of the case, in a fixed order. */
async function caseKeyOf(
  plan: Pick<BatchPlan, 'method' | 'connectivity' | 'computationVersion'>,
  stackKey: string,
  sources: SourceRef[],
  labels: string,
): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify({ method: plan.method, connectivity: plan.connectivity, computation: plan.computationVersion, stackKey }));
  for (const s of sources) {
    h.update('\0file\0');
    h.update(
      createHash('sha256')
        .update(await readSourceBytes(s))
        .digest(),
    );
  }
  if (labels) {
    h.update('\0labels\0');
    h.update(
      existsSync(labels)
        ? createHash('sha256')
            .update(await readFile(labels))
            .digest()
        : Buffer.from('missing:' + labels),
    );
  }
  return h.digest('hex').slice(0, 32);
}

export async function planBatch(req: PlanRequest): Promise<BatchPlan> {
  const base = {
    method: req.method,
    connectivity: req.connectivity ?? 6,
    computationVersion: MEASURE_COMPUTATION_VERSION,
  } as const;
  const pseudonym = await pseudonymizer(req.outDir);
  const found: FoundStack[] = [];
  const failed: PlannedCase[] = [];
  const failCase = async (source: string, subject: string, timepoint: string, error: ErrorData): Promise<void> => {
    const caseKey = createHash('sha256')
      .update(JSON.stringify({ ...base, source, error: error.code }))
      .digest('hex')
      .slice(0, 32);
    failed.push({
      caseKey,
      patientId: subject,
      pseudonym: subject ? pseudonym(subject) : '',
      subject,
      timepoint,
      studyDate: '',
      seriesInstanceUid: '',
      source,
      stackKey: '',
      sources: [],
      labelsPath: null,
      planError: error,
      shard: 0,
      unreadable: [],
      voxels: 0,
    });
  };
  const addInput = async (input: string, row: ManifestRow | null): Promise<void> => {
    const { stacks, unreadable, listError } = await stacksOf(input);
    const wanted = row?.series ? stacks.filter((s) => s.seriesInstanceUid === row.series) : stacks;
    if (wanted.length === 0) {
      const error = listError ??
        unreadable[0]?.error ?? {
          code: 'NOT_FOUND' as const,
          message: row?.series ? `Series ${row.series} is not in ${input}.` : `No DICOM image series found in ${input}.`,
        };
      await failCase(input, row?.subject ?? '', row?.timepoint ?? '', error);
      return;
    }
    for (const stack of wanted) {
      const dirs = new Set(stack.frames.map((f) => path.dirname(f.instance.path)));
      found.push({
        stack,
        // a manifest row names its case; in a folder tree the case is where its files are
        source: row ? input : commonFolder([...dirs]),
        subject: row?.subject ?? '',
        timepoint: row?.timepoint ?? '',
        labels: row?.labels ?? '',
        // a file that could not be read in one of the case's folders is most likely one of its slices
        unreadable: unreadable.filter((u) => dirs.has(path.dirname(u.source.split('!')[0]))).map((u) => `${u.source}: ${u.error.code}`),
      });
    }
  };
  for (const input of req.inputs) {
    if (/\.csv$/i.test(input)) {
      let text: string;
      try {
        text = await readFile(input, 'utf8');
      } catch (err) {
        throw new AppError('NOT_FOUND', `${input}: the manifest cannot be read (${(err as Error).message}).`);
      }
      for (const row of readManifest(input, text)) await addInput(row.path, row);
    } else await addInput(path.resolve(input), null);
  }
  if (req.method.kind === 'labels') {
    for (const f of found) {
      if (!f.labels) throw new AppError('INVALID_INPUT', `--labels-from needs a manifest CSV with a "labels" column; ${f.source} has none.`);
    }
  }
  const cases: PlannedCase[] = [...failed];
  for (const f of found) {
    const first = f.stack.frames[0].instance;
    const sources = stackSources(f.stack);
    const patientId = first.patientId;
    cases.push({
      caseKey: await caseKeyOf(base, f.stack.stackKey, sources, f.labels),
      patientId,
      pseudonym: pseudonym(patientId),
      subject: f.subject || patientId,
      timepoint: f.timepoint,
      studyDate: first.studyDate ?? '',
      seriesInstanceUid: f.stack.seriesInstanceUid,
      source: f.source,
      stackKey: f.stack.stackKey,
      sources,
      labelsPath: f.labels || null,
      planError: null,
      shard: 0,
      unreadable: f.unreadable,
      voxels: f.stack.dims[0] * f.stack.dims[1] * f.stack.dims[2],
    });
  }
  // one case per key: the same series given twice is done once
  const unique = [...new Map(cases.map((c) => [c.caseKey, c])).values()].sort(compareCases);
  const shards = Math.max(1, Math.min(req.shards, unique.length));
  unique.forEach((c, n) => (c.shard = n % shards));
  return {
    formatVersion: 1,
    ...base,
    methodLabel: methodLabel(req.method),
    modelRef: req.modelRef ?? null,
    softwareVersion: softwareVersion(),
    shards,
    cases: unique,
  };
}

export async function writePlan(outDir: string, plan: BatchPlan): Promise<void> {
  await writeFileAtomic(path.join(outDir, PLAN_FILE), JSON.stringify(plan, null, 1) + '\n');
}

export async function readPlan(outDir: string): Promise<BatchPlan> {
  const file = path.join(outDir, PLAN_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new AppError('NOT_FOUND', `${file} does not exist: plan the run first (medseg batch INPUT... --out ${outDir}).`);
  }
  const plan = JSON.parse(text) as BatchPlan;
  if (plan.formatVersion !== 1) throw new AppError('INVALID_INPUT', `${file}: unknown plan format ${String(plan.formatVersion)}.`);
  return plan;
}
