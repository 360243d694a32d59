// Benchmark: a 512×512×500 CT (generated, see test/helpers/largeSeries.ts) — `medseg convert` vs dcm2niix
// (uncompressed and J2K: wall, CPU, peak RSS against the voxel bytes), CLI start-up vs `node -e 0`, header reading
// (files/s) vs dcmdump and pydicom (the viewer's figures: largeViewerBench.ts). Each figure is printed next to its
// reference, measured in the same run, back to back.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLargeSeries } from '../helpers/largeSeries.js';
import { REPO_DIR } from '../helpers/paths.js';

const RUNS = 2;
const MEDSEG = join(REPO_DIR, 'bin/medseg.js');

interface Timed {
  wallS: number;
  cpuS: number;
  peakRssMb: number;
}

/** One process under GNU time: wall, user + system CPU and peak RSS. */
function timed(cmd: string, args: string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', 'MEDSEG_TIME %e %U %S %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`/usr/bin/time is needed (Debian package time): ${r.error.message}`);
  const line = r.stderr.split('\n').find((l) => l.startsWith('MEDSEG_TIME'));
  if (r.status !== 0 || !line) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const [wall, user, sys, rssKb] = line.split(' ').slice(1).map(Number);
  return { wallS: wall, cpuS: user + sys, peakRssMb: rssKb / 1024 };
}

/** Runs `ours` and `ref` alternately RUNS times (so both see the same machine load); keeps each one's best run. */
function pair(ours: () => Timed, ref: () => Timed): { ours: Timed; ref: Timed } {
  const a: Timed[] = [];
  const b: Timed[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(ours());
    b.push(ref());
  }
  const best = (xs: Timed[]): Timed => ({
    wallS: Math.min(...xs.map((x) => x.wallS)),
    cpuS: Math.min(...xs.map((x) => x.cpuS)),
    peakRssMb: Math.max(...xs.map((x) => x.peakRssMb)),
  });
  return { ours: best(a), ref: best(b) };
}

const fmt = (x: number, d = 2): string => x.toFixed(d);

export async function runLargeSeriesBench(): Promise<void> {
  const t0 = performance.now();
  const series = ensureLargeSeries();
  const [nx, ny, nz] = series.dims;
  const voxelMb = (nx * ny * nz * 2) / 2 ** 20;
  const budgetMb = 2 * voxelMb + 300;
  console.log(
    `\n== large series ${nx}×${ny}×${nz} at ${series.spacingMm} mm (int16 voxels ${fmt(voxelMb, 0)} MB; made/reused in ${fmt((performance.now() - t0) / 1000, 1)} s) ==`,
  );
  console.log('machine: shared and contended while measured: read ratios, not absolute seconds');
  const out = mkdtempSync(join(tmpdir(), 'bench-large-out-'));
  const figures: Record<string, unknown> = { dims: series.dims, voxelMb, budgetMb };
  try {
    console.log(
      'convert to .nii | medseg wall s | dcm2niix wall s | wall ratio | medseg CPU s | dcm2niix CPU s | medseg peak RSS MB | budget MB | dcm2niix RSS MB',
    );
    for (const syntax of ['raw', 'j2k'] as const) {
      const dir = series.dirs[syntax];
      const r = pair(
        () => timed(process.execPath, [MEDSEG, 'convert', dir, '-o', join(out, 'medseg.nii')]),
        () => timed('dcm2niix', ['-z', 'n', '-o', out, '-f', 'dcm2niix', dir]),
      );
      figures[`convert_${syntax}`] = r;
      console.log(
        [
          syntax === 'raw' ? 'uncompressed' : 'J2K lossless',
          fmt(r.ours.wallS),
          fmt(r.ref.wallS),
          `${fmt(r.ours.wallS / r.ref.wallS)}×`,
          fmt(r.ours.cpuS),
          fmt(r.ref.cpuS),
          fmt(r.ours.peakRssMb, 0),
          `${fmt(budgetMb, 0)} (${r.ours.peakRssMb <= budgetMb ? 'within' : 'OVER'})`,
          fmt(r.ref.peakRssMb, 0),
        ].join(' | '),
      );
    }

    const one = join(series.dirs.raw, readdirSync(series.dirs.raw).sort()[0]);
    const help = pair(
      () => timed(process.execPath, [MEDSEG, '--help']),
      () => timed(process.execPath, ['-e', '0']),
    );
    const info = pair(
      () => timed(process.execPath, [MEDSEG, 'info', one, '--json']),
      () => timed(process.execPath, ['-e', '0']),
    );
    figures.startup = { help, info };
    console.log(
      `start-up: medseg --help ${fmt(help.ours.wallS)} s (CPU ${fmt(help.ours.cpuS)} s), node -e 0 ${fmt(help.ref.wallS)} s (CPU ${fmt(help.ref.cpuS)} s), ` +
        `overhead ${fmt(help.ours.wallS - help.ref.wallS)} s; medseg info (1 file) ${fmt(info.ours.wallS)} s (CPU ${fmt(info.ours.cpuS)} s)`,
    );

    const files = readdirSync(series.dirs.raw).map((f) => join(series.dirs.raw, f));
    const headers = pair(
      () => timed(process.execPath, [MEDSEG, 'info', series.dirs.raw, '--json']),
      () => timed('dcmdump', ['-q', '-M', '+P', '0008,0018', ...files]),
    );
    const py = timed('/usr/bin/python3', ['-c', 'import sys,pydicom\nfor f in sys.argv[1:]: pydicom.dcmread(f, stop_before_pixels=True)', ...files]);
    // The import proper: headers, assembly and the catalog rows (one transaction per series), into a fresh database.
    const imported = pair(
      () => timed(process.execPath, [MEDSEG, 'import', series.dirs.raw, '--db', join(out, `import-${Math.random().toString(36).slice(2)}.db`), '--json']),
      () => timed('/usr/bin/python3', ['-c', 'import sys,pydicom\nfor f in sys.argv[1:]: pydicom.dcmread(f, stop_before_pixels=True)', ...files]),
    );
    figures.headers = { ...headers, pydicom: py, import: imported, files: files.length };
    const rate = (t: Timed): string => `${fmt(files.length / t.wallS, 0)} files/s`;
    console.log(
      `header reading (${files.length} files, info = read + assemble): medseg info ${rate(headers.ours)}, dcmdump -M ${rate(headers.ref)}, ` +
        `pydicom stop_before_pixels ${rate(py)}; medseg/pydicom time ratio ${fmt(headers.ours.wallS / py.wallS)}×; ` +
        `medseg import (+ catalog) ${rate(imported.ours)} (CPU ${fmt(imported.ours.cpuS)} s) vs pydicom ${rate(imported.ref)} (CPU ${fmt(imported.ref.cpuS)} s): ` +
        `${fmt(imported.ours.wallS / imported.ref.wallS)}×`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
    const dir = join(REPO_DIR, 'test-output', 'bench');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'largeSeries.json'), JSON.stringify(figures, null, 2));
  }
}
