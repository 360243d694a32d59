// `medseg info` on a folder of hostile mutants of real files (generated here, in a temp dir) finishes quickly with
// one coded error per bad file, still reports the good series, and its process stays under 1 GB peak RSS.
// Runs the built CLI (dist/, `npm run build` first), so the header workers with their caps are the ones under test.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../shared/errors.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';
import { MUTANT_SOURCES, mutantsOf } from '../../helpers/hostileMutants.js';

const run = promisify(execFile);
const CLI = path.join(REPO_DIR, 'bin/medseg.js');
// Peak RSS of the whole CLI process (main thread and its workers), reported by the child itself as it exits.
const REPORT_MAX_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("MAXRSS_KB "+process.resourceUsage().maxRSS+"\\n"))';

describe('medseg info on hostile files', () => {
  it('gives every hostile mutant a coded error, keeps the good series, and peaks under 1 GB RSS', async () => {
    expect(existsSync(path.join(REPO_DIR, 'dist/main/headless/cli.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
    expect(existsSync(path.join(REPO_DIR, 'dist/main/workers/decodeWorker.js'))).toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-hostile-info-'));
    const expected = new Map<string, string[]>();
    for (const source of MUTANT_SOURCES) {
      mutantsOf(source).forEach((m, i) => {
        const file = path.join(dir, `${path.basename(source, '.dcm')}-${String(i).padStart(2, '0')}.dcm`);
        writeFileSync(file, m.bytes);
        expected.set(file, m.expect);
      });
    }
    copyFileSync(path.join(DATA_DIR, 'pydicom_test_files_debian/CT_small.dcm'), path.join(dir, 'good-ct.dcm'));

    const started = performance.now();
    const { stdout, stderr } = await run(process.execPath, ['--import', REPORT_MAX_RSS, CLI, 'info', dir, '--json'], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 180_000,
    });
    const seconds = (performance.now() - started) / 1000;
    const maxRssKb = Number(/MAXRSS_KB (\d+)/.exec(stderr)?.[1]);
    console.log(`medseg info on ${expected.size} hostile mutants + 1 good file: ${seconds.toFixed(1)} s, peak RSS ${(maxRssKb / 1024).toFixed(0)} MB`);

    const out = JSON.parse(stdout) as { series: { files: number }[]; errors: { path: string; code: string; message: string }[] };
    expect(out.series).toHaveLength(1);
    expect(out.series[0].files).toBe(1);
    const byPath = new Map(out.errors.map((e) => [e.path, e]));
    for (const [file, codes] of expected) {
      const e = byPath.get(file);
      expect(e, `${path.basename(file)} has no error`).toBeDefined();
      expect(ERROR_CODES).toContain(e!.code);
      expect(codes, `${path.basename(file)}: ${e!.code} ${e!.message}`).toContain(e!.code);
    }
    expect(out.errors).toHaveLength(expected.size);
    expect(maxRssKb).toBeGreaterThan(0);
    expect(maxRssKb).toBeLessThan(1024 * 1024);
    expect(seconds).toBeLessThan(120);
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);
});
