// Surface meshes of a label map's labels, cached per (segmentation, label-map version, label, budget): a version
// change makes new entries, so a mesh of an edited map is never served as current. Plain Node, no adapter imports.
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { defaultLabelColor, defaultLabelName, labelValuesPresent } from '../../../shared/domain/labelTable.js';
import { MESH_COMPUTATION_VERSION } from '../../../shared/domain/mesh/labelSurface.js';
import { voxelVolumeMl } from '../../../shared/domain/volume.js';
import type { LabelMeshWire, MeshResultWire } from '../../../shared/ipc/contract-planning.js';
import { AppError } from '../../../shared/errors.js';
import { computeSurfaces, type SurfaceBuffers } from './surfaceRunner.js';

export interface StoredMesh extends SurfaceBuffers {
  key: string;
}

/** Keeps the newest meshes up to a byte budget (the renderer fetches the buffers soon after planning.mesh). */
export class MeshCache {
  private nextId = 1;
  private readonly byId = new Map<number, StoredMesh>();
  private readonly idByKey = new Map<string, number>();
  private bytes = 0;
  constructor(private readonly maxBytes = 512 * 1024 * 1024) {}

  lookup(key: string): { meshId: number; mesh: StoredMesh } | null {
    const meshId = this.idByKey.get(key);
    if (meshId === undefined) return null;
    const mesh = this.byId.get(meshId)!;
    // refresh its place in the eviction order
    this.byId.delete(meshId);
    this.byId.set(meshId, mesh);
    return { meshId, mesh };
  }

  add(mesh: StoredMesh): number {
    const meshId = this.nextId++;
    this.byId.set(meshId, mesh);
    this.idByKey.set(mesh.key, meshId);
    this.bytes += mesh.vertices.byteLength + mesh.triangles.byteLength;
    for (const [id, old] of this.byId) {
      if (this.bytes <= this.maxBytes || id === meshId) break;
      this.byId.delete(id);
      this.idByKey.delete(old.key);
      this.bytes -= old.vertices.byteLength + old.triangles.byteLength;
    }
    return meshId;
  }

  get(meshId: number): StoredMesh {
    const mesh = this.byId.get(meshId);
    if (!mesh) throw new AppError('NOT_FOUND', `No mesh ${meshId}: it was dropped from the cache or never made; call planning.mesh again.`);
    return mesh;
  }
}

export interface MeshRequest {
  segmentationId: number;
  labelMap: LabelMap;
  labelMapVersion: number;
  geometry: GeometryReport;
  labelValues?: number[];
  targetTriangles: number;
}

/** Meshes for the requested labels (all present by default), from the cache where it has them. */
export async function labelMeshes(cache: MeshCache, req: MeshRequest): Promise<MeshResultWire> {
  requirePhysicalUnits(req.geometry, 'Surface meshes in mm');
  const present = new Set(labelValuesPresent(req.labelMap.labels));
  const values = req.labelValues ?? [...present];
  const keyOf = (value: number): string => `${req.segmentationId}:${req.labelMapVersion}:${value}:${req.targetTriangles}:${MESH_COMPUTATION_VERSION}`;
  const missing = values.filter((v) => cache.lookup(keyOf(v)) === null);
  if (missing.length > 0) {
    const made = await computeSurfaces(req.labelMap, missing, req.targetTriangles);
    for (const m of made) cache.add({ ...m, key: keyOf(m.value) });
  }
  const vml = voxelVolumeMl(req.labelMap);
  const labels: LabelMeshWire[] = values.map((value) => {
    const hit = cache.lookup(keyOf(value));
    if (!hit) throw new AppError('INTERNAL', `The mesh of label ${value} was evicted before it could be returned; ask for fewer labels.`);
    const info = req.labelMap.table.find((l) => l.value === value);
    const m = hit.mesh;
    return {
      value,
      name: info?.name ?? defaultLabelName(value),
      colorRgb: info?.colorRgb ?? defaultLabelColor(value),
      kind: info?.kind ?? 'other',
      meshId: hit.meshId,
      vertices: m.vertices.length / 3,
      triangles: m.triangles.length / 3,
      meshVolumeMl: m.meshVolumeMm3 / 1000,
      voxelVolumeMl: m.voxels * vml,
      areaCm2: m.areaMm2 / 100,
      boundsLps: m.bounds,
    };
  });
  return {
    segmentationId: req.segmentationId,
    labelMapVersion: req.labelMapVersion,
    computationVersion: MESH_COMPUTATION_VERSION,
    space: 'LPS',
    geometryStatus: req.geometry.status === 'ok' ? 'ok' : 'warning',
    labels,
  };
}
