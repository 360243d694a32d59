// Local mode of `medseg batch`: N worker processes, one per shard of the plan (the same shard command a Slurm array
// task runs), progress with ETA on stderr, and a clean stop on Ctrl+C (each worker finishes or drops its current
// case; the next run resumes from the case files).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import type { BatchRow } from '../../../shared/domain/batch/results.js';
import { caseFile, runShard } from './cases.js';
import type { BatchPlan } from './plan.js';

export interface ProgressIo {
  stderr: (s: string) => void;
  stderrIsTty?: boolean;
}

/** Memory one worker needs for a series of `voxels` (volume, model input, label map, measurement buffers) plus its runtime. */
export function workerMemoryBytes(voxels: number, model: boolean): number {
  return (model ? 400e6 : 120e6) + voxels * (model ? 24 : 12);
}

/** The workers that fit: at most `requested`, at most one per CPU, and as many as 80 % of the free memory holds. */
export function affordableWorkers(
  requested: number,
  plan: BatchPlan,
  freeBytes = os.freemem(),
  cpus = os.availableParallelism(),
): { workers: number; reason: string } {
  const biggest = plan.cases.reduce((m, c) => Math.max(m, c.voxels), 0);
  const per = workerMemoryBytes(biggest, plan.method.kind === 'model');
  const byMemory = Math.max(1, Math.floor((0.8 * freeBytes) / per));
  const workers = Math.max(1, Math.min(requested, byMemory, cpus));
  let reason = '';
  if (workers < requested) {
    reason =
      workers === byMemory
        ? `${workers} worker(s), not ${requested}: each needs about ${Math.round(per / 1e6)} MB and ${Math.round(freeBytes / 1e6)} MB are free`
        : `${workers} worker(s), not ${requested}: ${cpus} CPU(s)`;
  }
  return { workers, reason };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** "done/total, failed, ETA" lines: redrawn in place on a terminal, one line per change (at most every 2 s) otherwise. */
export function progressReporter(io: ProgressIo, total: number, alreadyDone: number): { update(done: number, failed: number): void; finish(): void } {
  const started = performance.now();
  let lastText = '';
  let lastAt = 0;
  return {
    update(done, failed) {
      const now = performance.now();
      const ranNow = done - alreadyDone;
      const eta = ranNow > 0 ? ((now - started) / 1000 / ranNow) * (total - done) : Infinity;
      const text = `batch: ${done}/${total} cases${failed > 0 ? `, ${failed} failed` : ''}${done < total ? `, ETA ${formatSeconds(eta)}` : ''}`;
      if (text === lastText) return;
      if (io.stderrIsTty) io.stderr(`\r${text}  `);
      else if (done === total || now - lastAt > 2000) io.stderr(text + '\n');
      else return;
      lastText = text;
      lastAt = now;
    },
    finish() {
      if (io.stderrIsTty && lastText) io.stderr('\n');
    },
  };
}

export interface LocalRunOptions {
  workers: number;
  /** The CLI script the worker processes run (bin/medseg.js). */
  cliPath: string;
  threads?: number;
  io: ProgressIo;
}

export interface LocalRunResult {
  stopped: boolean;
  /** Worker processes that exited with an error (their cases stay missing; a rerun retries them). */
  workerFailures: string[];
}

/**
 * Runs the plan's cases that are not done. One worker runs in this process; more run as child processes, one per
 * shard (the plan must have been made with shards = workers).
 */
export async function runLocal(outDir: string, plan: BatchPlan, opts: LocalRunOptions): Promise<LocalRunResult> {
  const isDone = (key: string): boolean => existsSync(caseFile(outDir, key));
  const initiallyDone = plan.cases.filter((c) => isDone(c.caseKey)).length;
  const progress = progressReporter(opts.io, plan.cases.length, initiallyDone);
  let failed = 0;
  const abort = new AbortController();
  const onSignal = (): void => {
    if (!abort.signal.aborted) opts.io.stderr('\nbatch: stopping after the cases in progress (Ctrl+C again to stop at once); rerun to resume\n');
    else process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (opts.workers <= 1 || plan.shards <= 1) {
      let done = initiallyDone;
      const countFailed = (rows: BatchRow[]): void => {
        done++;
        if (rows.some((r) => r.error)) failed++;
        progress.update(done, failed);
      };
      await runShard(outDir, plan, { shard: null, threads: opts.threads, signal: abort.signal, onCaseDone: (_c, rows) => countFailed(rows) });
      progress.finish();
      return { stopped: abort.signal.aborted, workerFailures: [] };
    }
    const children: { shard: number; child: ChildProcess; stderr: string }[] = [];
    for (let shard = 0; shard < plan.shards; shard++) {
      const child = spawn(
        process.execPath,
        [opts.cliPath, 'batch', '--run-shard', String(shard), '--out', outDir, ...(opts.threads ? ['--threads', String(opts.threads)] : [])],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const entry = { shard, child, stderr: '' };
      child.stderr?.on('data', (d: Buffer) => (entry.stderr = (entry.stderr + d.toString()).slice(-2000)));
      children.push(entry);
    }
    abort.signal.addEventListener('abort', () => {
      for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM');
    });
    const exits = children.map((c) => new Promise<number | null>((resolve) => c.child.on('close', (code) => resolve(code))));
    const timer = setInterval(() => progress.update(plan.cases.filter((c) => isDone(c.caseKey)).length, failed), 500);
    let codes: (number | null)[];
    try {
      codes = await Promise.all(exits);
    } finally {
      clearInterval(timer);
    }
    progress.update(plan.cases.filter((c) => isDone(c.caseKey)).length, failed);
    progress.finish();
    const workerFailures = children
      .map((c, n) => ({ c, code: codes[n] }))
      .filter(({ code }) => code !== 0 && !(abort.signal.aborted && code === 130))
      .map(({ c, code }) => `worker for shard ${c.shard} exited with ${code ?? 'a signal'}: ${c.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    return { stopped: abort.signal.aborted, workerFailures };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
