// `medseg serve` as a real process (built CLI, dist/): SIGTERM while a model run is going and an edit was just
// made → exit code 0, the run stored nothing, the edit is in the DB, and the DB was closed cleanly (WAL folded back
// into the file and removed, which SQLite does only when the last connection closes properly).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../main/db/database.js';
import { readCursor } from '../../../main/db/edits.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
const CLI = path.join(REPO_DIR, 'bin/medseg.js');

describe('medseg serve process', () => {
  it('on SIGTERM cancels the model run, keeps the edits, closes the DB and exits 0', async () => {
    expect(existsSync(path.join(REPO_DIR, 'dist/main/headless/cli.js')), 'run npm run build first').toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-serve-'));
    const dbFile = path.join(dir, 'cat.db');
    mkdirSync(path.join(dir, 'no-renderer'));
    const child = spawn(process.execPath, [CLI, 'serve', '--db', dbFile, '--port', '0', '--renderer', path.join(dir, 'no-renderer')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const t0 = Date.now();
      while (!/listening on (\S+)/.test(stdout) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
      const url = new URL(/listening on (\S+)/.exec(stdout)![1]);
      const base = url.origin;
      const headers = { Authorization: `Bearer ${url.searchParams.get('token')}` };
      const rpc = async <T>(method: string, input: unknown): Promise<T> => {
        const res = await fetch(`${base}/rpc/${method}`, { method: 'POST', body: JSON.stringify(input), headers });
        const reply = (await res.json()) as { ok: boolean; result: T; error?: { message: string } };
        if (!reply.ok) throw new Error(`${method}: ${reply.error?.message}`);
        return reply.result;
      };
      await rpc('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] });
      await rpc('segmentations.addFromNifti', {
        seriesId: 1,
        path: path.join(DATA, 'example_seg_dicom.nii.gz'),
        labelTablePath: path.join(DATA, 'labels_total.csv'),
      });
      const state = await rpc<{ labels: { name: string; value: number }[] }>('edit.open', { segmentationId: 1 });
      const liver = state.labels.find((l) => l.name === 'liver')!.value;
      const edit = await rpc<{ version: number; changedVoxels: number }>('edit.stroke', {
        segmentationId: 1,
        stroke: { kind: 'brush', mode: 'paint', label: liver, pathIjk: [[30, 30, 5]], radiusMm: 4, shape: 'disc', plane: 'axial' },
      });
      expect(edit.changedVoxels).toBeGreaterThan(0);

      // Start a model run and wait until it reports progress: it is running in its worker when the signal comes.
      const events = await fetch(`${base}/events`, { headers });
      const reader = events.body!.getReader();
      const { jobId } = await rpc<{ jobId: number }>('segment.start', { seriesId: 1, modelId: 'abdomen-ct', device: 'cpu' });
      let stream = '';
      while (!stream.includes('event: segment.progress')) {
        const { value, done } = await reader.read();
        if (done) throw new Error('event stream ended before any progress');
        stream += new TextDecoder().decode(value);
      }
      expect(stream).not.toContain('event: segment.done');
      expect(jobId).toBe(1);

      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(stderr).toContain('SIGTERM: shutting down');
      expect(stderr).toContain('closed cleanly');
      expect(existsSync(`${dbFile}-wal`)).toBe(false);

      const db = openDatabase(dbFile);
      expect((db.prepare('SELECT COUNT(*) AS n FROM segmentations').get() as { n: number }).n).toBe(1); // the run stored nothing
      expect(readCursor(db, 1)).toBe(edit.version);
      db.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
