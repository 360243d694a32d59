// Test helpers for the measurement tests: run Debian's numpy/scipy/nibabel as the independent reference.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { DATA_DIR, REPO_DIR } from './paths.js';

export { DATA_DIR, REPO_DIR };

export const TS_DIR = path.join(DATA_DIR, 'totalsegmentator_example');

/** Runs a Python snippet with /usr/bin/python3 (the one with numpy/scipy/nibabel) and parses its JSON stdout. */
export function python<T>(code: string, stdin?: Buffer): T {
  const out = execFileSync('/usr/bin/python3', ['-c', code], { input: stdin, maxBuffer: 256 << 20, encoding: 'utf8' });
  return JSON.parse(out) as T;
}
