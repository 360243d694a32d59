// `medseg batch` in local mode on the synthetic cohort: every lesion volume within the phantom's tolerance, broken cases
// recorded with their code and no mL, the same numbers as `medseg measure`, reruns skip done cases, a changed input or
// threshold recomputes exactly what it affects, and a kill -9 mid-run resumes to the same table.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../helpers/cli.js';
import { comparable, makeCohort, readTable, type CohortTruth, type TableRow } from '../../helpers/cohort.js';
import { REPO_DIR } from '../../helpers/paths.js';

const CLI = path.join(REPO_DIR, 'bin/medseg.js');
const THRESHOLD = '170:2000'; // halfway between body (40 HU) and lesion (300 HU)
let cohort: { dir: string; truth: CohortTruth };
let out: string;
const tmp = (what: string): string => mkdtempSync(path.join(tmpdir(), `medseg-batch-${what}-`));

beforeAll(async () => {
  cohort = makeCohort(4);
  out = tmp('out');
  const r = await runCliCaptured(['batch', path.join(cohort.dir, 'manifest.csv'), '--threshold', THRESHOLD, '--out', out, '--json']);
  expect(r.code, r.stderr).toBe(0);
});

const caseRows = (rows: TableRow[], uid: string): TableRow[] => rows.filter((r) => r.seriesInstanceUid === uid);

describe('medseg batch (local)', () => {
  it('measures every phantom lesion within its tolerance, one label row per case, with provenance', () => {
    const { header, rows } = readTable(out);
    for (const col of [
      'seriesInstanceUid',
      'patientId',
      'studyDate',
      'label',
      'name',
      'kind',
      'volumeMl',
      'volumeMlLower',
      'volumeMlUpper',
      'geometryStatus',
      'error',
    ])
      expect(header).toContain(col);
    let checked = 0;
    for (const c of cohort.truth.cases.filter((x) => x.broken === null)) {
      const mine = caseRows(rows, c.seriesInstanceUid);
      const lesions = mine.filter((r) => r.kind === 'lesion');
      const labels = mine.filter((r) => r.kind === 'label');
      expect(lesions.length, c.folder).toBe(c.lesions.length);
      expect(labels.length).toBe(1);
      for (const truth of c.lesions) {
        // the measured lesion whose centroid is nearest the sphere centre
        const d = (r: TableRow): number =>
          Math.hypot(+r.centroidXLps - truth.centreLps[0], +r.centroidYLps - truth.centreLps[1], +r.centroidZLps - truth.centreLps[2]);
        const hit = [...lesions].sort((a, b) => d(a) - d(b))[0];
        expect(d(hit)).toBeLessThan(0.5);
        expect(Math.abs(+hit.volumeMl - truth.volumeMl), `${c.folder} r=${truth.radiusMm}`).toBeLessThanOrEqual(truth.toleranceMl);
        expect(+hit.volumeMlLower).toBeLessThanOrEqual(truth.volumeMl);
        expect(+hit.volumeMlUpper).toBeGreaterThanOrEqual(truth.volumeMl);
        checked++;
      }
      const sum = lesions.reduce((s, r) => s + +r.volumeMl, 0);
      expect(+labels[0].volumeMl).toBeCloseTo(sum, 9);
      for (const r of mine) {
        expect(r).toMatchObject({
          patientId: c.patientId,
          subject: c.patientId,
          timepoint: c.timepoint,
          studyDate: c.studyDate,
          geometryStatus: 'ok',
          error: '',
        });
        expect(r).toMatchObject({ method: `threshold ${THRESHOLD}`, provider: 'classical', computationVersion: 'measure-1' });
        expect(r.softwareVersion).toMatch(/^medseg \d/);
        expect(r.pseudonym).toMatch(/^P-[0-9a-f]{12}$/);
        expect(r.pseudonym).not.toContain(c.patientId);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('records broken cases with their coded error and empty mL, and goes on', () => {
    const { rows } = readTable(out);
    for (const c of cohort.truth.cases.filter((x) => x.broken !== null)) {
      const mine = caseRows(rows, c.seriesInstanceUid);
      expect(mine.length, c.folder).toBe(1);
      expect(mine[0]).toMatchObject({
        kind: 'case',
        error: 'UNSAFE_GEOMETRY',
        geometryStatus: 'unsafe',
        volumeMl: '',
        volumeMlLower: '',
        volumeMlUpper: '',
        voxels: '',
      });
      expect(mine[0].errorMessage).toMatch(/MISSING_SLICE/);
      // the cut-off file is named with the case it belongs to
      if (c.broken === 'corrupt-file') expect(mine[0].errorMessage).toMatch(/Unreadable files in its folder: .*IM0021\.dcm/);
    }
    // the JSON lines hold the same rows
    const jsonl = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n');
    expect(jsonl.length).toBe(rows.length);
    expect(JSON.parse(jsonl[0]).seriesInstanceUid).toBe(rows[0].seriesInstanceUid);
  });

  it('gives the numbers `medseg measure` gives for the same series', async () => {
    const c = cohort.truth.cases[0];
    const m = await runCliCaptured(['measure', path.join(cohort.dir, c.folder), '--threshold', THRESHOLD, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const measured = JSON.parse(m.stdout) as { labels: { volumeMl: number; instances: { volumeMl: number; recistLongMm: number }[] }[] };
    const mine = caseRows(readTable(out).rows, c.seriesInstanceUid);
    expect(+mine.find((r) => r.kind === 'label')!.volumeMl).toBe(measured.labels[0].volumeMl);
    expect(mine.filter((r) => r.kind === 'lesion').map((r) => [+r.volumeMl, +r.recistLongMm])).toEqual(
      measured.labels[0].instances.map((i) => [i.volumeMl, i.recistLongMm]),
    );
  });

  it('timeline: RECIST response per follow-up from the table (SD, PD by a new lesion, PR with a vanished lesion, broken studies not evaluable)', async () => {
    type Tl = {
      targets: unknown[];
      timepoints: {
        timepoint: string;
        error: string;
        response: string | null;
        newLesions?: string[];
        vanishedLesions?: string[];
        labels?: { changeMl: number | null }[];
      }[];
    };
    const timeline = async (patient: string): Promise<Tl> => {
      const r = await runCliCaptured(['timeline', '--patient', patient, '--results', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Tl;
    };
    // COH-001: a 14 mm target grows to 16 mm (SD), then a new 8 mm lesion appears (PD); the 5 mm-radius one is too small to be a target
    const p1 = await timeline('COH-001');
    expect(p1.targets.length).toBe(1);
    expect(p1.timepoints.map((t) => [t.timepoint, t.response])).toEqual([
      ['T0', null],
      ['T1', 'SD'],
      ['T2', 'PD'],
    ]);
    expect(p1.timepoints[2].newLesions?.length).toBe(1);
    expect(p1.timepoints[1].labels?.[0].changeMl).toBeGreaterThan(0);
    // COH-002: 20 → 12 mm (−40 %: PR), and its small second lesion vanished
    const p2 = await timeline('COH-002');
    expect(p2.timepoints.map((t) => t.response)).toEqual([null, 'PR']);
    expect(p2.timepoints[1].vanishedLesions?.length).toBe(1);
    // COH-003: the two broken follow-ups are listed with their error and no response
    const p3 = await timeline('COH-003');
    expect(p3.timepoints.map((t) => [t.error, t.response])).toEqual([
      ['', null],
      ['UNSAFE_GEOMETRY', null],
      ['UNSAFE_GEOMETRY', null],
    ]);
  });

  it('skips done cases on a rerun, recomputes only a changed case, and everything when the threshold changes', async () => {
    // a smaller cohort of its own (two patients, five series): this test changes its files
    const small = makeCohort(2);
    const dir = small.dir;
    const o = tmp('rerun');
    const args = (t: string): string[] => ['batch', path.join(dir, 'manifest.csv'), '--threshold', t, '--out', o];
    expect((await runCliCaptured(args(THRESHOLD))).code).toBe(0);
    const first = readFileSync(path.join(o, 'results.csv'), 'utf8');
    const caseFiles = (): Map<string, number> => new Map(readdirSync(path.join(o, 'cases')).map((f) => [f, statSync(path.join(o, 'cases', f)).mtimeMs]));
    const before = caseFiles();

    const again = await runCliCaptured(args(THRESHOLD));
    expect(again.stderr).toMatch(new RegExp(`${before.size} case\\(s\\), ${before.size} already done, 0 to run`));
    expect(readFileSync(path.join(o, 'results.csv'), 'utf8')).toBe(first);
    expect(caseFiles()).toEqual(before);

    // one air voxel of one slice changes: the case's content hash changes, its volume does not
    const c = small.truth.cases[0];
    const slice = path.join(dir, c.folder, 'IM0001.dcm');
    const bytes = readFileSync(slice);
    bytes.writeInt16LE(bytes.readInt16LE(bytes.length - 2) + 1, bytes.length - 2);
    writeFileSync(slice, bytes);
    const changed = await runCliCaptured(args(THRESHOLD));
    expect(changed.code).toBe(0);
    expect(changed.stderr).toMatch(new RegExp(`${before.size} case\\(s\\), ${before.size - 1} already done, 1 to run`));
    const after = caseFiles();
    const added = [...after.keys()].filter((k) => !before.has(k));
    expect(added.length).toBe(1);
    for (const [f, t] of before) expect(after.get(f)).toBe(t);
    const t1 = readTable(o).rows;
    expect(new Set(t1.map((r) => r.caseKey)).size).toBe(before.size);
    expect(caseRows(t1, c.seriesInstanceUid)[0].caseKey + '.json').toBe(added[0]);

    // another threshold: every case is redone, the table holds the new method only, and says it replaced one
    const other = await runCliCaptured(args('200:2000'));
    expect(other.stderr).toMatch(new RegExp(`0 already done, ${before.size} to run`));
    expect(other.stderr).toMatch(/previous table was made with threshold 170:2000/);
    const t2 = readTable(o).rows;
    expect(new Set(t2.map((r) => r.method))).toEqual(new Set(['threshold 200:2000']));
    // a higher threshold keeps fewer partial-volume voxels
    const vol = (rows: TableRow[]): number => +caseRows(rows, c.seriesInstanceUid).find((r) => r.kind === 'label')!.volumeMl;
    expect(vol(t2)).toBeLessThan(vol(t1));
  });

  it('after kill -9 mid-run (2 worker processes), a rerun completes the table with no duplicated or missing rows', async () => {
    expect(existsSync(path.join(REPO_DIR, 'dist/main/headless/cli.js')), 'worker processes run the build: run npm run build first').toBe(true);
    const o = tmp('kill');
    const args = [CLI, 'batch', path.join(cohort.dir, 'manifest.csv'), '--threshold', THRESHOLD, '--out', o, '--workers', '2'];
    const child = spawn(process.execPath, args, { stdio: 'ignore', detached: true });
    const casesDir = path.join(o, 'cases');
    const t0 = Date.now();
    const done = (): number => (existsSync(casesDir) ? readdirSync(casesDir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).length : 0);
    while (done() < 2 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    // the whole process group: the parent and both workers
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = done();
    const total = cohort.truth.cases.length;
    expect(killedAt).toBeGreaterThanOrEqual(2);
    expect(killedAt, 'the run finished before the kill: make the cohort bigger').toBeLessThan(total);

    const rerun = await runCliCaptured(['batch', path.join(cohort.dir, 'manifest.csv'), '--threshold', THRESHOLD, '--out', o]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`${total} case\\(s\\), ${killedAt} already done, ${total - killedAt} to run`));
    const resumed = readTable(o).rows.map(comparable);
    const clean = readTable(out).rows.map(comparable);
    expect(resumed).toEqual(clean);
    expect(new Set(resumed).size).toBe(resumed.length);
  });

  it('Ctrl+C stops cleanly (exit 130, a partial table, no torn file) and the next run resumes', async () => {
    expect(existsSync(path.join(REPO_DIR, 'dist/main/headless/cli.js')), 'run npm run build first').toBe(true);
    const o = tmp('sigint');
    const args = [CLI, 'batch', path.join(cohort.dir, 'manifest.csv'), '--threshold', THRESHOLD, '--out', o, '--workers', '2'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const casesDir = path.join(o, 'cases');
    const t0 = Date.now();
    while (!(existsSync(casesDir) && readdirSync(casesDir).some((f) => f.endsWith('.json'))) && Date.now() - t0 < 60_000)
      await new Promise((r) => setTimeout(r, 20));
    // what a terminal does on Ctrl+C: SIGINT to the whole foreground process group
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/stopping after the cases in progress/);
    expect(readdirSync(casesDir).filter((f) => f.startsWith('.'))).toEqual([]);
    const partial = readTable(o).rows;
    const total = cohort.truth.cases.length;
    const summary = JSON.parse(readFileSync(path.join(o, 'summary.json'), 'utf8')) as { done: number; missing: unknown[] };
    expect(summary.done + summary.missing.length).toBe(total);
    expect(new Set(partial.map((r) => r.caseKey)).size).toBe(summary.done);

    const rerun = await runCliCaptured(['batch', path.join(cohort.dir, 'manifest.csv'), '--threshold', THRESHOLD, '--out', o]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(readTable(o).rows.map(comparable)).toEqual(readTable(out).rows.map(comparable));
  });
});
