// The synthetic follow-up cohort (test/fixtures/make-cohort.py), made into a temporary folder, and the results table
// of `medseg batch` read back as records.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BATCH_COLUMNS, parseCsv } from '../../shared/domain/batch/results.js';
import { REPO_DIR } from './paths.js';

export interface CohortTruth {
  spacingMm: number[];
  cases: {
    patientId: string;
    timepoint: string;
    studyDate: string;
    folder: string;
    seriesInstanceUid: string;
    broken: 'missing-slice' | 'corrupt-file' | null;
    lesions: { centreLps: number[]; radiusMm: number; volumeMl: number; toleranceMl: number }[];
  }[];
}

/** followupShiftSlices: follow-up grids start that many slices further along +z (same anatomy, other slice indices). */
export function makeCohort(patients = 3, lesionHu = 300, followupShiftSlices = 0): { dir: string; truth: CohortTruth } {
  const dir = mkdtempSync(path.join(tmpdir(), 'medseg-cohort-'));
  // Debian python (numpy + pydicom); a missing one fails here with its message
  execFileSync(
    '/usr/bin/python3',
    [
      path.join(REPO_DIR, 'test/fixtures/make-cohort.py'),
      dir,
      '--patients',
      String(patients),
      '--lesion-hu',
      String(lesionHu),
      '--followup-shift-slices',
      String(followupShiftSlices),
    ],
    { stdio: 'pipe' },
  );
  return { dir, truth: JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as CohortTruth };
}

export type TableRow = Record<(typeof BATCH_COLUMNS)[number], string>;

export function readTable(outDir: string): { header: string[]; rows: TableRow[] } {
  const [header, ...records] = parseCsv(readFileSync(path.join(outDir, 'results.csv'), 'utf8'));
  return { header, rows: records.map((r) => Object.fromEntries(header.map((h, n) => [h, r[n]])) as TableRow) };
}

/** A row without the columns that differ between two output folders of the same cases (wall time, keyed pseudonym). */
export function comparable(r: TableRow): string {
  const { seconds: _s, pseudonym: _p, ...rest } = r;
  return JSON.stringify(rest);
}
