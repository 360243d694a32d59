// Label surfaces for the 3D view, from the services (planning.mesh: extracted, smoothed and decimated off the UI
// thread, cached per label-map version; buffers as binary resources); the renderer never re-extracts them. Loaded
// only while a 3D view is on screen, again whenever a label map changes.
import { useEffect, useState } from 'react';
import { api } from '../api.js';
import type { ViewerLabelMap } from '../viewer/volumeStore.js';
import type { SurfaceMesh } from './scene.js';

export interface SurfaceState {
  meshes: SurfaceMesh[];
  note: string | null;
}

/** Software WebGL draws ~8k triangles in ~25 ms: a per-label budget that keeps a whole abdomen interactive. */
const TRIANGLES_PER_LABEL = 20_000;

export function surfaceKey(segmentationId: number, labelValue: number): string {
  return `${segmentationId}:${labelValue}`;
}

async function loadMapSurfaces(map: ViewerLabelMap): Promise<SurfaceMesh[]> {
  const segmentationId = map.summary.segmentationId;
  const result = await api.call('planning.mesh', { segmentationId, targetTriangles: TRIANGLES_PER_LABEL });
  const meshes: SurfaceMesh[] = [];
  for (const label of result.labels) {
    if (label.triangles === 0) continue;
    const [v, t] = await Promise.all([api.fetchBinary('mesh-vertices', label.meshId), api.fetchBinary('mesh-triangles', label.meshId)]);
    if (v.dtype !== 'float32' || t.dtype !== 'uint32') throw new Error(`mesh ${label.meshId}: unexpected buffer types ${v.dtype}/${t.dtype}`);
    const pointsLps = new Float32Array(v.buffer);
    const triangles = new Uint32Array(t.buffer);
    if (pointsLps.length !== label.vertices * 3 || triangles.length !== label.triangles * 3) throw new Error(`mesh ${label.meshId}: buffer sizes do not match`);
    meshes.push({ key: surfaceKey(segmentationId, label.value), labelValue: label.value, name: label.name, colorRgb: label.colorRgb, pointsLps, triangles });
  }
  return meshes;
}

export function useSurfaceMeshes(maps: readonly ViewerLabelMap[], physicalAllowed: boolean, wanted: boolean): SurfaceState {
  const [state, setState] = useState<SurfaceState>({ meshes: [], note: null });
  useEffect(() => {
    if (!wanted) return;
    if (!physicalAllowed) {
      setState({ meshes: [], note: 'Surfaces not shown: the geometry of this series is unsafe.' });
      return;
    }
    if (maps.length === 0) {
      setState({ meshes: [], note: 'No label map: add or compute one to see surfaces.' });
      return;
    }
    let alive = true;
    setState((s) => ({ meshes: s.meshes, note: 'Computing surfaces…' }));
    Promise.all(maps.map(loadMapSurfaces)).then(
      (perMap) => alive && setState({ meshes: perMap.flat(), note: null }),
      (err: unknown) => alive && setState({ meshes: [], note: `Surfaces not shown: ${err instanceof Error ? err.message : String(err)}` }),
    );
    return () => {
      alive = false;
    };
  }, [maps, physicalAllowed, wanted]);
  return state;
}
