// Runs the cases of one shard of a plan: load the series, make its label map (model, threshold or given), measure
// it with the measure service, and write the case's rows to DIR/cases/<caseKey>.json in one atomic rename. A case
// whose file exists is done: reruns skip it, a killed run loses at most the cases it was working on.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { failedCaseRow, measuredCaseRows, type BatchRow, type RowProvenance } from '../../../shared/domain/batch/results.js';
import { runClassicalTool } from '../../../shared/domain/classical/runTool.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { labelTableFor } from '../../../shared/domain/labelTable.js';
import { measurementRows } from '../../../shared/domain/measure/export.js';
import { AppError, toErrorData } from '../../../shared/errors.js';
import { readInstances } from '../catalog/importer.js';
import { resolveModel, type ModelFolder } from '../inference/registry.js';
import { startSegmentation } from '../inference/runner.js';
import { checkModelFits } from '../inference/segmentSeries.js';
import { measureSegmentation } from '../measure/measure.js';
import { readNiftiLabels } from '../nifti/nifti.js';
import { assembleSeries } from '../series/assemble.js';
import { buildStackVolume } from '../series/volumes.js';
import { writeFileAtomicSync } from './files.js';
import type { BatchPlan, PlannedCase } from './plan.js';

export const CASES_DIR = 'cases';

export interface CaseRecord {
  caseKey: string;
  shard: number;
  seconds: number;
  rows: BatchRow[];
}

export function caseFile(outDir: string, caseKey: string): string {
  return path.join(outDir, CASES_DIR, `${caseKey}.json`);
}

/** The case's stored result, or null when it was not done (or not finished: only whole files are ever renamed in). */
export function readCaseRecord(outDir: string, caseKey: string): CaseRecord | null {
  const file = caseFile(outDir, caseKey);
  if (!existsSync(file)) return null;
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as CaseRecord;
    return rec.caseKey === caseKey && Array.isArray(rec.rows) ? rec : null;
  } catch {
    return null;
  }
}

interface CaseContext {
  plan: BatchPlan;
  threads: number;
  model: () => Promise<ModelFolder>;
  signal?: AbortSignal;
}

async function loadCase(
  c: PlannedCase,
): Promise<{ volume: Awaited<ReturnType<typeof buildStackVolume>>['volume']; geometry: GeometryReport; modality: string; bodyPart: string }> {
  const errors: string[] = [];
  const instances = await readInstances(c.sources, { onError: (s, err) => errors.push(`${s.path}: ${err.code}`) });
  if (errors.length > 0) throw new AppError('IO_ERROR', `${errors.length} of the case's files can no longer be read (${errors[0]}).`);
  const stack = assembleSeries(instances).find((s) => s.stackKey === c.stackKey);
  if (!stack) throw new AppError('INCONSISTENT_GEOMETRY', `The files of ${c.source} no longer form series ${c.seriesInstanceUid}.`);
  const built = await buildStackVolume(stack);
  return { ...built, modality: stack.modality, bodyPart: stack.frames[0]?.instance.bodyPartExamined ?? '' };
}

async function labelMapFor(
  ctx: CaseContext,
  c: PlannedCase,
  loaded: Awaited<ReturnType<typeof loadCase>>,
): Promise<{ labelMap: LabelMap; labelMapGeometry?: GeometryReport; provider: string }> {
  const m = ctx.plan.method;
  if (m.kind === 'threshold') {
    // the classical tool runner `medseg measure --threshold` and the app use
    return { labelMap: runClassicalTool(loaded.volume, { tool: 'threshold', loValue: m.loValue, hiValue: m.hiValue }).labelMap, provider: 'classical' };
  }
  if (m.kind === 'labels') {
    const seg = await readNiftiLabels(c.labelsPath ?? '');
    return { labelMap: { ...seg, table: labelTableFor(seg.labels, { rows: null }) }, labelMapGeometry: seg.geometryReport, provider: 'given' };
  }
  const model = await ctx.model();
  if (model.sha256 !== m.modelSha256) {
    throw new AppError('MODEL_INVALID', `Model ${m.modelId} changed since the run was planned (sha256 ${model.sha256.slice(0, 12)}…): plan the run again.`);
  }
  checkModelFits(model, { modality: loaded.modality, bodyPart: loaded.bodyPart }, false);
  const job = startSegmentation(loaded.volume, model, { device: 'cpu', threads: ctx.threads });
  const onAbort = (): void => job.cancel();
  ctx.signal?.addEventListener('abort', onAbort);
  try {
    const result = await job.promise;
    return { labelMap: result.labelMap, provider: result.provider };
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

/** One case → its rows. Never throws for a bad case: the error becomes the case's row. */
export async function runCase(ctx: CaseContext, c: PlannedCase): Promise<BatchRow[]> {
  const started = performance.now();
  const plan = ctx.plan;
  const prov = (geometryStatus: string, provider: string): RowProvenance => ({
    method: plan.method,
    geometryStatus,
    provider,
    softwareVersion: plan.softwareVersion,
    computationVersion: plan.computationVersion,
    seconds: Math.round(performance.now() - started) / 1000,
  });
  const unreadableNote = c.unreadable.length > 0 ? ` Unreadable files in its folder: ${c.unreadable.join('; ')}.` : '';
  if (c.planError) return [failedCaseRow(c, { code: c.planError.code, message: c.planError.message + unreadableNote }, prov('', ''))];
  let geometryStatus = '';
  let provider = '';
  try {
    const loaded = await loadCase(c);
    geometryStatus = loaded.geometry.status;
    // the one gate: no mm or mL for this case, and no label map made for nothing
    requirePhysicalUnits(loaded.geometry, 'Measurements in mm and mL');
    const made = await labelMapFor(ctx, c, loaded);
    provider = made.provider;
    const measured = measureSegmentation(loaded.volume, made.labelMap, loaded.geometry, { connectivity: plan.connectivity }, made.labelMapGeometry);
    return measuredCaseRows(c, measurementRows(measured), prov(geometryStatus, provider));
  } catch (err) {
    if (ctx.signal?.aborted) throw new AppError('CANCELLED', 'The run was stopped.');
    const e = toErrorData(err);
    return [failedCaseRow(c, { code: e.code, message: e.message + unreadableNote }, prov(geometryStatus, provider))];
  }
}

export interface ShardOptions {
  /** Which shard's cases to run; null runs every case of the plan. */
  shard: number | null;
  threads?: number;
  signal?: AbortSignal;
  onCaseDone?: (c: PlannedCase, rows: BatchRow[]) => void;
}

/** Runs the shard's cases that are not done yet; returns how many it ran. Stops between cases when aborted. */
export async function runShard(outDir: string, plan: BatchPlan, opts: ShardOptions): Promise<{ ran: number; skipped: number }> {
  mkdirSync(path.join(outDir, CASES_DIR), { recursive: true });
  let model: Promise<ModelFolder> | undefined;
  const ctx: CaseContext = {
    plan,
    threads: opts.threads ?? 1,
    signal: opts.signal,
    model: () =>
      (model ??= plan.method.kind === 'model' ? resolveModel(plan.modelRef ?? plan.method.modelId) : Promise.reject(new AppError('INTERNAL', 'no model'))),
  };
  let ran = 0;
  let skipped = 0;
  for (const c of plan.cases) {
    if (opts.shard !== null && c.shard !== opts.shard) continue;
    if (readCaseRecord(outDir, c.caseKey)) {
      skipped++;
      continue;
    }
    if (opts.signal?.aborted) break;
    let rows: BatchRow[];
    try {
      rows = await runCase(ctx, c);
    } catch (err) {
      if (err instanceof AppError && err.code === 'CANCELLED') break;
      throw err;
    }
    const seconds = rows.reduce((s, r) => Math.max(s, r.seconds), 0);
    writeFileAtomicSync(caseFile(outDir, c.caseKey), JSON.stringify({ caseKey: c.caseKey, shard: c.shard, seconds, rows } satisfies CaseRecord) + '\n');
    ran++;
    opts.onCaseDone?.(c, rows);
  }
  return { ran, skipped };
}
