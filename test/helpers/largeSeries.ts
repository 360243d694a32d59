// A large generated CT series (test/fixtures/make-large-series.py) for the large-study tests and benches: made
// once per size into the temp folder and reused (never in the repository); returns the folder of each syntax.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_DIR } from './paths.js';

export type LargeSyntax = 'raw' | 'j2k' | 'jls';

export interface LargeSeries {
  root: string;
  dims: [number, number, number];
  spacingMm: number;
  dirs: Record<LargeSyntax, string>;
}

export function ensureLargeSeries(options: { slices?: number; size?: number; syntaxes?: LargeSyntax[] } = {}): LargeSeries {
  const slices = options.slices ?? 500;
  const size = options.size ?? 512;
  const syntaxes = options.syntaxes ?? ['raw', 'j2k', 'jls'];
  const root = join(tmpdir(), `medseg-large-series-${size}x${size}x${slices}-${syntaxes.join('-')}`);
  const manifest = join(root, 'series.json');
  if (!existsSync(manifest)) {
    rmSync(root, { recursive: true, force: true });
    const script = join(REPO_DIR, 'test/fixtures/make-large-series.py');
    const r = spawnSync('/usr/bin/python3', [script, root, '--slices', String(slices), '--size', String(size), '--syntaxes', syntaxes.join(',')], {
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      rmSync(root, { recursive: true, force: true });
      throw new Error(`make-large-series.py failed (needs Debian python3-pydicom, python3-nibabel, libgdcm-tools, dcmtk): ${r.stderr || r.error}`);
    }
  }
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { dims: [number, number, number]; spacingMm: number };
  return { root, dims: m.dims, spacingMm: m.spacingMm, dirs: { raw: join(root, 'raw'), j2k: join(root, 'j2k'), jls: join(root, 'jls') } };
}

/**
 * pydicom on the files of `dir` (no medseg code): HU of every voxel, i fastest, slices sorted by z, and the first file's
 * orientation. `scratch` is a file path the values pass through.
 */
export function pydicomHuReference(dir: string, scratch: string): { hu: Int16Array; iop: number[] } {
  const script = [
    'import os, sys, json, numpy as np, pydicom',
    'd = sys.argv[1]',
    'ds = [pydicom.dcmread(os.path.join(d, f)) for f in os.listdir(d)]',
    'ds.sort(key=lambda x: float(x.ImagePositionPatient[2]))',
    'v = np.stack([x.pixel_array.astype(np.int32) * int(x.RescaleSlope) + int(x.RescaleIntercept) for x in ds])',
    'v.astype("<i2").tofile(sys.argv[2])',
    'print(json.dumps([float(a) for a in ds[0].ImageOrientationPatient]))',
  ].join('\n');
  const iop = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, dir, scratch], { encoding: 'utf8' })) as number[];
  const b = readFileSync(scratch);
  return { hu: new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2), iop };
}

/** Voxels that differ (a length difference counts as all); typed-array toEqual is too slow at this size. */
export function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
