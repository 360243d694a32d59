// planning.* of the method table (shared/ipc/contract-planning.ts): surface meshes, distances, resections and plans.
import type { Database } from 'better-sqlite3';
import type { planningMethods } from '../../shared/ipc/contract-planning.js';
import type { LabelMap } from '../../shared/domain/labelMap.js';
import { AppError } from '../../shared/errors.js';
import { getSeriesRecord } from '../db/catalog.js';
import { labelMeshes, MeshCache } from '../services/planning/meshes.js';
import type { BinaryResource, MethodImpls } from './types.js';

type PlanningMethodName = keyof typeof planningMethods;

export interface PlanningService {
  methods: Pick<MethodImpls, PlanningMethodName>;
  readMesh(kind: 'mesh-vertices' | 'mesh-triangles', meshId: number): BinaryResource;
}

export function createPlanningService(deps: {
  db: Database;
  labelMapOf: (segmentationId: number) => { seriesId: number; labelMap: LabelMap; labelMapVersion: number };
}): PlanningService {
  const { db, labelMapOf } = deps;
  const cache = new MeshCache();
  const notYet = (name: string) => async (): Promise<never> => {
    throw new AppError('INVALID_INPUT', `${name} is not available yet.`);
  };
  const methods: Pick<MethodImpls, PlanningMethodName> = {
    'planning.mesh': async ({ segmentationId, labelValues, targetTriangles }) => {
      const { seriesId, labelMap, labelMapVersion } = labelMapOf(segmentationId);
      const geometry = getSeriesRecord(db, seriesId).geometry;
      return labelMeshes(cache, { segmentationId, labelMap, labelMapVersion, geometry, labelValues, targetTriangles });
    },
    'planning.distance': notYet('planning.distance'),
    'planning.resect': notYet('planning.resect'),
    'planning.plans': notYet('planning.plans'),
    'planning.deletePlan': notYet('planning.deletePlan'),
  };
  return {
    methods,
    readMesh(kind, meshId) {
      const m = cache.get(meshId);
      if (kind === 'mesh-vertices') return { bytes: new Uint8Array(m.vertices.buffer, m.vertices.byteOffset, m.vertices.byteLength), dtype: 'float32' };
      return { bytes: new Uint8Array(m.triangles.buffer, m.triangles.byteOffset, m.triangles.byteLength), dtype: 'uint32' };
    },
  };
}
