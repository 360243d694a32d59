// A real single-node Slurm for tests (Debian slurm-wlm + munge, run as root): munged, slurmctld and slurmd with all
// their state, sockets, logs and pid files in one temporary folder and ports chosen free, so that it never touches
// /etc or a cluster the machine may already run. stop() ends the three daemons by their pid files.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SLURM_TOOLS = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/squeue', '/usr/bin/sinfo'];

export interface SlurmCluster {
  dir: string;
  /** Environment for the client commands (sbatch, squeue, sinfo): SLURM_CONF points at this cluster. */
  env: NodeJS.ProcessEnv;
  /** The last lines of the daemons' logs, for failure messages. */
  logs(): string;
  /** Ends the daemons (SIGTERM by pid file), waits for them to go, and removes the folder. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startSlurm(): Promise<SlurmCluster> {
  const missing = SLURM_TOOLS.filter((t) => !existsSync(t));
  if (missing.length > 0) throw new Error(`Slurm is not installed (missing ${missing.join(', ')}): apt-get install slurm-wlm munge`);
  if (process.getuid?.() !== 0) throw new Error('the Slurm test starts slurmd and munged, which needs root');
  // short: the munge socket path must fit in a sockaddr_un (108 bytes)
  const dir = mkdtempSync(path.join('/tmp', 'slurm-'));
  for (const d of ['state', 'spool']) mkdirSync(path.join(dir, d));
  writeFileSync(path.join(dir, 'munge.key'), randomBytes(128), { mode: 0o600 });
  const host = os.hostname().split('.')[0];
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const memMb = Math.max(1000, Math.floor(os.totalmem() / 1e6 / 2));
  const conf = [
    'ClusterName=medsegtest',
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'AuthType=auth/munge',
    `AuthInfo=socket=${dir}/munge.socket`,
    'CredType=cred/munge',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core_Memory',
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`,
    `SlurmdLogFile=${dir}/slurmd.log`,
    'ReturnToService=2',
    'MpiDefault=none',
    'JobCompType=jobcomp/none',
    'AccountingStorageType=accounting_storage/none',
    'SchedulerType=sched/builtin',
    // schedule at once after each submission and job end (the test waits on a dependent job)
    'SchedulerParameters=sched_min_interval=0',
    'DefMemPerCPU=300',
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${os.cpus().length} RealMemory=${memMb}`,
    `PartitionName=debug Nodes=${host} Default=YES State=UP MaxTime=INFINITE`,
    '',
  ].join('\n');
  const confFile = path.join(dir, 'slurm.conf');
  writeFileSync(confFile, conf);
  const env = { ...process.env, SLURM_CONF: confFile };
  const cluster: SlurmCluster = {
    dir,
    env,
    logs: () =>
      ['munged.log', 'slurmctld.log', 'slurmd.log']
        .map((f) => {
          const p = path.join(dir, f);
          return existsSync(p) ? `--- ${f}\n${readFileSync(p, 'utf8').split('\n').slice(-15).join('\n')}` : `--- ${f}: none`;
        })
        .join('\n'),
    stop: async () => {
      const pids: number[] = [];
      for (const p of ['slurmd.pid', 'slurmctld.pid', 'munged.pid']) {
        const f = path.join(dir, p);
        if (!existsSync(f)) continue;
        const pid = Number(readFileSync(f, 'utf8').trim());
        try {
          if (pid > 0) {
            process.kill(pid, 'SIGTERM');
            pids.push(pid);
          }
        } catch {
          // already gone
        }
      }
      const alive = (pid: number): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const t0 = Date.now();
      while (pids.some(alive) && Date.now() - t0 < 10_000) await sleep(100);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // as root munged wants --force (it is meant to run as the munge user)
    execFileSync(
      '/usr/sbin/munged',
      [
        '--force',
        `--socket=${dir}/munge.socket`,
        `--key-file=${dir}/munge.key`,
        `--pid-file=${dir}/munged.pid`,
        `--log-file=${dir}/munged.log`,
        `--seed-file=${dir}/munged.seed`,
      ],
      { stdio: 'pipe' },
    );
    execFileSync('/usr/sbin/slurmctld', ['-f', confFile], { stdio: 'pipe', env });
    execFileSync('/usr/sbin/slurmd', ['-f', confFile], { stdio: 'pipe', env });
    // generous: the node registers within seconds on an idle machine
    const t0 = Date.now();
    let state = '';
    while (Date.now() - t0 < 60_000) {
      try {
        state = execFileSync('/usr/bin/sinfo', ['-h', '-o', '%T'], { env, stdio: 'pipe' }).toString().trim();
      } catch {
        state = '';
      }
      if (state === 'idle') return cluster;
      await sleep(500);
    }
    throw new Error(`the Slurm node did not become idle within 60 s (sinfo says '${state}')`);
  } catch (err) {
    const logs = cluster.logs();
    await cluster.stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
}
