// The composition root of the method table (shared/ipc/contract.ts): one service per area (catalog, analysis,
// editing), composed into the table the adapters serve through main/adapters/dispatch.ts. No electron import here.
import { AppError } from '../../shared/errors.js';
import type { BinaryBox, BinaryKind } from '../../shared/ipc/contract.js';
import { sameGrid } from '../../shared/domain/volume.js';
import { bytesOf, dtypeOf } from '../../shared/domain/dtypes.js';
import { getSeriesRecord } from '../db/catalog.js';
import type { BinaryResource, MethodImpls, ServiceDeps, ServiceTable } from './types.js';
import { createAnalysisService } from './analysis.js';
import { createCatalogService } from './catalog.js';
import { createEditingService } from './edit.js';

export type { ServiceDeps } from './types.js';

export function createServiceTable(deps: ServiceDeps): ServiceTable {
  const { db } = deps;
  const catalog = createCatalogService(deps);
  const editing = createEditingService(db);
  // Measure and compare what the viewer shows: the label map with every committed edit.
  const analysis = createAnalysisService({ db, labelMapOf: (segmentationId) => editing.editedLabelMap(segmentationId) });
  const methods: MethodImpls = { ...catalog.methods, ...analysis.methods, ...editing.methods };

  const readBinary = async (kind: BinaryKind, resourceId: number, box?: BinaryBox): Promise<BinaryResource> => {
    if (kind === 'labelmap' && box) return editing.labelsInBox(resourceId, box);
    if (kind === 'thumbnail') return catalog.readThumbnail(resourceId);
    if (kind === 'labelmap-preview') return analysis.readPreview(resourceId);
    if (kind === 'volume') return catalog.readVolume(resourceId);
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

  return { methods, readBinary };
}
