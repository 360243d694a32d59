// The CLI a new user meets: negative HU ranges typed as they are, `medseg --help` loading no command code (no
// SQLite, no onnxruntime), each command's help from its own module, and `npx medseg` without npm warnings.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS } from '../../../main/headless/commands/index.js';
import { joinNegativeValues } from '../../../main/headless/commands/common.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';
import { runCliCaptured } from '../../helpers/cli.js';

const CT_NIFTI = path.join(DATA_DIR, 'totalsegmentator_example/example_ct_sm.nii.gz');

const cli = runCliCaptured;

describe('negative values of value options', () => {
  it('joins a negative number to the option before it, and nothing else', () => {
    const opts = { threshold: { type: 'string' as const }, output: { type: 'string' as const, short: 'o' }, json: { type: 'boolean' as const } };
    expect(joinNegativeValues(['x', '--threshold', '-1000:-250', '--json'], opts)).toEqual(['x', '--threshold=-1000:-250', '--json']);
    expect(joinNegativeValues(['--threshold=-1000:-250'], opts)).toEqual(['--threshold=-1000:-250']);
    expect(joinNegativeValues(['--threshold', '-.5:2'], opts)).toEqual(['--threshold=-.5:2']);
    expect(joinNegativeValues(['-o', '-5'], opts)).toEqual(['-o-5']);
    // a boolean option takes no value; an option-looking token stays an option; after -- nothing is touched
    expect(joinNegativeValues(['--json', '-1'], opts)).toEqual(['--json', '-1']);
    expect(joinNegativeValues(['--threshold', '--json'], opts)).toEqual(['--threshold', '--json']);
    expect(joinNegativeValues(['--', '--threshold', '-1'], opts)).toEqual(['--', '--threshold', '-1']);
  });

  it('measure --threshold -1000:-250 (air and lung on the real CT) equals the = form; --grow with a negative range too', async () => {
    const spaced = await cli(['measure', CT_NIFTI, '--threshold', '-1000:-250', '--json']);
    expect(spaced.code, spaced.stderr).toBe(0);
    const eq = await cli(['measure', CT_NIFTI, '--threshold=-1000:-250', '--json']);
    expect(JSON.parse(spaced.stdout)).toEqual(JSON.parse(eq.stdout));
    const air = JSON.parse(spaced.stdout).labels[0];
    expect(air.name).toBe('threshold -1000..-250');
    expect(air.voxels).toBeGreaterThan(1000);
    // the seed 0,0,0 is outside the body (air): grown with a negative range typed as is
    const grow = await cli(['measure', CT_NIFTI, '--grow', '0,0,0:-1100:-500', '--max-voxels', '1000', '--json']);
    expect(grow.code, grow.stderr).toBe(0);
    expect(JSON.parse(grow.stdout).labels[0].voxels).toBeGreaterThan(0);
    // a range that is not one stays a usage error
    expect((await cli(['measure', CT_NIFTI, '--threshold', '-250:-1000', '--json'])).code).toBe(2);
  }, 60_000);
});

describe('startup', () => {
  it('each command help comes from its own module, and every listed command loads', async () => {
    for (const entry of COMMANDS) {
      const r = await cli([entry.name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: medseg ${entry.name}\\b`));
      expect(r.stdout).toContain(entry.summary);
    }
  });

  it('medseg --help loads no command code: no SQLite, no onnxruntime (compiled CLI)', () => {
    const cliJs = path.join(REPO_DIR, 'dist/main/headless/cli.js');
    expect(existsSync(cliJs), 'run npm run build first').toBe(true);
    const probe = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const { runCli } = await import(${JSON.stringify(cliJs)});
      let text = '';
      await runCli(['--help'], { stdout: (s) => (text += s), stderr: () => {} });
      const cjs = Object.keys(require.cache).filter((k) => /onnxruntime|better-sqlite3|zod/.test(k));
      console.log(JSON.stringify({ cjs, listed: text.includes('segment') }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }));
    expect(out).toEqual({ cjs: [], listed: true });
  });

  it('npx medseg prints no npm config warning (no unknown key in a project .npmrc)', () => {
    expect(existsSync(path.join(REPO_DIR, '.npmrc'))).toBe(false);
    const r = spawnSync('npx', ['--no-install', 'medseg', '--help'], { cwd: REPO_DIR, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/npm warn/i);
    expect(r.stdout).toMatch(/^medseg — /);
  }, 60_000);
});
