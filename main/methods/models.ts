// The model-management entries of the method table: nnU-Net import and the models that suit a series.
import { AppError } from '../../shared/errors.js';
import { sliceOrientation } from '../../shared/domain/inference/modelChoice.js';
import { getSeriesRecord } from '../db/catalog.js';
import { listModels } from '../services/inference/registry.js';
import { importNnunetModel } from '../services/inference/nnunetImport.js';
import { checkModelFits } from '../services/inference/segmentSeries.js';
import type { Database } from 'better-sqlite3';
import type { MethodImpls } from './types.js';

type ModelMethodName = 'models.import' | 'models.suggest';

export interface ModelDeps {
  db: Database;
  /** Where models are looked up (default bundled + user folder); an import goes to the last one. */
  modelRoots?: string[];
}

export function createModelService(deps: ModelDeps): Pick<MethodImpls, ModelMethodName> {
  const { db } = deps;
  return {
    'models.import': async ({ path, id, modality, folds }) => {
      const roots = deps.modelRoots;
      const r = await importNnunetModel(path, { id, modality, folds, modelsDir: roots?.at(-1), existingRoots: roots });
      const m = r.model.manifest;
      return {
        id: r.id,
        dimensions: m.dimensions,
        modality: m.modality,
        labels: m.labels.map((l) => ({ value: l.value, name: l.name, kind: l.kind })),
        folds: r.description.folds.map((f) => f.name),
        configuration: r.description.configuration,
      };
    },

    'models.suggest': async ({ seriesId }) => {
      const series = getSeriesRecord(db, seriesId);
      const listing = await listModels(deps.modelRoots);
      const models = listing.models.map((model) => {
        let reason: string | null = null;
        try {
          // the same rule that refuses a run (modality, then orientation for models that need one)
          checkModelFits(model, { modality: series.modality, directionLps: series.directionLps }, false);
        } catch (err) {
          if (!(err instanceof AppError) || err.code !== 'MODALITY_MISMATCH') throw err;
          reason = err.message;
        }
        const m = model.manifest;
        return { id: m.id, name: m.name, modality: m.modality, dimensions: m.dimensions, fits: reason === null, reason };
      });
      // stable: the suitable ones first, each group in listing order (bundled first)
      models.sort((a, b) => Number(b.fits) - Number(a.fits));
      return { seriesModality: series.modality, sliceOrientation: sliceOrientation(series.directionLps), models };
    },
  };
}
