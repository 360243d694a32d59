// planning.* of the method table (shared/ipc/contract-planning.ts): surface meshes, distances, resections and plans.
// Every figure in mm or mL passes the geometry gate of the segmentation's series.
import type { Database } from 'better-sqlite3';
import type { planningMethods, ResectionResultWire } from '../../shared/ipc/contract-planning.js';
import type { LabelMap } from '../../shared/domain/labelMap.js';
import { requirePhysicalUnits } from '../../shared/domain/geometryGate.js';
import { labelMask, minDistanceBetween } from '../../shared/domain/planning/minDistance.js';
import { lesionInstances, resectByPlane, resectByRegion, type InstanceAnchor } from '../../shared/domain/planning/resection.js';
import { decodeRegionRuns, regionVoxelCount } from '../../shared/domain/planning/resectionRegion.js';
import { AppError } from '../../shared/errors.js';
import { getSeriesRecord } from '../db/catalog.js';
import { instanceHistory } from '../db/measurements.js';
import { deletePlan, getPlan, listPlans, savePlan } from '../db/plans.js';
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

    'planning.resect': async ({ segmentationId, organLabel, plane, keep, region, save, name }) => {
      const { labelMap, labelMapVersion } = gated(segmentationId, 'Resection volumes in mL');
      if (!labelMap.table.some((l) => l.value === organLabel))
        throw new AppError('INVALID_INPUT', `Segmentation ${segmentationId} has no label ${organLabel}.`);
      const lesions = labelMap.table.filter((l) => l.kind === 'lesion').map((l) => ({ value: l.value, name: l.name }));
      const anchors = anchorsOf(segmentationId);
      // The region is decoded against this map's grid: runs that do not add up to its voxel count are refused.
      const mask = region ? decodeRegionRuns(region.runs, labelMap.labels.length) : null;
      const figures = mask ? resectByRegion(labelMap, organLabel, mask, lesions, anchors) : resectByPlane(labelMap, organLabel, plane!, keep, lesions, anchors);
      const result: ResectionResultWire = { ...figures, warnings: [] };
      const organName = labelMap.table.find((l) => l.value === organLabel)!.name;
      const common = { segmentationId, labelMapVersion, computationVersion: RESECTION_COMPUTATION_VERSION, organLabel, result };
      const planId = !save
        ? null
        : mask
          ? savePlan(db, {
              ...common,
              name: name ?? `painted resection of ${organName}`,
              mode: 'region',
              runs: Uint32Array.from(region!.runs),
              regionVoxels: regionVoxelCount(mask),
            })
          : savePlan(db, { ...common, name: name ?? `resection of ${organName}`, mode: 'plane', plane: plane!, keep });
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
          mode: p.mode,
          plane: p.mode === 'plane' ? p.plane : null,
          keep: p.mode === 'plane' ? p.keep : null,
          regionVoxels: p.mode === 'region' ? p.regionVoxels : null,
          result: p.result,
        })),
      };
    },

    'planning.planRegion': async ({ planId }) => {
      const plan = getPlan(db, planId);
      if (!plan) throw new AppError('NOT_FOUND', `No resection plan ${planId}.`);
      if (plan.mode !== 'region') throw new AppError('INVALID_INPUT', `Plan ${planId} is a plane cut, not a painted region.`);
      const { labelMap } = labelMapOf(plan.segmentationId);
      return { planId, labelMapVersion: plan.labelMapVersion, dims: labelMap.dims, runs: Array.from(plan.runs) };
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
