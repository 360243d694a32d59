// bodycomp.compute of the method table (shared/ipc/contract-bodycomp.ts): a series' tissue and vertebra label maps
// (as the viewer shows them, committed edits included) measured by measureBodyComposition, the service behind
// `medseg bodycomp`, on the series' own voxels and geometry report.
import type { Database } from 'better-sqlite3';
import type { bodycompMethods } from '../../shared/ipc/contract-bodycomp.js';
import { intensityUnitFor } from '../../shared/domain/intensityUnit.js';
import type { LabelMap } from '../../shared/domain/labelMap.js';
import { AppError } from '../../shared/errors.js';
import { measureBodyComposition, namedLabelsOfMap } from '../services/measure/bodyComposition.js';
import { loadSeriesVolume } from '../services/series/volumes.js';
import type { MethodImpls } from './types.js';

type BodycompMethodName = keyof typeof bodycompMethods;

export function createBodycompService(deps: {
  db: Database;
  labelMapOf: (segmentationId: number) => { seriesId: number; labelMap: LabelMap; labelMapVersion: number };
}): { methods: Pick<MethodImpls, BodycompMethodName> } {
  const { db, labelMapOf } = deps;
  /** A stored map of this series (NOT_FOUND for an unknown id, INVALID_INPUT for another series' map). */
  const mapOf = (seriesId: number, segmentationId: number) => {
    const loaded = labelMapOf(segmentationId);
    if (loaded.seriesId !== seriesId)
      throw new AppError('INVALID_INPUT', `Segmentation ${segmentationId} belongs to series ${loaded.seriesId}, not ${seriesId}.`);
    return loaded;
  };
  return {
    methods: {
      'bodycomp.compute': async ({ seriesId, tissuesSegmentationId, vertebraeSegmentationId, slice }) => {
        const tissues = mapOf(seriesId, tissuesSegmentationId);
        const oneMap = vertebraeSegmentationId === undefined || vertebraeSegmentationId === tissuesSegmentationId;
        const vertebrae = oneMap ? tissues : mapOf(seriesId, vertebraeSegmentationId);
        const { volume, geometry, modality } = await loadSeriesVolume(db, seriesId);
        const vertebraLabels = namedLabelsOfMap(vertebrae.labelMap, geometry, 'vertebrae');
        if (vertebraLabels.names.size === 0)
          throw new AppError(
            'NOT_FOUND',
            `Segmentation ${oneMap ? tissuesSegmentationId : vertebraeSegmentationId} has no vertebra-named label (vertebrae_L3 or L3 …): the levels cannot be found.`,
          );
        const tissueLabels = namedLabelsOfMap(tissues.labelMap, geometry, oneMap ? 'tissues' : 'all');
        const report = measureBodyComposition(volume, geometry, intensityUnitFor(modality), tissueLabels, vertebraLabels, slice);
        return {
          ...report,
          provenance: {
            tissuesSegmentationId,
            tissuesLabelMapVersion: tissues.labelMapVersion,
            vertebraeSegmentationId: vertebraeSegmentationId ?? tissuesSegmentationId,
            vertebraeLabelMapVersion: vertebrae.labelMapVersion,
          },
        };
      },
    },
  };
}
