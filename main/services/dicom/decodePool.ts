// A small pool of worker threads that decode whole DICOM files in parallel (decoding is where import time goes).
// Falls back to decoding in this thread when the compiled worker is absent (running from TS sources, e.g. vitest).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, toErrorData, type ErrorData } from '../../../shared/errors.js';
import { decodeAllFrames } from './decode.js';
import type { DecodedFrame, DicomInstance } from './types.js';

export interface DecodeJob {
  id: number;
  path: string;
  /** The file's bytes when they do not come from `path` on disk (e.g. an archive member); copied to the worker. */
  bytes?: Uint8Array;
  instance: DicomInstance;
}
export type DecodeReply = { id: number; frames: DecodedFrame[] } | { id: number; error: ErrorData };

export interface DecodePool {
  /** Decodes every frame of the file at `path`; rejects with a coded AppError. */
  decodeFile(path: string, instance: DicomInstance): Promise<DecodedFrame[]>;
  /** Same for bytes already in memory (archive members); `instance.path` names them in messages. */
  decodeBytes(bytes: Uint8Array, instance: DicomInstance): Promise<DecodedFrame[]>;
  /** Stops the workers; jobs still queued or running reject with CANCELLED. */
  close(): Promise<void>;
  readonly size: number;
  /** True when decoding runs in the calling thread (no compiled worker available). */
  readonly inProcess: boolean;
}

export interface DecodePoolOptions {
  size?: number;
  /** Worker script; defaults to the compiled decode-worker.js next to this file's compiled output. */
  workerUrl?: URL;
}

/** Reads and decodes one file in the calling thread; read failures are IO_ERROR, unexpected throws DECODE_FAILED. */
export async function decodeFileInProcess(path: string, instance: DicomInstance, given?: Uint8Array): Promise<DecodedFrame[]> {
  let bytes: Uint8Array;
  try {
    bytes = given ?? (await readFile(path));
  } catch (err) {
    throw new AppError('IO_ERROR', `${path}: the file could not be read (${(err as Error).message}).`);
  }
  try {
    return await decodeAllFrames(bytes, instance);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('DECODE_FAILED', `${path}: decoding failed unexpectedly (${toErrorData(err).message}).`);
  }
}

/** The distinct ArrayBuffers behind the frames, to hand over without copying. */
export function transferablesOf(frames: DecodedFrame[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const f of frames) {
    const buf = (f.kind === 'grey' ? f.values : f.rgb).buffer;
    if (buf instanceof ArrayBuffer) set.add(buf);
  }
  return [...set];
}

/** `options` may be just the number of workers. */
export function createDecodePool(options: DecodePoolOptions | number = {}): DecodePool {
  if (typeof options === 'number') options = { size: options };
  const size = Math.max(1, options.size ?? Math.min(2, availableParallelism()));
  const workerUrl = options.workerUrl ?? new URL('../../workers/decode-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(workerUrl))) return inProcessPool(size);
  return workerPool(size, workerUrl);
}

function inProcessPool(size: number): DecodePool {
  let closed = false;
  return {
    size,
    inProcess: true,
    decodeFile(path, instance) {
      if (closed) return Promise.reject(new AppError('CANCELLED', 'the decode pool has been closed'));
      return decodeFileInProcess(path, instance);
    },
    decodeBytes(bytes, instance) {
      if (closed) return Promise.reject(new AppError('CANCELLED', 'the decode pool has been closed'));
      return decodeFileInProcess(instance.path, instance, bytes);
    },
    async close() {
      closed = true;
    },
  };
}

interface Pending {
  job: DecodeJob;
  resolve: (frames: DecodedFrame[]) => void;
  reject: (err: AppError) => void;
}
interface Slot {
  worker: Worker;
  current?: Pending;
}

function workerPool(size: number, workerUrl: URL): DecodePool {
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const spawn = (): Slot => {
    const slot: Slot = { worker: new Worker(workerUrl) };
    slot.worker.on('message', (reply: DecodeReply) => {
      const p = slot.current;
      slot.current = undefined;
      if (p && p.job.id === reply.id) {
        if ('error' in reply) p.reject(new AppError(reply.error.code, reply.error.message));
        else p.resolve(reply.frames);
      }
      pump();
    });
    // A crash (WASM abort, out of memory) fails only the job that was running; the slot is replaced on demand.
    const onDeath = (why: string): void => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      const p = slot.current;
      slot.current = undefined;
      if (p) p.reject(new AppError(closed ? 'CANCELLED' : 'DECODE_FAILED', `${p.job.path}: the decoder stopped while reading this file (${why}).`));
      if (!closed) pump();
    };
    slot.worker.on('error', (err) => onDeath(err.message));
    slot.worker.on('exit', (code) => {
      if (slots.includes(slot)) onDeath(`worker exited with code ${code}`);
    });
    slots.push(slot);
    return slot;
  };

  const pump = (): void => {
    while (queue.length > 0) {
      let slot = slots.find((s) => !s.current);
      if (!slot && slots.length < size) slot = spawn();
      if (!slot) return;
      const p = queue.shift() as Pending;
      slot.current = p;
      slot.worker.postMessage(p.job);
    }
    // Idle workers should not keep the process alive.
    for (const s of slots) {
      if (s.current) s.worker.ref();
      else s.worker.unref();
    }
  };

  const submit = (job: DecodeJob): Promise<DecodedFrame[]> => {
    if (closed) return Promise.reject(new AppError('CANCELLED', 'the decode pool has been closed'));
    return new Promise<DecodedFrame[]>((resolve, reject) => {
      queue.push({ job, resolve, reject });
      pump();
    });
  };

  return {
    size,
    inProcess: false,
    decodeFile(path, instance) {
      return submit({ id: nextId++, path, instance });
    },
    decodeBytes(bytes, instance) {
      return submit({ id: nextId++, path: instance.path, bytes, instance });
    },
    async close() {
      closed = true;
      for (const p of queue.splice(0)) p.reject(new AppError('CANCELLED', `${p.job.path}: decoding was cancelled.`));
      await Promise.all(slots.splice(0).map(async (s) => {
        const p = s.current;
        s.current = undefined;
        await s.worker.terminate();
        p?.reject(new AppError('CANCELLED', `${p.job.path}: decoding was cancelled.`));
      }));
    },
  };
}
