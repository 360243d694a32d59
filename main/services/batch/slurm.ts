// Slurm mode of `medseg batch`: an sbatch job array (one task per shard of the plan, each writing its own case files)
// and a merge job that depends on it (afterany) and writes the table. Uses the cluster's own commands (sbatch,
// squeue); the submitted job ids are kept in DIR/slurm/jobs.json for --status, --wait and --resubmit.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../../shared/errors.js';
import { writeFileAtomicSync } from './files.js';
import type { BatchPlan } from './plan.js';

const run = promisify(execFile);

export interface SlurmOptions {
  partition?: string;
  cpusPerTask?: number;
  mem?: string;
  gres?: string;
  time?: string;
  /** The CLI script the jobs run (bin/medseg.js) and the node binary that runs it. */
  cliPath: string;
  nodePath: string;
}

export interface SlurmSubmission {
  arrayJobId: string;
  mergeJobId: string;
  shards: number[];
  arrayScript: string;
  mergeScript: string;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Shard numbers as an sbatch --array list: 0-3 for a full run, 1,3 for a resubmission. */
export function arraySpec(shards: number[]): string {
  const sorted = [...shards].sort((a, b) => a - b);
  if (sorted.length > 1 && sorted.every((s, n) => s === sorted[0] + n)) return `${sorted[0]}-${sorted[sorted.length - 1]}`;
  return sorted.join(',');
}

/** The two job scripts, as text: what --dry-run prints and what is submitted. */
export function slurmScripts(outDir: string, shards: number[], opts: SlurmOptions): { array: string; merge: string } {
  const out = path.resolve(outDir);
  const logDir = path.join(out, 'slurm');
  const resources = [
    opts.partition ? `#SBATCH --partition=${opts.partition}` : '',
    opts.cpusPerTask ? `#SBATCH --cpus-per-task=${opts.cpusPerTask}` : '',
    opts.mem ? `#SBATCH --mem=${opts.mem}` : '',
    opts.gres ? `#SBATCH --gres=${opts.gres}` : '',
    opts.time ? `#SBATCH --time=${opts.time}` : '',
  ].filter((l) => l !== '');
  const medseg = `${quote(opts.nodePath)} ${quote(opts.cliPath)} batch`;
  const array = [
    '#!/bin/bash',
    '# medseg batch: one array task per shard of plan.json; each task writes only its own cases/<key>.json files.',
    '#SBATCH --job-name=medseg-batch',
    `#SBATCH --array=${arraySpec(shards)}`,
    `#SBATCH --output=${logDir}/shard-%a.log`,
    ...resources,
    `exec ${medseg} --run-shard "$SLURM_ARRAY_TASK_ID" --out ${quote(out)}${opts.cpusPerTask ? ` --threads ${opts.cpusPerTask}` : ''}`,
    '',
  ].join('\n');
  const merge = [
    '#!/bin/bash',
    '# medseg batch: merges the case files of every shard into results.csv / results.jsonl (runs after the array, afterany).',
    '#SBATCH --job-name=medseg-merge',
    `#SBATCH --output=${logDir}/merge.log`,
    ...(opts.partition ? [`#SBATCH --partition=${opts.partition}`] : []),
    `exec ${medseg} --merge --out ${quote(out)}`,
    '',
  ].join('\n');
  return { array, merge };
}

async function sbatch(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('sbatch', ['--parsable', ...args]);
    // --parsable prints "jobid" or "jobid;cluster"
    return stdout.trim().split(';')[0];
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new AppError('NOT_FOUND', 'sbatch was not found: --slurm needs the Slurm client commands on PATH.');
    throw new AppError('IO_ERROR', `sbatch failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

export function jobsFile(outDir: string): string {
  return path.join(outDir, 'slurm', 'jobs.json');
}

export function readSubmissions(outDir: string): SlurmSubmission[] {
  const f = jobsFile(outDir);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as SlurmSubmission[]) : [];
}

/** Writes the scripts, submits the array and its merge job; returns the job ids (also appended to DIR/slurm/jobs.json). */
export async function submitSlurm(outDir: string, shards: number[], opts: SlurmOptions): Promise<SlurmSubmission> {
  const dir = path.join(outDir, 'slurm');
  mkdirSync(dir, { recursive: true });
  const { array, merge } = slurmScripts(outDir, shards, opts);
  const n = readSubmissions(outDir).length;
  const arrayScript = path.join(dir, `array-${n}.sbatch`);
  const mergeScript = path.join(dir, `merge-${n}.sbatch`);
  writeFileAtomicSync(arrayScript, array);
  writeFileAtomicSync(mergeScript, merge);
  const arrayJobId = await sbatch([arrayScript]);
  const mergeJobId = await sbatch([`--dependency=afterany:${arrayJobId}`, mergeScript]);
  const submission: SlurmSubmission = { arrayJobId, mergeJobId, shards, arrayScript, mergeScript };
  writeFileAtomicSync(jobsFile(outDir), JSON.stringify([...readSubmissions(outDir), submission], null, 1) + '\n');
  return submission;
}

/** The job's state in squeue ('' once it has left the queue). */
export async function queueState(jobId: string): Promise<string> {
  try {
    const { stdout } = await run('squeue', ['-h', '-j', jobId, '-o', '%T']);
    return stdout.trim().split('\n')[0] ?? '';
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new AppError('NOT_FOUND', 'squeue was not found: --wait and --status need the Slurm client commands on PATH.');
    // squeue exits non-zero for a job id it no longer knows: the job has finished
    if (/Invalid job id/i.test(e.stderr ?? '')) return '';
    throw new AppError('IO_ERROR', `squeue failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Blocks until the job has left the queue (polling squeue), or the time limit passes. */
export async function waitForJob(jobId: string, opts: { pollMs?: number; timeoutMs?: number; onPoll?: (state: string) => void } = {}): Promise<void> {
  const until = Date.now() + (opts.timeoutMs ?? 7 * 24 * 3600e3);
  for (;;) {
    const state = await queueState(jobId);
    opts.onPoll?.(state);
    if (state === '') return;
    if (Date.now() > until) throw new AppError('IO_ERROR', `Slurm job ${jobId} is still ${state} after the wait limit.`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 2000));
  }
}

/** Per shard: its cases, how many are done, and the state of the last job that ran it. */
export function shardTable(plan: BatchPlan, isDone: (caseKey: string) => boolean): { shard: number; cases: number; done: number }[] {
  const out = Array.from({ length: plan.shards }, (_, shard) => ({ shard, cases: 0, done: 0 }));
  for (const c of plan.cases) {
    out[c.shard].cases++;
    if (isDone(c.caseKey)) out[c.shard].done++;
  }
  return out;
}
