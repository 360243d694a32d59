// Merges the per-case files of a plan into DIR/results.csv and DIR/results.jsonl: the plan's cases only, in table
// order, each file replaced whole. The same case files give the same bytes, whoever ran them (local workers or Slurm).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { batchCsv, batchJsonLines, orderRows, type BatchCaseInfo, type BatchRow } from '../../../shared/domain/batch/results.js';
import { readCaseRecord } from './cases.js';
import { writeFileAtomicSync } from './files.js';
import type { BatchPlan } from './plan.js';

export const SUMMARY_FILE = 'summary.json';

export interface BatchSummary {
  method: string;
  softwareVersion: string;
  cases: number;
  done: number;
  /** Cases recorded with a coded error (their row's `error`). */
  failedCases: number;
  rows: number;
  /** Cases without a result file: not run yet, stopped, or their shard died. */
  missing: { caseKey: string; shard: number; source: string }[];
  /** Shards with at least one missing case (what `--resubmit` runs again). */
  incompleteShards: number[];
  /** Set when the previous table in this folder was made by another method (model version, threshold…). */
  replacedMethod: string | null;
}

const CASE_INFO_KEYS: (keyof BatchCaseInfo)[] = ['caseKey', 'patientId', 'pseudonym', 'subject', 'timepoint', 'studyDate', 'seriesInstanceUid', 'source'];

export function previousSummary(outDir: string): BatchSummary | null {
  const file = path.join(outDir, SUMMARY_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BatchSummary;
  } catch {
    return null;
  }
}

export function mergeResults(outDir: string, plan: BatchPlan): BatchSummary {
  const before = previousSummary(outDir);
  const perCase: BatchRow[][] = [];
  const missing: BatchSummary['missing'] = [];
  let failedCases = 0;
  for (const c of plan.cases) {
    const rec = readCaseRecord(outDir, c.caseKey);
    if (!rec) {
      missing.push({ caseKey: c.caseKey, shard: c.shard, source: c.source });
      continue;
    }
    // identity columns from the current plan (a manifest may rename a subject without changing any input byte)
    const info = Object.fromEntries(CASE_INFO_KEYS.map((k) => [k, c[k]])) as unknown as BatchCaseInfo;
    const rows = rec.rows.map((r) => ({ ...r, ...info }));
    if (rows.some((r) => r.error !== '')) failedCases++;
    perCase.push(rows);
  }
  const rows = orderRows(perCase);
  writeFileAtomicSync(path.join(outDir, 'results.csv'), batchCsv(rows));
  writeFileAtomicSync(path.join(outDir, 'results.jsonl'), batchJsonLines(rows));
  const summary: BatchSummary = {
    method: plan.methodLabel,
    softwareVersion: plan.softwareVersion,
    cases: plan.cases.length,
    done: plan.cases.length - missing.length,
    failedCases,
    rows: rows.length,
    missing,
    incompleteShards: [...new Set(missing.map((m) => m.shard))].sort((a, b) => a - b),
    replacedMethod: before && before.method !== plan.methodLabel ? before.method : null,
  };
  writeFileAtomicSync(path.join(outDir, SUMMARY_FILE), JSON.stringify(summary, null, 1) + '\n');
  return summary;
}
