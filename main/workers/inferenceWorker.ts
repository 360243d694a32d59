// Worker thread that runs one segmentation off the main event loop: receives the volume and model folder, posts
// progress, stops between tiles on 'cancel', and posts the label map back (its buffer transferred, not copied).
import { parentPort } from 'node:worker_threads';
import { toErrorData } from '../../shared/errors.js';
import type { Volume } from '../../shared/domain/volume.js';
import { segmentVolume, type SegmentOptions } from '../services/inference/engine.js';
import { loadModelFolder } from '../services/inference/registry.js';

export type WorkerRequest = { type: 'start'; volume: Volume; modelDir: string; options: Omit<SegmentOptions, 'signal' | 'onProgress'> } | { type: 'cancel' };

if (!parentPort) throw new Error('inferenceWorker must run as a worker thread');
const port = parentPort;
const abort = new AbortController();

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'cancel') {
    abort.abort();
    return;
  }
  void (async () => {
    try {
      const model = await loadModelFolder(msg.modelDir);
      const result = await segmentVolume(msg.volume, model, {
        ...msg.options,
        signal: abort.signal,
        onProgress: (p) => port.postMessage({ type: 'progress', progress: p }),
      });
      port.postMessage({ type: 'done', result }, [result.labelMap.labels.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ type: 'error', error: toErrorData(err) });
    }
  })();
});
