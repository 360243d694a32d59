// Runs surface extraction for several labels and returns compact buffers (float32 LPS vertices, uint32 triangles):
// in a worker thread when the compiled worker exists (dist/), else in process (vitest on TS sources).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../../shared/errors.js';
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

export function compiledMeshWorkerPath(): string | null {
  const p = fileURLToPath(new URL('../../workers/meshWorker.js', import.meta.url));
  return existsSync(p) ? p : null;
}

/** The app's entry: the surfaces of `values`, off the main thread when the compiled worker exists. */
export async function computeSurfaces(
  grid: VolumeGeometry & { labels: Uint8Array | Uint16Array },
  values: number[],
  targetTriangles: number,
  mode: 'auto' | 'worker' | 'in-process' = 'auto',
): Promise<SurfaceBuffers[]> {
  const workerPath = compiledMeshWorkerPath();
  if (mode === 'worker' && !workerPath) throw new AppError('INTERNAL', 'The compiled mesh worker is missing: run npm run build.');
  if (mode === 'in-process' || !workerPath) return surfacesInProcess(grid, values, targetTriangles);
  const worker = new Worker(workerPath);
  try {
    return await new Promise<SurfaceBuffers[]>((resolve, reject) => {
      worker.on('message', (msg: { type: string; surfaces?: SurfaceBuffers[]; error?: { code: AppError['code']; message: string } }) => {
        if (msg.type === 'done' && msg.surfaces) resolve(msg.surfaces);
        else if (msg.error) reject(new AppError(msg.error.code, msg.error.message));
      });
      worker.on('error', (err) => reject(new AppError('INTERNAL', `The mesh worker crashed: ${err.message}`)));
      worker.on('exit', (code) => reject(new AppError('INTERNAL', `The mesh worker exited early (code ${code}).`)));
      // The labels are copied (structured clone): the caller's label map stays intact.
      worker.postMessage({
        grid: { dims: grid.dims, spacingMm: grid.spacingMm, originLps: grid.originLps, directionLps: grid.directionLps, labels: grid.labels },
        values,
        targetTriangles,
      });
    });
  } finally {
    void worker.terminate();
  }
}
