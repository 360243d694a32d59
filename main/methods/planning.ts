// planning.* of the method table (shared/ipc/contract-planning.ts): surface meshes, distances, resections and plans.
// Every figure in mm or mL passes the geometry gate of the segmentation's series.
import type { Database } from 'better-sqlite3';
import type { planningMethods, ResectionResultWire } from '../../shared/ipc/contract-planning.js';
import type { LabelMap } from '../../shared/domain/labelMap.js';
import { requirePhysicalUnits } from '../../shared/domain/geometryGate.js';
import { labelMask, minDistanceBetween } from '../../shared/domain/planning/minDistance.js';
import { lesionInstances, resectByPlane, type InstanceAnchor } from '../../shared/domain/planning/resection.js';
import { AppError } from '../../shared/errors.js';
import { getSeriesRecord } from '../db/catalog.js';
import { instanceHistory } from '../db/measurements.js';
import { deletePlan, listPlans, savePlan } from '../db/plans.js';
import { labelMeshes, MeshCache } from '../services/planning/meshes.js';
import type { BinaryResource, MethodImpls } from './types.js';

type PlanningMethodName = keyof typeof planningMethods;

/** Bumped whenever a change alters a stored plan's figures. */
export const RESECTION_COMPUTATION_VERSION = 'resect-1';

export interface PlanningService {
  methods: Pick<MethodImpls, PlanningMethodName>;
  readMesh(kind: 'mesh-vertices' | 'mesh-triangles', meshId: number): BinaryResource;
}

export function createPlanningService(deps: {
  db: Database;
  labelMapOf: (segmentationId: number) => { seriesId: number; labelMap: LabelMap; labelMapVersion: number };
  labelMapVersionOf: (segmentationId: number) => number;
}): PlanningService {
  const { db, labelMapOf } = deps;
  const cache = new MeshCache();

  /** The edited label map with its series geometry, refused on unsafe geometry (`what` names the refused output). */
  const gated = (segmentationId: number, what: string) => {
    const loaded = labelMapOf(segmentationId);
    requirePhysicalUnits(getSeriesRecord(db, loaded.seriesId).geometry, what);
    return loaded;
  };
  /** The latest measurement's lesion numbers and anchors (empty when never measured). */
  const anchorsOf = (segmentationId: number): InstanceAnchor[] => instanceHistory(db, segmentationId).previous.filter((p) => (p.runsAgo ?? 0) === 0);

  const maskOf = (labelMap: LabelMap, segmentationId: number, ref: { labelValue: number; instanceId?: number }): Uint8Array => {
    if (!labelMap.table.some((l) => l.value === ref.labelValue))
      throw new AppError('INVALID_INPUT', `Segmentation ${segmentationId} has no label ${ref.labelValue}.`);
    if (ref.instanceId === undefined) return labelMask(labelMap.labels, ref.labelValue);
    const name = labelMap.table.find((l) => l.value === ref.labelValue)!.name;
    const instance = lesionInstances(labelMap, [{ value: ref.labelValue, name }], anchorsOf(segmentationId)).find((i) => i.instance === ref.instanceId);
    if (!instance) throw new AppError('NOT_FOUND', `Label ${ref.labelValue} has no instance ${ref.instanceId} (numbers come from measure.segmentation).`);
    const mask = new Uint8Array(labelMap.labels.length);
    for (const p of instance.voxels) mask[p] = 1;
    return mask;
  };

  const methods: Pick<MethodImpls, PlanningMethodName> = {
    'planning.mesh': async ({ segmentationId, labelValues, targetTriangles }) => {
      const { seriesId, labelMap, labelMapVersion } = labelMapOf(segmentationId);
      const geometry = getSeriesRecord(db, seriesId).geometry;
      return labelMeshes(cache, { segmentationId, labelMap, labelMapVersion, geometry, labelValues, targetTriangles });
    },

    'planning.distance': async ({ segmentationId, from, to }) => {
      const { labelMap, labelMapVersion } = gated(segmentationId, 'Distances in mm');
      const d = minDistanceBetween(labelMap, maskOf(labelMap, segmentationId, from), maskOf(labelMap, segmentationId, to));
      return { labelMapVersion, minDistanceMm: d.minDistanceMm, fromPointLps: d.fromPointLps, toPointLps: d.toPointLps };
    },

    'planning.resect': async ({ segmentationId, organLabel, plane, keep, save, name }) => {
      const { labelMap, labelMapVersion } = gated(segmentationId, 'Resection volumes in mL');
      if (!labelMap.table.some((l) => l.value === organLabel))
        throw new AppError('INVALID_INPUT', `Segmentation ${segmentationId} has no label ${organLabel}.`);
      const lesions = labelMap.table.filter((l) => l.kind === 'lesion').map((l) => ({ value: l.value, name: l.name }));
      const figures = resectByPlane(labelMap, organLabel, plane, keep, lesions, anchorsOf(segmentationId));
      const result: ResectionResultWire = { ...figures, warnings: [] };
      const planId = save
        ? savePlan(db, {
            segmentationId,
            name: name ?? `resection of ${labelMap.table.find((l) => l.value === organLabel)!.name}`,
            labelMapVersion,
            computationVersion: RESECTION_COMPUTATION_VERSION,
            organLabel,
            plane,
            keep,
            result,
          })
        : null;
      return { planId, labelMapVersion, result };
    },

    'planning.plans': async ({ segmentationId }) => {
      const current = deps.labelMapVersionOf(segmentationId);
      return {
        plans: listPlans(db, segmentationId).map((p) => ({
          planId: p.planId,
          segmentationId: p.segmentationId,
          name: p.name,
          createdAt: p.createdAt,
          labelMapVersion: p.labelMapVersion,
          stale: p.labelMapVersion !== current || p.computationVersion !== RESECTION_COMPUTATION_VERSION,
          plane: p.plane,
          keep: p.keep,
          result: p.result,
        })),
      };
    },

    'planning.deletePlan': async ({ planId }) => ({ deleted: deletePlan(db, planId) }),
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
