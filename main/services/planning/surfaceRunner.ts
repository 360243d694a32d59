// Runs surface extraction for several labels and returns compact buffers (float32 LPS vertices, uint32 triangles).
import type { VolumeGeometry } from '../../../shared/domain/volume.js';
import { labelSurface } from '../../../shared/domain/mesh/labelSurface.js';
import type { Vec3 } from '../../../shared/domain/volume.js';

export interface SurfaceBuffers {
  value: number;
  vertices: Float32Array;
  triangles: Uint32Array;
  meshVolumeMm3: number;
  areaMm2: number;
  bounds: { min: Vec3; max: Vec3 } | null;
  /** Voxels carrying the label. */
  voxels: number;
}

export function surfacesInProcess(grid: VolumeGeometry & { labels: Uint8Array | Uint16Array }, values: number[], targetTriangles: number): SurfaceBuffers[] {
  const counts = new Map<number, number>();
  const wanted = new Set(values);
  for (let p = 0; p < grid.labels.length; p++) {
    const v = grid.labels[p];
    if (wanted.has(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return values.map((value) => {
    const s = labelSurface(grid, value, { targetTriangles });
    return {
      value,
      vertices: Float32Array.from(s.mesh.positions),
      triangles: s.mesh.triangles,
      meshVolumeMm3: s.meshVolumeMm3,
      areaMm2: s.areaMm2,
      bounds: s.bounds,
      voxels: counts.get(value) ?? 0,
    };
  });
}

/** The app's entry: off the main thread in a later step; in process for now. */
export async function computeSurfaces(
  grid: VolumeGeometry & { labels: Uint8Array | Uint16Array },
  values: number[],
  targetTriangles: number,
): Promise<SurfaceBuffers[]> {
  return surfacesInProcess(grid, values, targetTriangles);
}
