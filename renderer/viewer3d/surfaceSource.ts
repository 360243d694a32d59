// Label surfaces for the 3D view, from the services (planning.mesh: extracted, smoothed and decimated in a worker,
// cached per label-map version); the renderer never re-extracts them. Loaded only while a 3D view is on screen.
import { useEffect, useState } from 'react';
import type { ViewerLabelMap } from '../viewer/volumeStore.js';
import type { SurfaceMesh } from './scene.js';

export interface SurfaceState {
  meshes: SurfaceMesh[];
  note: string | null;
}

export function surfaceKey(segmentationId: number, labelValue: number): string {
  return `${segmentationId}:${labelValue}`;
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
    setState({ meshes: [], note: 'Surfaces not available yet.' });
  }, [maps, physicalAllowed, wanted]);
  return state;
}
