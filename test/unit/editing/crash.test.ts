// Crash safety of the edit journal: a child committing strokes is killed with SIGKILL at random points, 30 times.
// After each kill the re-opened map must equal the reference replay of exactly what the child reported committed
// (or that plus the one action in flight), the history must be one unbroken chain, and integrity_check ok.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabase } from '../../../main/db/database.js';
import { loadEditedLabelMap } from '../../../main/services/editing/session.js';
import { applyDelta } from '../../../shared/domain/editing/delta.js';
import { strokeDelta } from '../../../shared/domain/editing/operations.js';
import { CRASH_DIMS, CRASH_SPACING, CRASH_UNDO_EVERY, crashBaseLabels, crashStroke } from '../../helpers/editCrashOps.js';
import { createEditDb, firstDifference, geometryOf, prng, tempDbFile } from '../../helpers/editFixture.js';
import { REPO_DIR } from '../../helpers/paths.js';

const ROOT = REPO_DIR;
// Inside the checkout (so the child finds node_modules) and per process (so two checkouts sharing node_modules, or
// two runs, never compile over each other); .medseg-tmp is ignored by git.
const OUT = join(ROOT, '.medseg-tmp', `edit-crash-${process.pid}`);
const CHILD = join(OUT, 'test/helpers/editCrashChild.js');
const KILLS = 30;

beforeAll(() => {
  // Compile only the child and what it imports (seconds), not the whole build; fresh every run so it never
  // tests stale code.
  rmSync(OUT, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const args = ['--outDir', OUT, '--rootDir', ROOT, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
  args.push('--strict', '--skipLibCheck', '--esModuleInterop', '--types', 'node', join(ROOT, 'test/helpers/editCrashChild.ts'));
  try {
    execFileSync(process.execPath, [tsc, ...args], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    // Type errors elsewhere still emit JavaScript; the type-check step reports them. A missing child is fatal.
    if (!existsSync(CHILD)) throw new Error(`could not compile the crash child: ${(err as { stdout?: Buffer }).stdout?.toString()}`);
  }
});

/**
 * Runs the child and SIGKILLs it delayMs after its first reported action (not after 'ready': on a loaded machine a
 * kill timed from start-up can land before any work); returns its report lines.
 */
function runUntilKilled(file: string, segmentationId: number, delayMs: number): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CHILD, file, String(segmentationId)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!armed && /^ready\n[^\n]+\n/.test(out)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    // 'close', not 'exit': only then has every line the child wrote before dying been read.
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`child ended by itself (code ${code}): ${err}`));
      // A line cut by the kill is not a report.
      else resolvePromise(out.split('\n').slice(0, -1));
    });
  });
}

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('edit journal under SIGKILL', () => {
  it(`keeps exactly the reported strokes through ${KILLS} kills at random points`, async () => {
    const geometry = geometryOf(CRASH_DIMS, CRASH_SPACING);
    const file = tempDbFile('medseg-edit-crash-');
    const created = createEditDb(file, geometry, crashBaseLabels());
    const segmentationId = created.segmentationId;
    created.db.close();

    // Reference: the state after strokes 1..t of the sequence, replayed with the pure domain code.
    const states: Uint8Array[] = [crashBaseLabels()];
    const changed: boolean[] = [false];
    const stateAfter = (t: number): Uint8Array => {
      for (let n = states.length; n <= t; n++) {
        const labels = states[n - 1].slice();
        const d = strokeDelta({ geometry, labels }, crashStroke(n));
        applyDelta(labels, d);
        states.push(labels);
        changed.push(d.indices.length > 0);
      }
      return states[t];
    };

    const random = prng(20261129);
    let cursorTag = 0;
    let redoTag: number | undefined;
    let reportedTotal = 0;
    let inFlightCommitted = 0;
    for (let run = 0; run < KILLS; run++) {
      const lines = await runUntilKilled(file, segmentationId, Math.floor(random() * 250));
      expect(lines[0]).toBe('ready');
      // What the child reported last, and the one action it may have committed after that.
      let reported = cursorTag;
      let next = redoTag ?? cursorTag + 1;
      for (const line of lines.slice(1)) {
        const [what, tagText] = line.split(' ');
        const n = Number(tagText);
        stateAfter(n + 1);
        reportedTotal++;
        if (what === 'committed') {
          reported = n;
          next = changed[n] && n % CRASH_UNDO_EVERY === 0 ? n - 1 : n + 1;
        } else if (what === 'undone') {
          reported = n - 1;
          next = n;
        } else if (what === 'redone') {
          reported = n;
          next = n + 1;
        } else throw new Error(`unexpected report ${line}`);
      }

      const db = openDatabase(file);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const strokes = db.prepare('SELECT seq, parent_seq, params_json FROM edit_strokes WHERE segmentation_id = ? ORDER BY seq').all(segmentationId) as {
          seq: number;
          parent_seq: number;
          params_json: string;
        }[];
        strokes.forEach((s, n) => expect(s.parent_seq).toBe(n === 0 ? 0 : strokes[n - 1].seq)); // one chain, no torn branch
        const cursor = (db.prepare('SELECT cursor_seq FROM edit_journals WHERE segmentation_id = ?').get(segmentationId) as { cursor_seq: number }).cursor_seq;
        const tagOf = (seq: number): number => (seq === 0 ? 0 : (JSON.parse(strokes.find((s) => s.seq === seq)!.params_json) as { tag: number }).tag);
        const labels = loadEditedLabelMap(db, segmentationId).labels;
        const matches = [reported, next].filter((t) => firstDifference(labels, stateAfter(t)) === -1);
        expect({ run, reported, next, matches: matches.length > 0 }).toEqual({ run, reported, next, matches: true });
        // For a kill the commit point is when the WAL frame is written, before its fsync returns: kills inside
        // the fsync find the unreported action committed, which is allowed and common.
        if (!matches.includes(reported)) inFlightCommitted++;
        cursorTag = tagOf(cursor);
        const child = strokes.find((s) => s.parent_seq === cursor);
        redoTag = child ? tagOf(child.seq) : undefined;
      } finally {
        db.close();
      }
    }
    console.log(
      `edit crash test: ${KILLS} kills, ${reportedTotal} reported actions, ${inFlightCommitted} kills found the unreported in-flight action committed`,
    );
    // The kills landed on a live workload, not on an idle child.
    expect(reportedTotal).toBeGreaterThan(KILLS * 2);
    expect(cursorTag).toBeGreaterThan(KILLS);
    const db = openDatabase(file);
    expect((db.prepare('SELECT COUNT(*) AS n FROM edit_snapshots').get() as { n: number }).n).toBeGreaterThan(3); // snapshot writes were live too
    db.close();
  }, 240_000);
});
