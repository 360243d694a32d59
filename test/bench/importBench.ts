// Benchmark: medseg import+assemble+decode of real series vs dcm2niix on the same files, same run, as a ratio.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const HERE = import.meta.dirname;
const DATA = resolve(HERE, '../../../../shared/data');
const RUNS = 3;

const DATASETS = [
  { name: 'example_ct_dicom (20× 512², J2K)', dir: join(DATA, 'totalsegmentator_example/example_ct_dicom') },
  { name: 'gantry tilt CT (28× 512², tilt 18.5°)', dir: join(DATA, 'dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing') },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeDcm2niix(dir: string): { seconds: number; maxRssMb?: number } {
  const out = mkdtempSync(join(tmpdir(), 'bench-d2n-'));
  try {
    const gnuTime = existsSync('/usr/bin/time');
    const t0 = performance.now();
    const r = gnuTime
      ? spawnSync('/usr/bin/time', ['-f', '%M', 'dcm2niix', '-z', 'n', '-o', out, '-f', 'out', dir], { encoding: 'utf8' })
      : spawnSync('dcm2niix', ['-z', 'n', '-o', out, '-f', 'out', dir], { encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`dcm2niix failed: ${r.stderr}`);
    const rssKb = gnuTime ? Number(r.stderr.trim().split('\n').pop()) : NaN;
    return { seconds, maxRssMb: Number.isFinite(rssKb) ? rssKb / 1024 : undefined };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function timeMedseg(dir: string): { seconds: number; wallSeconds: number; maxRssMb: number } {
  const t0 = performance.now();
  const stdout = execFileSync(process.execPath, [join(HERE, 'importChild.js'), dir], { encoding: 'utf8' });
  const wallSeconds = (performance.now() - t0) / 1000;
  const r = JSON.parse(stdout) as { seconds: number; maxRssMb: number };
  return { seconds: r.seconds, wallSeconds, maxRssMb: r.maxRssMb };
}

export async function runImportBench(): Promise<void> {
  console.log('\n== import + assemble + decode vs dcm2niix (median of %d runs, whole process wall time) ==', RUNS);
  console.log(['dataset', 'medseg s', 'dcm2niix s', 'ratio', 'medseg peak RSS MB', 'dcm2niix peak RSS MB'].join(' | '));
  for (const ds of DATASETS) {
    const ours = Array.from({ length: RUNS }, () => timeMedseg(ds.dir));
    const ref = Array.from({ length: RUNS }, () => timeDcm2niix(ds.dir));
    const oursS = median(ours.map((o) => o.wallSeconds));
    const refS = median(ref.map((o) => o.seconds));
    const rss = Math.max(...ours.map((o) => o.maxRssMb));
    const refRss = ref[0].maxRssMb;
    console.log([ds.name, oursS.toFixed(3), refS.toFixed(3), `${(oursS / refS).toFixed(2)}×`, rss.toFixed(0), refRss ? refRss.toFixed(0) : 'n/a'].join(' | '));
  }
}
