// The composition root of the method table (shared/ipc/contract.ts): one service per area (catalog, analysis,
// editing), composed into the table the adapters serve through main/adapters/dispatch.ts, and its orderly close().
// No electron import here.
import { AppError } from '../../shared/errors.js';
import type { BinaryBox, BinaryKind } from '../../shared/ipc/contract.js';
import { sameGrid } from '../../shared/domain/volume.js';
import { bytesOf, dtypeOf } from '../../shared/domain/dtypes.js';
import { getSeriesRecord } from '../db/catalog.js';
import type { BinaryResource, CallContext, MethodImpls, ServiceDeps, ServiceTable } from './types.js';
import { createAnalysisService } from './analysis.js';
import { createCatalogService } from './catalog.js';
import { createEditingService } from './edit.js';
import { createModelService } from './models.js';
import { createPlanningService } from './planning.js';
import { createExportService } from './export.js';
import { createTimelineService } from './timeline.js';
import { createProgressiveService } from './progressive.js';
import { createAnnotationService } from './annotations.js';
import { createBodycompService } from './bodycomp.js';

export type { ServiceDeps } from './types.js';

/** How long close() waits for calls already running before it closes the database under them. */
export const CLOSE_GRACE_MS = 5000;

export function createServiceTable(deps: ServiceDeps): ServiceTable {
  const { db } = deps;
  const catalog = createCatalogService(deps);
  const editing = createEditingService(db, deps.editSessions);
  // Measure and compare what the viewer shows: the label map with every committed edit.
  const analysis = createAnalysisService({
    db,
    labelMapOf: (segmentationId) => editing.editedLabelMap(segmentationId),
    labelMapVersionOf: (segmentationId) => editing.labelMapVersion(segmentationId),
  });
  const planning = createPlanningService({
    db,
    labelMapOf: (segmentationId) => editing.editedLabelMap(segmentationId),
    labelMapVersionOf: (segmentationId) => editing.labelMapVersion(segmentationId),
  });
  const exporting = createExportService(db);
  const progressive = createProgressiveService(db);
  const annotations = createAnnotationService({ db });
  const bodycomp = createBodycompService({ db, labelMapOf: (segmentationId) => editing.editedLabelMap(segmentationId) });
  let closing: Promise<void> | null = null;
  const inFlight = new Set<Promise<unknown>>();
  const open = (): void => {
    if (closing) throw new AppError('CANCELLED', 'medseg is shutting down; the request was not run.');
  };
  const models = createModelService({ db });
  const timeline = createTimelineService(db);
  const served: MethodImpls = {
    ...catalog.methods,
    ...analysis.methods,
    ...editing.methods,
    ...models,
    ...planning.methods,
    ...exporting.methods,
    ...timeline.methods,
    ...progressive.methods,
    ...annotations.methods,
    ...bodycomp.methods,
  };
  // Every entry refuses once close() began: nothing may start on a database about to close.
  const methods = Object.fromEntries(
    Object.entries(served).map(([name, impl]) => [
      name,
      async (input: never, ctx: CallContext) => {
        open();
        const call = (impl as (i: never, c: CallContext) => Promise<unknown>)(input, ctx);
        inFlight.add(call);
        try {
          return await call;
        } finally {
          inFlight.delete(call);
        }
      },
    ]),
  ) as unknown as MethodImpls;

  const readBinary = async (kind: BinaryKind, resourceId: number, box?: BinaryBox, sliceK?: number): Promise<BinaryResource> => {
    open();
    if (kind === 'volume-slice') {
      if (sliceK === undefined) throw new AppError('INVALID_INPUT', 'a volume slice needs its index k');
      return progressive.readVolumeSlice(resourceId, sliceK);
    }
    if (kind === 'labelmap' && box) return editing.labelsInBox(resourceId, box);
    if (kind === 'thumbnail') return catalog.readThumbnail(resourceId);
    if (kind === 'labelmap-preview') return analysis.readPreview(resourceId);
    if (kind === 'volume') return catalog.readVolume(resourceId);
    if (kind === 'mesh-vertices' || kind === 'mesh-triangles') return planning.readMesh(kind, resourceId);
    // The edited state (live session or journal), so a reload shows every committed stroke.
    const { seriesId, labelMap } = editing.editedLabelMap(resourceId);
    const series = getSeriesRecord(db, seriesId);
    // An overlay drawn on a grid other than its series' would put labels on the wrong anatomy: refuse it.
    if (!sameGrid(labelMap, { dims: series.dims, spacingMm: series.spacingMm, originLps: series.originLps, directionLps: series.directionLps }, 0.01)) {
      throw new AppError('INCONSISTENT_GEOMETRY', `Segmentation ${resourceId} is not on the grid of series ${seriesId}.`);
    }
    const l = labelMap.labels;
    return { bytes: bytesOf(l), dtype: dtypeOf(l) };
  };

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await analysis.cancelAll();
      // Calls already running (an import between two files, a stroke) get a moment to finish; a long one is cut
      // short by the closed database between two statements, and each statement's transaction is atomic.
      await settledWithin([...inFlight], deps.closeGraceMs ?? CLOSE_GRACE_MS);
      await analysis.cancelAll(); // a segment.start that was resolving its model meanwhile has a job now
      await editing.closeAll();
      db.close();
    })());

  return { methods, readBinary, close };
}

function settledWithin(calls: Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Not unref'd: the wait is bounded, and the process must not exit before the database is closed.
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([Promise.allSettled(calls).then(() => undefined), grace]).finally(() => clearTimeout(timer));
}
