// `medseg batch --slurm` on a real single-node Slurm started by the test (slurmctld + slurmd + munged on 127.0.0.1):
// the job array plus merge job gives the local-mode table row for row; a shard that dies makes --wait exit non-zero,
// --status names it and --resubmit runs only that shard. Fails (never skips) where Slurm or the build is missing.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchPlan } from '../../../main/services/batch/plan.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { comparable, makeCohort, readTable } from '../../helpers/cohort.js';
import { REPO_DIR } from '../../helpers/paths.js';
import { startSlurm, type SlurmCluster } from '../../helpers/slurmCluster.js';

const THRESHOLD = '170:2000';
let cluster: SlurmCluster | undefined;
let cohortDir: string;
let localOut: string;
const tmp = (what: string): string => mkdtempSync(path.join(tmpdir(), `medseg-slurm-${what}-`));

beforeAll(async () => {
  expect(existsSync(path.join(REPO_DIR, 'dist/main/headless/cli.js')), 'Slurm jobs run the build: run npm run build first').toBe(true);
  cluster = await startSlurm();
  process.env.SLURM_CONF = cluster.env.SLURM_CONF;
  cohortDir = makeCohort(3).dir;
  localOut = tmp('local');
  const r = await runCliCaptured(['batch', path.join(cohortDir, 'manifest.csv'), '--threshold', THRESHOLD, '--out', localOut]);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await cluster?.stop();
  delete process.env.SLURM_CONF;
});

describe('medseg batch --slurm (real single-node Slurm)', () => {
  it('dry run prints the array and merge scripts with the resources asked for', async () => {
    const out = tmp('dry');
    const r = await runCliCaptured([
      'batch',
      path.join(cohortDir, 'manifest.csv'),
      '--threshold',
      THRESHOLD,
      '--out',
      out,
      '--slurm',
      '--shards',
      '3',
      '--partition',
      'debug',
      '--cpus-per-task',
      '1',
      '--mem',
      '500M',
      '--gres',
      'gpu:1',
      '--dry-run',
    ]);
    expect(r.code, r.stderr).toBe(0);
    for (const line of ['#SBATCH --array=0-2', '#SBATCH --partition=debug', '#SBATCH --cpus-per-task=1', '#SBATCH --mem=500M', '#SBATCH --gres=gpu:1'])
      expect(r.stdout).toContain(line);
    expect(r.stdout).toMatch(/--run-shard "\$SLURM_ARRAY_TASK_ID"/);
    expect(r.stdout).toMatch(/batch --merge --out/);
    expect(existsSync(path.join(out, 'slurm', 'jobs.json'))).toBe(false);
  });

  it('the merged table of a job array equals the local-mode table row for row', async () => {
    const out = tmp('array');
    const r = await runCliCaptured([
      'batch',
      path.join(cohortDir, 'manifest.csv'),
      '--threshold',
      THRESHOLD,
      '--out',
      out,
      '--slurm',
      '--shards',
      '2',
      '--wait',
      '--json',
    ]);
    expect(r.code, `${r.stderr}\n${cluster?.logs()}`).toBe(0);
    const reply = JSON.parse(r.stdout) as { arrayJobId: string; mergeJobId: string; shards: number[]; missing: unknown[] };
    expect(reply.arrayJobId).toMatch(/^\d+$/);
    expect(reply.mergeJobId).toMatch(/^\d+$/);
    expect(reply.shards).toEqual([0, 1]);
    expect(reply.missing).toEqual([]);
    // each task wrote its own log and only its own shard's cases
    for (const s of [0, 1])
      expect(readFileSync(path.join(out, 'slurm', `shard-${s}.log`), 'utf8')).toMatch(new RegExp(`batch shard ${s}: \\d+ case\\(s\\) run`));
    expect(readFileSync(path.join(out, 'slurm', 'merge.log'), 'utf8')).toMatch(/cases done/);
    const slurmRows = readTable(out).rows;
    expect(slurmRows.length).toBeGreaterThan(10);
    expect(slurmRows.map(comparable)).toEqual(readTable(localOut).rows.map(comparable));
  });

  it('a shard that dies: --wait exits non-zero, --status names it, --resubmit reruns only that shard', async () => {
    const out = tmp('fail');
    const manifest = path.join(cohortDir, 'manifest.csv');
    // block one case file with a folder, so the task of its shard crashes when it writes it (keys do not depend on
    // the output folder or the shard count: the local run's plan names the same cases)
    const lplan = JSON.parse(readFileSync(path.join(localOut, 'plan.json'), 'utf8')) as BatchPlan;
    const victim = lplan.cases.filter((c) => c.planError === null)[1];
    expect(victim).toBeDefined();
    mkdirSync(path.join(out, 'cases', `${victim.caseKey}.json`), { recursive: true });

    const r = await runCliCaptured(['batch', manifest, '--threshold', THRESHOLD, '--out', out, '--slurm', '--shards', '2', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const reply = JSON.parse(r.stdout) as { missing: { caseKey: string; shard: number }[]; incompleteShards: number[] };
    const plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8')) as BatchPlan;
    const shardOfVictim = plan.cases.find((c) => c.caseKey === victim.caseKey)!.shard;
    expect(reply.missing.map((m) => m.caseKey)).toContain(victim.caseKey);
    expect(reply.incompleteShards).toEqual([shardOfVictim]);

    const status = await runCliCaptured(['batch', '--status', '--out', out, '--json']);
    const st = JSON.parse(status.stdout) as { shards: { shard: number; cases: number; done: number }[]; jobs: { arrayJobId: string }[] };
    expect(st.shards.filter((s) => s.done < s.cases).map((s) => s.shard)).toEqual([shardOfVictim]);
    expect(st.jobs.length).toBe(1);

    rmSync(path.join(out, 'cases', `${victim.caseKey}.json`), { recursive: true });
    const again = await runCliCaptured(['batch', '--resubmit', '--out', out, '--wait', '--json']);
    expect(again.code, `${again.stderr}\n${cluster?.logs()}`).toBe(0);
    expect((JSON.parse(again.stdout) as { shards: number[] }).shards).toEqual([shardOfVictim]);
    expect(readTable(out).rows.map(comparable)).toEqual(readTable(localOut).rows.map(comparable));
  });
});
