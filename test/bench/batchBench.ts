// Benchmark: `medseg batch` throughput on the bundled sample CT (copies with their own series UIDs, so each is a case),
// cases per minute with the abdomen model and with a threshold, 1 and 2 local workers; and the overhead of a Slurm
// job-array task on a single-node Slurm started here (wall time × CPUs minus the cases' own seconds, per task).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_DIR } from '../helpers/paths.js';
import { startSlurm } from '../helpers/slurmCluster.js';

const CLI = path.join(REPO_DIR, 'bin/medseg.js');
const SAMPLE = path.join(REPO_DIR, 'samples/example_ct_dicom');
const CASES = Number(process.env.BATCH_BENCH_CASES ?? 4);

/** CASES copies of the sample series, each with a new Series Instance UID (dcmtk dcmodify). */
function cohortOfSample(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-batch-'));
  for (let n = 0; n < CASES; n++) {
    const d = path.join(dir, `case${n}`);
    cpSync(SAMPLE, d, { recursive: true });
    const files = readdirSync(d).map((f) => path.join(d, f));
    execFileSync('dcmodify', ['-nb', '-ma', `(0020,000e)=1.2.826.0.1.3680043.10.1001.${n + 1}`, ...files], { stdio: 'pipe' });
  }
  return dir;
}

function batch(args: string[], env?: NodeJS.ProcessEnv): { seconds: number; caseSeconds: number; cases: number } {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-batch-out-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'batch', ...args, '--out', out], { encoding: 'utf8', env: env ?? process.env });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`medseg batch ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { caseKey: string; seconds: number });
  const perCase = new Map(rows.map((x) => [x.caseKey, x.seconds]));
  rmSync(out, { recursive: true, force: true });
  return { seconds, caseSeconds: [...perCase.values()].reduce((a, b) => a + b, 0), cases: perCase.size };
}

export async function runBatchBench(): Promise<void> {
  const cohort = cohortOfSample();
  try {
    console.log(`batch bench: ${CASES} copies of the sample CT (20 × 512², J2K), ${os.cpus().length} CPUs; figures under whatever else runs here`);
    for (const method of [
      ['--model', 'abdomen-ct'],
      ['--threshold', '150:1000'],
    ]) {
      for (const workers of [1, 2]) {
        const r = batch([cohort, ...method, '--workers', String(workers)]);
        console.log(
          `  ${method.join(' ')}, ${workers} worker(s): ${r.cases} cases in ${r.seconds.toFixed(1)} s = ${((60 * r.cases) / r.seconds).toFixed(1)} cases/min ` +
            `(mean ${(r.caseSeconds / r.cases).toFixed(2)} s of work per case)`,
        );
      }
    }
    const cluster = await startSlurm();
    try {
      const env = { ...process.env, SLURM_CONF: cluster.env.SLURM_CONF };
      const r = batch([cohort, '--threshold', '150:1000', '--slurm', '--shards', String(CASES), '--wait'], env);
      const cpus = os.cpus().length;
      const overhead = (r.seconds * Math.min(cpus, CASES) - r.caseSeconds) / CASES;
      console.log(
        `  slurm (${CASES} array tasks + merge job, threshold): ${r.seconds.toFixed(1)} s wall, ${r.caseSeconds.toFixed(1)} s in cases; ` +
          `overhead ≈ ${overhead.toFixed(1)} CPU-s per task (scheduling, process start, merge)`,
      );
    } finally {
      await cluster.stop();
    }
  } finally {
    rmSync(cohort, { recursive: true, force: true });
  }
}
