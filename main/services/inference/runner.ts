// Starts a segmentation as a cancellable job: in a worker thread when the compiled worker exists (dist/), else
// in-process (vitest on TS sources) with the same progress and cancellation contract.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../../shared/errors.js';
import type { Volume } from '../../../shared/domain/volume.js';
import { segmentVolume, type SegmentOptions, type SegmentProgress, type SegmentResult } from './engine.js';
import type { ModelFolder } from './registry.js';

/** A cancel that the worker has not honoured within this long terminates the thread. */
export const CANCEL_DEADLINE_MS = 1000;

export interface SegmentationJob {
  promise: Promise<SegmentResult>;
  /** Stops the run; the promise rejects with AppError CANCELLED within about a second. */
  cancel(): void;
  mode: 'worker' | 'in-process';
}

export interface JobOptions extends Omit<SegmentOptions, 'signal'> {
  mode?: 'auto' | 'worker' | 'in-process';
}

export function compiledWorkerPath(): string | null {
  const p = fileURLToPath(new URL('../../workers/inferenceWorker.js', import.meta.url));
  return existsSync(p) ? p : null;
}

export function startSegmentation(volume: Volume, model: ModelFolder, opts: JobOptions): SegmentationJob {
  const workerPath = compiledWorkerPath();
  const mode = opts.mode ?? 'auto';
  if (mode === 'worker' && !workerPath) throw new AppError('INTERNAL', 'The compiled inference worker is missing: run npm run build.');
  const { mode: _m, onProgress, ...options } = opts;
  if (mode === 'in-process' || !workerPath) {
    const abort = new AbortController();
    return { promise: segmentVolume(volume, model, { ...options, onProgress, signal: abort.signal }), cancel: () => abort.abort(), mode: 'in-process' };
  }
  const worker = new Worker(workerPath);
  let settled = false;
  let rejectJob: (e: unknown) => void = () => {};
  const promise = new Promise<SegmentResult>((resolve, reject) => {
    rejectJob = reject;
    worker.on('message', (msg: { type: string; progress?: SegmentProgress; result?: SegmentResult; error?: { code: AppError['code']; message: string } }) => {
      if (msg.type === 'progress' && msg.progress) onProgress?.(msg.progress);
      else if (msg.type === 'done' && msg.result) {
        settled = true;
        resolve(msg.result);
        void worker.terminate();
      } else if (msg.type === 'error' && msg.error) {
        settled = true;
        reject(new AppError(msg.error.code, msg.error.message));
        void worker.terminate();
      }
    });
    worker.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(new AppError('INFERENCE_FAILED', `The inference worker crashed: ${err.message}`));
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new AppError('INFERENCE_FAILED', `The inference worker exited early (code ${code}).`));
    });
  });
  worker.postMessage({ type: 'start', volume, modelDir: model.dir, options: { ...options } });
  return {
    promise,
    mode: 'worker',
    cancel() {
      if (settled) return;
      worker.postMessage({ type: 'cancel' });
      setTimeout(() => {
        if (settled) return;
        settled = true;
        rejectJob(new AppError('CANCELLED', 'Segmentation cancelled; nothing was saved.'));
        void worker.terminate();
      }, CANCEL_DEADLINE_MS).unref();
    },
  };
}
