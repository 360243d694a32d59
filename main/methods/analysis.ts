// The analysis entries of the method table (shared/ipc/contract-analysis.ts): model runs as background jobs with
// progress events, measurements (stored, exported), classical tools (transient binary preview, stored apply), comparison.
import type { Database } from 'better-sqlite3';
import type { analysisMethods, ClassicalToolInput, MeasurementWire } from '../../shared/ipc/contract-analysis.js';
import { AppError, toErrorData } from '../../shared/errors.js';
import type { LabelMap } from '../../shared/domain/labelMap.js';
import { runClassicalTool, type ClassicalToolResult } from '../../shared/domain/classical/runTool.js';
import { sobelMagnitude } from '../../shared/domain/classical/sobel.js';
import { measurementCsv } from '../../shared/domain/measure/export.js';
import { intensityUnitFor } from '../../shared/domain/intensityUnit.js';
import type { MeasurementResult } from '../../shared/domain/measure/measureLabels.js';
import { labelIntensityHistogram } from '../../shared/domain/measure/histogram.js';
import { listSegmentations, saveSegmentation, countLabels, seriesIdOfSegmentation } from '../db/segmentations.js';
import { instanceHistory, listMeasurementRuns, loadMeasurements, saveMeasurements, type MeasurementRun } from '../db/measurements.js';
import { readJournal } from '../db/edits.js';
import { loadEditedLabelMap } from '../services/editing/session.js';
import { getSeriesRecord } from '../db/catalog.js';
import { requirePhysicalUnits } from '../../shared/domain/geometryGate.js';
import { compareSegmentations, labelNamesOf, measureSegmentation } from '../services/measure/measure.js';
import { loadSeriesVolume } from '../services/series/volumes.js';
import { listModels, resolveModel } from '../services/inference/registry.js';
import { assertGeometrySegmentable, checkModelFits, segmentSeries, type SeriesSegmentationJob } from '../services/inference/segmentSeries.js';
import type { CallContext, BinaryResource, MethodImpls } from './types.js';

type AnalysisMethodName = keyof typeof analysisMethods;

export interface AnalysisDeps {
  db: Database;
  /** Model folders to search (default: bundled + user). Tests pass fixture folders. */
  modelRoots?: string[];
  /** Where model runs execute (default: worker thread when built). */
  inferenceMode?: 'auto' | 'worker' | 'in-process';
  threads?: number;
  /**
   * The label map as the user sees it (with committed edits) and its edit-journal position, read together;
   * default: rebuilt from the journal.
   */
  labelMapOf?: (segmentationId: number) => { seriesId: number; labelMap: LabelMap; labelMapVersion: number };
  /** The journal position the label map is at now; default: the stored cursor. */
  labelMapVersionOf?: (segmentationId: number) => number;
}

export interface AnalysisService {
  methods: Pick<MethodImpls, AnalysisMethodName>;
  /** Binary 'labelmap-preview/<previewId>'. */
  readPreview(previewId: number): BinaryResource;
  /** Cancels every running job (shutdown); resolves once each has settled, so none writes after the DB closes. */
  cancelAll(): Promise<void>;
}

/** Model ids are names: letters, digits, '.', '_', '-'; never a path (no '/', '\\', nor a leading dot). */
const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Previews are transient: a user tries a few ranges, keeps one; older ones go (by count and by memory). */
const MAX_PREVIEWS = 4;
const MAX_PREVIEW_BYTES = 256 * 1024 * 1024;
/** Progress events at most this often (a 2D model on a big series has thousands of tiles). */
const PROGRESS_INTERVAL_MS = 150;

export function createAnalysisService(deps: AnalysisDeps): AnalysisService {
  const { db } = deps;
  const jobs = new Map<number, SeriesSegmentationJob>();
  let nextJobId = 1;
  const previews = new Map<number, { seriesId: number; labels: Uint8Array }>();
  let nextPreviewId = 1;

  const labelMapVersionOf = deps.labelMapVersionOf ?? ((segmentationId: number) => readJournal(db, segmentationId)?.cursorSeq ?? 0);
  const labelMapOf =
    deps.labelMapOf ??
    ((segmentationId: number) =>
      db.transaction(() => ({
        seriesId: seriesIdOfSegmentation(db, segmentationId) ?? -1,
        labelMap: loadEditedLabelMap(db, segmentationId),
        labelMapVersion: labelMapVersionOf(segmentationId),
      }))());

  /** Whether a stored run no longer describes the label map (edited since; or measured before versions were kept). */
  const freshness = (run: MeasurementRun) => {
    const current = labelMapVersionOf(run.segmentationId);
    return { runId: run.id, labelMapVersion: run.labelMapVersion, currentLabelMapVersion: current, stale: run.labelMapVersion !== current };
  };

  const runTool = async (seriesId: number, params: ClassicalToolInput, gate?: string): Promise<ClassicalToolResult> => {
    const { volume, geometry } = await loadSeriesVolume(db, seriesId);
    // A stored result is measured in mL later: it passes the same gate as measure (a preview does not need to).
    if (gate) requirePhysicalUnits(geometry, gate);
    if (params.tool === 'regionGrow' && params.tolerance === undefined && (params.loValue === undefined || params.hiValue === undefined)) {
      throw new AppError('INVALID_INPUT', 'Region growing needs a tolerance, or both a low and a high value.');
    }
    if (
      (params.tool === 'threshold' || params.tool === 'regionGrow') &&
      params.loValue !== undefined &&
      params.hiValue !== undefined &&
      params.loValue > params.hiValue
    ) {
      throw new AppError('INVALID_INPUT', `The range ${params.loValue}..${params.hiValue} is empty (low above high).`);
    }
    try {
      return runClassicalTool(volume, params);
    } catch (err) {
      // The tools throw plain errors for bad requests (seed outside the grid, ROI off the volume).
      if (err instanceof AppError) throw err;
      throw new AppError('INVALID_INPUT', err instanceof Error ? err.message : String(err));
    }
  };

  const measure = async (segmentationId: number, connectivity: 6 | 26): Promise<{ result: MeasurementResult; runId: number; labelMapVersion: number }> => {
    // The version is read with the map: if an edit lands while this runs, the run is stored as of the older
    // version and shows as out of date at once.
    const { seriesId, labelMap, labelMapVersion } = labelMapOf(segmentationId);
    const loaded = await loadSeriesVolume(db, seriesId);
    // Lesion numbers carry over from the previous run (shared/domain/measure/instanceIdentity.ts).
    const history = instanceHistory(db, segmentationId);
    const result = measureSegmentation(loaded.volume, labelMap, loaded.geometry, {
      connectivity,
      previousInstances: history.previous,
      firstNewInstanceId: history.firstNewId,
    });
    const runId = saveMeasurements(db, segmentationId, result, labelMapVersion);
    return { result, runId, labelMapVersion };
  };

  const methods: Pick<MethodImpls, AnalysisMethodName> = {
    'models.list': async () => {
      const listing = await listModels(deps.modelRoots);
      return {
        models: listing.models.map((m) => ({
          id: m.manifest.id,
          name: m.manifest.name,
          version: m.manifest.version,
          modality: m.manifest.modality,
          dimensions: m.manifest.dimensions,
          description: m.manifest.description ?? null,
          sha256: m.sha256,
          labels: m.manifest.labels.map((l) => ({ value: l.value, name: l.name, kind: l.kind })),
        })),
        invalid: listing.invalid.map((i) => ({ dir: i.dir, message: i.message })),
      };
    },

    'segment.start': async ({ seriesId, modelId, device, allowModalityMismatch }, ctx: CallContext) => {
      // A caller names a model; only the CLI, run by the user on their own machine, may load a folder by path.
      if (!MODEL_ID_PATTERN.test(modelId))
        throw new AppError('INVALID_INPUT', `"${modelId.slice(0, 80)}" is not a model id (a name such as abdomen-ct, not a path).`);
      const series = getSeriesRecord(db, seriesId); // NOT_FOUND before a job exists
      const model = await resolveModel(modelId, deps.modelRoots);
      // refusals before a job exists too (unsafe geometry first: no override helps there), so the caller learns
      // them from this call; the body region is checked by the job, which reads the files
      assertGeometrySegmentable(series.geometry);
      checkModelFits(model, { modality: series.modality, directionLps: series.directionLps }, allowModalityMismatch === true);
      const jobId = nextJobId++;
      let lastSent = 0;
      const job = segmentSeries(db, seriesId, model, {
        allowModalityMismatch,
        device,
        threads: deps.threads,
        mode: deps.inferenceMode,
        onProgress: (p) => {
          const now = Date.now();
          if (p.tilesDone < p.tilesTotal && now - lastSent < PROGRESS_INTERVAL_MS) return;
          lastSent = now;
          ctx.emit('segment.progress', { jobId, tilesDone: p.tilesDone, tilesTotal: p.tilesTotal, etaSeconds: p.etaSeconds });
        },
      });
      jobs.set(jobId, job);
      job.promise
        .then(
          ({ segmentationId }) => ctx.emit('segment.done', { jobId, segmentationId }),
          (err: unknown) => {
            const e = toErrorData(err);
            ctx.emit('segment.done', { jobId, error: { code: e.code, message: e.message } });
          },
        )
        .finally(() => jobs.delete(jobId));
      return { jobId };
    },

    'segment.cancel': async ({ jobId }) => {
      const job = jobs.get(jobId);
      if (!job) return { cancelled: false };
      job.cancel();
      return { cancelled: true };
    },

    'segmentations.provenance': async ({ seriesId }) => {
      getSeriesRecord(db, seriesId);
      return {
        segmentations: listSegmentations(db, seriesId).map((s) => ({
          segmentationId: s.id,
          name: s.name,
          source: s.source,
          createdAt: s.createdAt,
          model: s.model ?? null,
          provider: s.provider ?? null,
          seconds: s.seconds ?? null,
          modalityOverride: modalityOverrideOf(s.params),
        })),
      };
    },

    'measure.segmentation': async ({ segmentationId, connectivity }) => {
      const { result, runId, labelMapVersion } = await measure(segmentationId, connectivity);
      return measurementWire(segmentationId, runId, result, labelMapVersion);
    },

    'measure.freshness': async ({ segmentationId, runId }) => {
      const run = listMeasurementRuns(db, segmentationId).find((r) => r.id === runId);
      if (!run) throw new AppError('NOT_FOUND', `Segmentation ${segmentationId} has no measurement run ${runId}.`);
      return freshness(run);
    },

    'measure.histogram': async ({ segmentationId, labelValue, bins, loValue, hiValue }) => {
      const { seriesId, labelMap } = labelMapOf(segmentationId);
      const { volume } = await loadSeriesVolume(db, seriesId);
      if (labelMap.labels.length !== volume.voxels.length) throw new AppError('INVALID_INPUT', 'The segmentation is not on its series grid.');
      let lo = Infinity;
      let hi = -Infinity;
      let voxels = 0;
      const labels = labelMap.labels;
      const values = volume.voxels;
      for (let p = 0; p < labels.length; p++) {
        if (labels[p] !== labelValue) continue;
        voxels++;
        const v = values[p];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (voxels === 0) return { loValue: loValue ?? 0, binWidth: 1, counts: new Array<number>(bins).fill(0), voxels: 0, below: 0, above: 0 };
      if (loValue !== undefined) lo = loValue;
      if (hiValue !== undefined) hi = hiValue;
      if (!(hi > lo)) hi = lo + 1;
      const h = labelIntensityHistogram(labels, values, labelValue, { loValue: lo, hiValue: hi, bins });
      return { loValue: h.loValue, binWidth: h.binWidth, counts: Array.from(h.counts), voxels, below: h.below, above: h.above };
    },

    'measure.export': async ({ segmentationId, format }) => {
      let run = listMeasurementRuns(db, segmentationId)[0];
      if (!run) {
        await measure(segmentationId, 6);
        run = listMeasurementRuns(db, segmentationId)[0];
      }
      if (!run) throw new AppError('INTERNAL', 'measurement run vanished after saving');
      // An export never writes old numbers as current: figures of an edited label map are refused, not relabelled.
      const fresh = freshness(run);
      if (fresh.stale) {
        const measured = run.labelMapVersion === null ? 'an unrecorded version' : `version ${run.labelMapVersion}`;
        throw new AppError(
          'STALE_RESULT',
          `The stored measurements of segmentation ${segmentationId} (run ${run.id}) are out of date: they were computed on ${measured} of its ` +
            `label map, which has been edited since (now version ${fresh.currentLabelMapVersion}). Measure again, then export.`,
        );
      }
      const { rows } = loadMeasurements(db, run.id);
      // Exported numbers are mm and mL: the stored run's geometry passes the gate again (e.g. runs stored before it).
      requirePhysicalUnits({ status: run.geometry.status, findings: run.geometry.findings }, 'Exporting measurements in mm and mL');
      // the unit of the intensity columns follows the series' modality: MR signal is never "HU"
      const intensityUnit = intensityUnitFor(getSeriesRecord(db, labelMapOf(segmentationId).seriesId).modality);
      const fileName = `segmentation-${segmentationId}-measurements.${format}`;
      if (format === 'csv') return { format, fileName, text: measurementCsv(rows, intensityUnit) };
      return { format, fileName, text: JSON.stringify({ segmentationId, run, intensityUnit, rows }, null, 2) };
    },

    'classical.preview': async ({ seriesId, params }) => {
      const r = await runTool(seriesId, params);
      const previewId = keepPreview(seriesId, r.labelMap.labels as Uint8Array);
      const counts = countLabels(r.labelMap.labels);
      return {
        previewId,
        seriesId,
        labels: r.labelMap.table.map((l) => ({ ...l, voxels: counts.get(l.value) ?? 0 })),
        params: jsonSafe(r.params),
      };
    },

    'classical.edgeMap': async ({ seriesId, minGradientPerMm: t }) => {
      const { volume, modality, geometry } = await loadSeriesVolume(db, seriesId);
      // Gradients per mm need the mm spacing.
      requirePhysicalUnits(geometry, 'An edge map in units per mm');
      const magnitude = sobelMagnitude(volume);
      const labels = new Uint8Array(magnitude.length);
      const counts = [0, 0, 0, 0, 0];
      for (let p = 0; p < magnitude.length; p++) {
        const g = magnitude[p];
        const band = g >= 8 * t ? 4 : g >= 4 * t ? 3 : g >= 2 * t ? 2 : g >= t ? 1 : 0;
        labels[p] = band;
        counts[band]++;
      }
      const previewId = keepPreview(seriesId, labels);
      const unit = modality === 'CT' ? 'HU/mm' : 'units/mm';
      return {
        previewId,
        seriesId,
        labels: EDGE_BANDS.map((colorRgb, n) => ({
          value: n + 1,
          name: `gradient ≥ ${+(t * 2 ** n).toPrecision(4)} ${unit}`,
          colorRgb,
          kind: 'other' as const,
          voxels: counts[n + 1],
        })),
        params: { tool: 'sobel', minGradientPerMm: t },
      };
    },

    'classical.apply': async ({ seriesId, params, name }) => {
      const r = await runTool(seriesId, params, 'Storing a classical segmentation (measured in mm and mL)');
      const segmentationId = saveSegmentation(db, {
        seriesId,
        source: 'classical',
        name: name ?? defaultToolName(params),
        labelMap: r.labelMap,
        params: jsonSafe(r.params),
      });
      return { segmentationId };
    },

    'compare.segmentations': async ({ a, b }) => {
      if (a === b) throw new AppError('INVALID_INPUT', `A and B are the same segmentation (#${a}): choose two different ones.`);
      const mapA = labelMapOf(a);
      const mapB = labelMapOf(b);
      const A = mapA.labelMap;
      const B = mapB.labelMap;
      // HD95 in mm passes the same gate as measure: the series geometry of the grid both maps lie on.
      const { geometry } = await loadSeriesVolume(db, mapA.seriesId);
      const cmp = compareSegmentations(A, B, geometry, { a: labelNamesOf(A.table), b: labelNamesOf(B.table) });
      const nameIn = (m: LabelMap, v: number | null): string | null => (v === null ? null : (m.table.find((l) => l.value === v)?.name ?? null));
      return {
        pixelAccuracy: cmp.pixelAccuracy,
        pairedBy: cmp.pairedBy,
        hd95Unit: cmp.hd95Unit,
        geometryStatus: geometry.status,
        warnings: cmp.warnings.map((w) => ({ code: w.code, message: w.message })),
        labels: cmp.labels.map((l) => ({
          value: (l.valueA ?? l.valueB) as number,
          valueA: l.valueA,
          valueB: l.valueB,
          nameA: nameIn(A, l.valueA),
          nameB: nameIn(B, l.valueB),
          voxelsA: l.voxelsA,
          voxelsB: l.voxelsB,
          dice: l.dice,
          iou: l.iou,
          hd95Mm: finiteOrNull(l.hd95Mm),
          hd95Voxels: finiteOrNull(l.hd95Voxels),
        })),
      };
    },
  };

  function keepPreview(seriesId: number, labels: Uint8Array): number {
    const previewId = nextPreviewId++;
    previews.set(previewId, { seriesId, labels });
    let bytes = 0;
    for (const p of previews.values()) bytes += p.labels.byteLength;
    // The newest preview always stays: it is the one the viewer is about to fetch.
    while (previews.size > 1 && (previews.size > MAX_PREVIEWS || bytes > MAX_PREVIEW_BYTES)) {
      const oldest = previews.keys().next().value as number;
      bytes -= previews.get(oldest)!.labels.byteLength;
      previews.delete(oldest);
    }
    return previewId;
  }

  return {
    methods,
    readPreview(previewId) {
      const p = previews.get(previewId);
      if (!p) throw new AppError('NOT_FOUND', `Preview ${previewId} is gone (only the latest ${MAX_PREVIEWS} are kept): run the tool again.`);
      return { bytes: p.labels, dtype: 'uint8' };
    },
    async cancelAll() {
      const running = [...jobs.values()];
      for (const job of running) job.cancel();
      await Promise.allSettled(running.map((job) => job.promise));
    },
  };
}

/** Edge bands from faint to strong: dim blue to light blue, then amber, so strong edges stand out over grey anatomy. */
const EDGE_BANDS: [number, number, number][] = [
  [40, 70, 160],
  [60, 140, 230],
  [150, 220, 255],
  [255, 200, 60],
];

function defaultToolName(p: ClassicalToolInput): string {
  if (p.tool === 'threshold') return `threshold ${p.loValue}..${p.hiValue}`;
  if (p.tool === 'regionGrow') return `region grow from [${p.seedIjk.join(', ')}]`;
  return `k-means k=${p.k}`;
}

function finiteOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Params go to JSON (DB and wire): typed arrays become plain arrays, non-finite numbers null. */
function jsonSafe(params: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(params, (_k, v: unknown) =>
      ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : typeof v === 'number' && !Number.isFinite(v) ? null : v,
    ),
  ) as Record<string, unknown>;
}

/** The measurement result as the contract carries it: no NaN/Infinity (null instead), geometry status always. */
export function measurementWire(segmentationId: number, runId: number, r: MeasurementResult, labelMapVersion: number): MeasurementWire {
  const f = finiteOrNull;
  return {
    segmentationId,
    runId,
    labelMapVersion,
    computationVersion: r.computationVersion,
    connectivity: r.connectivity,
    geometry: {
      status: r.geometry.status,
      findings: r.geometry.findings.map((x) => ({ code: x.code, severity: x.severity, message: x.message })),
      spacingMm: r.geometry.spacingMm,
      voxelVolumeMl: r.geometry.voxelVolumeMl,
      warnings: (r.geometry.warnings ?? []).map((w) => ({ code: w.code, message: w.message })),
      labelMapResampled: r.geometry.labelMapPlacement?.resampled ?? false,
      resampleMethod: r.geometry.labelMapPlacement?.method ?? null,
      seriesCoveredFraction: r.geometry.labelMapPlacement?.seriesCoveredFraction ?? 1,
    },
    labels: r.labels.map((l) => ({
      value: l.value,
      name: l.name,
      kind: l.kind,
      voxels: l.voxels,
      volumeMl: l.volumeMl,
      volumeMlLower: l.volumeMlLower,
      volumeMlUpper: l.volumeMlUpper,
      centroidLps: l.centroidLps,
      maxDiameterMm: f(l.maxDiameterMm),
      touchesScanEdge: l.touchesScanEdge,
      stats: l.stats
        ? {
            mean: f(l.stats.mean),
            sd: f(l.stats.sd),
            min: f(l.stats.min),
            max: f(l.stats.max),
            median: f(l.stats.median),
            p5: f(l.stats.p5),
            p95: f(l.stats.p95),
          }
        : null,
      instances: l.instances.map((i) => ({
        id: i.id,
        anchorIjk: i.anchorIjk,
        voxels: i.voxels,
        volumeMl: i.volumeMl,
        volumeMlLower: i.volumeMlLower,
        volumeMlUpper: i.volumeMlUpper,
        centroidLps: i.centroidLps,
        recistLongMm: f(i.recistLongMm),
        recistShortMm: f(i.recistShortMm),
        // Axes exist only where the lesion has an extent in the plane (a single voxel has none).
        recistLongEndpointsLps: i.recistLongMm > 0 ? i.recistLongEndpointsLps : null,
        recistShortEndpointsLps: i.recistShortMm > 0 ? i.recistShortEndpointsLps : null,
        maxDiameterMm: f(i.maxDiameterMm),
      })),
    })),
  };
}

/** The mismatch the user overrode for this run (params.modalityCheck, stored by saveModelSegmentation), or null. */
function modalityOverrideOf(params: unknown): string | null {
  const check = (params as { modalityCheck?: { mismatchAllowed?: unknown; mismatch?: unknown } } | undefined)?.modalityCheck;
  return check?.mismatchAllowed === true && typeof check.mismatch === 'string' ? check.mismatch : null;
}
