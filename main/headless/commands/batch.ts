// `medseg batch INPUT... (--model ID | --threshold LO:HI | --labels-from) --out DIR [--workers N] [--slurm ...] [--json]`:
// the same segmentation and measurement on every series of a cohort, one resumable table with provenance, run here in
// worker processes or on Slurm as a job array plus a merge job.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BatchMethod } from '../../../shared/domain/batch/results.js';
import { AppError } from '../../../shared/errors.js';
import { readCaseRecord, runShard } from '../../services/batch/cases.js';
import { affordableWorkers, runLocal } from '../../services/batch/local.js';
import { mergeResults, previousSummary, SUMMARY_FILE, type BatchSummary } from '../../services/batch/merge.js';
import { planBatch, readPlan, writePlan, PLAN_FILE } from '../../services/batch/plan.js';
import { queueState, readSubmissions, shardTable, slurmScripts, submitSlurm, waitForJob, type SlurmOptions } from '../../services/batch/slurm.js';
import { resolveModel } from '../../services/inference/registry.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_FAILED, EXIT_OK, type CliCommand, type CliIo } from './types.js';

const usage =
  'medseg batch INPUT... (--model ID | --threshold LO:HI | --labels-from) --out DIR [--workers N] [--threads N] [--connectivity 6|26] [--json]\n' +
  '  INPUT: folders, zips, DICOMDIRs, or a manifest CSV (columns path[,seriesInstanceUid][,subject][,timepoint][,labels])\n' +
  '  --labels-from: measure the label map (NIfTI) named in the manifest\'s "labels" column instead of segmenting\n' +
  '  Slurm: --slurm [--shards N] [--partition P] [--cpus-per-task C] [--mem M] [--gres G] [--time T] [--dry-run] [--wait]\n' +
  '         medseg batch --status --out DIR     medseg batch --resubmit --out DIR [--wait] [resources]\n' +
  '  Writes DIR/results.csv and DIR/results.jsonl; reruns skip the cases already done (DIR/cases/).';

const EXIT_STOPPED = 130;

/** bin/medseg.js of this installation: what worker processes and Slurm jobs run. */
function cliScript(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'bin', 'medseg.js')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const cli = path.join(dir, 'bin', 'medseg.js');
  if (!existsSync(path.join(dir, 'dist', 'main', 'headless', 'cli.js'))) {
    throw new AppError('NOT_FOUND', `The compiled CLI (${path.join(dir, 'dist')}) is missing: worker processes and Slurm jobs need npm run build.`);
  }
  return cli;
}

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`${name} must be a whole number >= 1\nusage: ${usage}`);
  return n;
}

function parseThreshold(text: string): { loValue: number; hiValue: number } {
  const parts = text.split(':');
  const lo = Number(parts[0]);
  const hi = Number(parts[1]);
  if (parts.length !== 2 || parts.some((p) => p.trim() === '') || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new UsageError(`--threshold: expected LO:HI with LO <= HI, got '${text}'\nusage: ${usage}`);
  }
  return { loValue: lo, hiValue: hi };
}

function printSummary(io: CliIo, s: BatchSummary, outDir: string): void {
  io.stderr(
    `batch: ${s.done}/${s.cases} cases done (${s.failedCases} with an error), ${s.rows} rows in ${path.join(outDir, 'results.csv')}; method ${s.method}\n`,
  );
  if (s.missing.length > 0) io.stderr(`batch: ${s.missing.length} case(s) not done (shards ${s.incompleteShards.join(', ')}): rerun to resume\n`);
  if (s.replacedMethod) io.stderr(`batch: note: this folder's previous table was made with ${s.replacedMethod}; it now holds ${s.method} only\n`);
}

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        model: { type: 'string' },
        threshold: { type: 'string' },
        'labels-from': { type: 'boolean' },
        out: { type: 'string', short: 'o' },
        workers: { type: 'string' },
        threads: { type: 'string' },
        connectivity: { type: 'string' },
        json: { type: 'boolean' },
        slurm: { type: 'boolean' },
        shards: { type: 'string' },
        partition: { type: 'string' },
        'cpus-per-task': { type: 'string' },
        mem: { type: 'string' },
        gres: { type: 'string' },
        time: { type: 'string' },
        'dry-run': { type: 'boolean' },
        wait: { type: 'boolean' },
        status: { type: 'boolean' },
        resubmit: { type: 'boolean' },
        // what worker processes and Slurm jobs run
        'run-shard': { type: 'string' },
        merge: { type: 'boolean' },
      },
      usage,
    );
    if (!values.out) throw new UsageError(`--out DIR is required\nusage: ${usage}`);
    const outDir = path.resolve(values.out);
    const threads = positiveInt(values.threads, '--threads');
    const slurmOptions = (): SlurmOptions => ({
      partition: values.partition,
      cpusPerTask: positiveInt(values['cpus-per-task'], '--cpus-per-task'),
      mem: values.mem,
      gres: values.gres,
      time: values.time,
      cliPath: cliScript(),
      nodePath: process.execPath,
    });

    if (values['run-shard'] !== undefined) {
      const shard = Number(values['run-shard']);
      if (!(Number.isInteger(shard) && shard >= 0)) throw new UsageError(`--run-shard must be a shard number\nusage: ${usage}`);
      const plan = await readPlan(outDir);
      if (shard >= plan.shards) throw new UsageError(`--run-shard ${shard}: the plan has ${plan.shards} shard(s)`);
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const r = await runShard(outDir, plan, { shard, threads, signal: abort.signal });
        io.stderr(`batch shard ${shard}: ${r.ran} case(s) run, ${r.skipped} already done\n`);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      return abort.signal.aborted ? EXIT_STOPPED : EXIT_OK;
    }
    if (values.merge) {
      const summary = mergeResults(outDir, await readPlan(outDir));
      if (values.json) io.stdout(JSON.stringify(summary) + '\n');
      printSummary(io, summary, outDir);
      return summary.missing.length > 0 ? EXIT_FAILED : EXIT_OK;
    }
    if (values.status) {
      const plan = await readPlan(outDir);
      const shards = shardTable(plan, (k) => readCaseRecord(outDir, k) !== null);
      const jobs = await Promise.all(
        readSubmissions(outDir).map(async (s) => ({ ...s, arrayState: await queueState(s.arrayJobId), mergeState: await queueState(s.mergeJobId) })),
      );
      if (values.json) io.stdout(JSON.stringify({ method: plan.methodLabel, shards, jobs }) + '\n');
      else {
        for (const s of shards) io.stdout(`shard ${s.shard}: ${s.done}/${s.cases} cases done\n`);
        for (const j of jobs) io.stdout(`array job ${j.arrayJobId} ${j.arrayState || 'finished'}, merge job ${j.mergeJobId} ${j.mergeState || 'finished'}\n`);
      }
      return EXIT_OK;
    }
    if (values.resubmit) {
      const plan = await readPlan(outDir);
      const failed = shardTable(plan, (k) => readCaseRecord(outDir, k) !== null)
        .filter((s) => s.done < s.cases)
        .map((s) => s.shard);
      if (failed.length === 0) {
        io.stderr('batch: every shard is complete; nothing to resubmit\n');
        return EXIT_OK;
      }
      return submitAndReport(outDir, failed, slurmOptions(), values.wait === true, values.json === true, io);
    }

    // a new run (or a rerun): plan, then run locally or on Slurm
    if (positionals.length === 0) throw new UsageError(`give at least one INPUT\nusage: ${usage}`);
    const modes = [values.model, values.threshold, values['labels-from'] ? true : undefined].filter((x) => x !== undefined);
    if (modes.length !== 1) throw new UsageError(`give exactly one of --model, --threshold, --labels-from\nusage: ${usage}`);
    const connectivity = values.connectivity === undefined ? 6 : Number(values.connectivity);
    if (connectivity !== 6 && connectivity !== 26) throw new UsageError(`--connectivity must be 6 or 26\nusage: ${usage}`);
    let method: BatchMethod;
    let modelRef: string | null = null;
    if (values.model !== undefined) {
      // a folder is passed on as an absolute path (workers and Slurm jobs may start elsewhere), an id as it is
      modelRef = values.model.includes('/') || values.model.includes('\\') ? path.resolve(values.model) : values.model;
      const model = await resolveModel(values.model);
      method = { kind: 'model', modelId: model.manifest.id, modelVersion: model.manifest.version, modelSha256: model.sha256 };
    } else if (values.threshold !== undefined) method = { kind: 'threshold', ...parseThreshold(values.threshold) };
    else method = { kind: 'labels' };
    const requestedWorkers = positiveInt(values.workers, '--workers') ?? 1;
    mkdirSync(outDir, { recursive: true });
    const previous = existsSync(path.join(outDir, PLAN_FILE)) ? await readPlan(outDir).catch(() => null) : null;
    const draft = await planBatch({ inputs: positionals, method, modelRef, connectivity, shards: 1, outDir });
    if (draft.cases.length === 0) throw new AppError('NOT_FOUND', 'No series found in the inputs.');
    let shards: number;
    if (values.slurm) shards = positiveInt(values.shards, '--shards') ?? Math.min(draft.cases.length, 64);
    else {
      const fit = affordableWorkers(requestedWorkers, draft);
      if (fit.reason) io.stderr(`batch: ${fit.reason}\n`);
      shards = fit.workers;
    }
    const plan = { ...draft, shards: Math.max(1, Math.min(shards, draft.cases.length)) };
    plan.cases.forEach((c, n) => (c.shard = n % plan.shards));
    if (previous && previous.methodLabel !== plan.methodLabel) {
      io.stderr(`batch: ${outDir} held results of ${previous.methodLabel}; the table will hold ${plan.methodLabel} only (old case files stay in cases/)\n`);
    }
    const todo = plan.cases.filter((c) => readCaseRecord(outDir, c.caseKey) === null).length;
    io.stderr(`batch: ${plan.cases.length} case(s), ${plan.cases.length - todo} already done, ${todo} to run; method ${plan.methodLabel}\n`);

    if (values.slurm) {
      const opts = slurmOptions();
      const all = Array.from({ length: plan.shards }, (_, n) => n);
      if (values['dry-run']) {
        const s = slurmScripts(outDir, all, opts);
        if (values.json) io.stdout(JSON.stringify({ arrayScript: s.array, mergeScript: s.merge, shards: plan.shards, cases: plan.cases.length }) + '\n');
        else io.stdout(`# --- job array (sbatch) ---\n${s.array}\n# --- merge job (sbatch --dependency=afterany:<array job id>) ---\n${s.merge}`);
        return EXIT_OK;
      }
      await writePlan(outDir, plan);
      return submitAndReport(outDir, all, opts, values.wait === true, values.json === true, io);
    }
    if (values['dry-run']) throw new UsageError(`--dry-run goes with --slurm\nusage: ${usage}`);
    await writePlan(outDir, plan);
    // the CPUs shared among the workers (ONNX Runtime threads per worker) unless --threads says otherwise
    const perWorkerThreads = threads ?? Math.max(1, Math.floor(os.availableParallelism() / plan.shards));
    const result = await runLocal(outDir, plan, { workers: plan.shards, threads: perWorkerThreads, cliPath: plan.shards > 1 ? cliScript() : '', io });
    const summary = mergeResults(outDir, plan);
    if (values.json)
      io.stdout(JSON.stringify({ ...summary, out: outDir, workers: plan.shards, stopped: result.stopped, workerFailures: result.workerFailures }) + '\n');
    printSummary(io, summary, outDir);
    for (const f of result.workerFailures) io.stderr(`batch: ${f}\n`);
    if (result.stopped) return EXIT_STOPPED;
    return summary.missing.length > 0 || result.workerFailures.length > 0 ? EXIT_FAILED : EXIT_OK;
  },
};

async function submitAndReport(outDir: string, shards: number[], opts: SlurmOptions, wait: boolean, json: boolean, io: CliIo): Promise<number> {
  const submittedAtMs = Date.now();
  const sub = await submitSlurm(outDir, shards, opts);
  io.stderr(`batch: submitted array job ${sub.arrayJobId} (shards ${shards.join(',')}) and merge job ${sub.mergeJobId}\n`);
  if (!wait) {
    if (json) io.stdout(JSON.stringify({ arrayJobId: sub.arrayJobId, mergeJobId: sub.mergeJobId, shards }) + '\n');
    return EXIT_OK;
  }
  await waitForJob(sub.mergeJobId);
  // the merge job's own summary: it must have been written after this submission
  const summaryFile = path.join(outDir, SUMMARY_FILE);
  const summary = existsSync(summaryFile) && statSync(summaryFile).mtimeMs >= submittedAtMs - 2000 ? previousSummary(outDir) : null;
  if (!summary)
    throw new AppError('IO_ERROR', `Merge job ${sub.mergeJobId} ended without writing ${summaryFile}: see ${path.join(outDir, 'slurm', 'merge.log')}.`);
  if (json) io.stdout(JSON.stringify({ arrayJobId: sub.arrayJobId, mergeJobId: sub.mergeJobId, shards, ...summary }) + '\n');
  printSummary(io, summary, outDir);
  return summary.missing.length > 0 ? EXIT_FAILED : EXIT_OK;
}
