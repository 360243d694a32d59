// Worker thread that extracts label surfaces off the main event loop: receives the label grid, the label values and
// the triangle budget, posts the buffers back (transferred, not copied).
import { parentPort } from 'node:worker_threads';
import { toErrorData } from '../../shared/errors.js';
import type { VolumeGeometry } from '../../shared/domain/volume.js';
import { surfacesInProcess } from '../services/planning/surfaceRunner.js';

export interface MeshWorkerRequest {
  grid: VolumeGeometry & { labels: Uint8Array | Uint16Array };
  values: number[];
  targetTriangles: number;
}

if (!parentPort) throw new Error('meshWorker must run as a worker thread');
const port = parentPort;

port.on('message', (msg: MeshWorkerRequest) => {
  try {
    const surfaces = surfacesInProcess(msg.grid, msg.values, msg.targetTriangles);
    port.postMessage(
      { type: 'done', surfaces },
      surfaces.flatMap((s) => [s.vertices.buffer as ArrayBuffer, s.triangles.buffer as ArrayBuffer]),
    );
  } catch (err) {
    port.postMessage({ type: 'error', error: toErrorData(err) });
  }
});
