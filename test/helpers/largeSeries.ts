// A large generated CT series (test/fixtures/make-large-series.py) for the large-study tests and benches: made
// once per size into the temp folder and reused (never in the repository); returns the folder of each syntax.
import { spawnSync } from 'node:child_process';
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
