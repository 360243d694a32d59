// A small pool of warm worker threads that read headers and decode whole DICOM files: in parallel (decoding is where
// import time goes) and where a hostile file cannot take the app down — each worker has a heap cap and each job a
// time budget; a worker that runs out of either is replaced and its file becomes RESOURCE_LIMIT.
// Falls back to working in this thread when the compiled worker is absent (running from TS sources, e.g. vitest).
import { existsSync, write, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, toErrorData, type ErrorData } from '../../../shared/errors.js';
import { decodeAllFrames, decodesToInt16 } from './decode.js';
import { readDicomCandidate, readHeaderFromFilePrefix, screenBytes, type ReadScratch } from './fileRead.js';
import { fillMissingIdentifiers } from './identity.js';
import { DECODE_JOB_MS, DECODE_MS_PER_FRAME, HEADER_JOB_MS, WORKER_HEAP_MB } from './limits.js';
import { readDicomHeader } from './parse.js';
import type { DecodedFrame, DicomInstance } from './types.js';

export type DecodeJob =
  | {
      kind: 'decode';
      id: number;
      path: string;
      /** The file's bytes when they do not come from `path` on disk (e.g. an archive member); copied to the worker. */
      bytes?: Uint8Array;
      instance: DicomInstance;
      /** A view of shared memory (SharedArrayBuffer) the worker writes a single-frame file's int16 values into. */
      into?: Int16Array;
    }
  | {
      /** Decode a single-frame file that decodesToInt16 and write its values at `position` of the open file `fd`. */
      kind: 'decodeToFile';
      id: number;
      path: string;
      instance: DicomInstance;
      fd: number;
      position: number;
    }
  | {
      kind: 'header';
      id: number;
      path: string;
      archiveMember?: string;
      /** An archive member's bytes as stored (gzip is expanded, under the caps, in the worker). */
      bytes?: Uint8Array;
    }
  | {
      /** One file on disk read once: its header, then every frame (opening a catalogued series without a header pass). */
      kind: 'open';
      id: number;
      path: string;
    };
export type DecodeReply =
  | { id: number; frames: DecodedFrame[] }
  | { id: number; instance: DicomInstance }
  | { id: number; opened: OpenedFile }
  | { id: number; written: number }
  | { id: number; error: ErrorData };

/** A file's header and its decoded frames from one read. */
export interface OpenedFile {
  instance: DicomInstance;
  frames: DecodedFrame[];
}

export interface DecodePool {
  /**
   * Decodes every frame of the file at `path`; rejects with a coded AppError. `into` (see decodeAllFrames): where a
   * single-frame file's int16 values are written; a worker pool uses it only when it views a SharedArrayBuffer.
   */
  decodeFile(path: string, instance: DicomInstance, into?: Int16Array): Promise<DecodedFrame[]>;
  /** Same for bytes already in memory (archive members); `instance.path` names them in messages. */
  decodeBytes(bytes: Uint8Array, instance: DicomInstance, into?: Int16Array): Promise<DecodedFrame[]>;
  /**
   * Decodes a single-frame file whose header says it decodes to int16 (decodesToInt16) and writes its values at
   * `position` of the open file `fd` (shared by the threads of the process): a volume written without being held.
   * Rejects with DECODE_FAILED if the values were not int16 after all (nothing written then).
   */
  decodeFileToFile(path: string, instance: DicomInstance, fd: number, position: number): Promise<void>;
  /**
   * Reads one file's header (or an archive member's, from `bytes`) into a DicomInstance with derived identifiers
   * filled in; rejects with a coded AppError (NOT_DICOM, TRUNCATED, RESOURCE_LIMIT, …).
   */
  readHeader(source: { path: string; archiveMember?: string }, bytes?: Uint8Array): Promise<DicomInstance>;
  /** Reads the file at `path` once: its header (as readHeader gives it) and every frame decoded; rejects with a coded AppError. */
  openFile(path: string): Promise<OpenedFile>;
  /** Stops the workers; jobs still queued or running reject with CANCELLED. */
  close(): Promise<void>;
  readonly size: number;
  /** True when decoding runs in the calling thread (no compiled worker available). */
  readonly inProcess: boolean;
}

export interface DecodePoolOptions {
  size?: number;
  /** Worker script; defaults to the compiled decodeWorker.js next to this file's compiled output. */
  workerUrl?: URL;
  /** V8 heap cap per worker (MB). */
  heapMb?: number;
  /** Wall-time budget per header job and per decode job (ms; decoding adds DECODE_MS_PER_FRAME for each further frame). */
  headerJobMs?: number;
  decodeJobMs?: number;
}

/**
 * Reads and decodes one file in the calling thread; read failures keep their code, unexpected throws are DECODE_FAILED.
 * `scratch`: a thread that reads one file at a time (a decode worker) reads every file into that one buffer.
 */
export async function decodeFileInProcess(
  path: string,
  instance: DicomInstance,
  given?: Uint8Array,
  into?: Int16Array,
  scratch?: ReadScratch,
): Promise<DecodedFrame[]> {
  // The same capped, regular-files-only reader as the import (gzip expanded under its caps).
  const bytes = given ?? (await readDicomCandidate(path, scratch));
  try {
    const frames = await decodeAllFrames(bytes, instance, into);
    // A frame may view the file's bytes (e.g. uncompressed RGB): never the reused buffer, which the next read overwrites.
    return scratch ? frames.map((f) => detachFrom(scratch, f)) : frames;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('DECODE_FAILED', `${path}: decoding failed unexpectedly (${toErrorData(err).message}).`);
  }
}

/** decodeFileToFile's work in the calling thread; `slice` is reused from call to call when given (one file at a time). */
export async function decodeFileToFileInProcess(
  path: string,
  instance: DicomInstance,
  fd: number,
  position: number,
  scratch?: ReadScratch,
  slice?: { values?: Int16Array },
): Promise<number> {
  const n = instance.rows * instance.columns;
  if (instance.numberOfFrames !== 1 || !decodesToInt16(instance, instance.frames[0])) {
    throw new AppError('INTERNAL', `${path}: written to a file slice by slice only when its header says it decodes to int16.`);
  }
  let into = slice?.values;
  if (into?.length !== n) into = new Int16Array(n);
  if (slice) slice.values = into;
  const [frame] = await decodeFileInProcess(path, instance, undefined, into, scratch);
  if (frame.kind !== 'grey' || frame.values !== into) {
    throw new AppError('DECODE_FAILED', `${path}: the image did not decode to the int16 values its header announces.`);
  }
  const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
  if (scratch) {
    // A worker (blocking reads) writes the same way.
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  } else {
    for (let done = 0; done < bytes.length;) {
      done += await new Promise<number>((resolve, reject) =>
        write(fd, bytes, done, bytes.length - done, position + done, (err, written) => (err ? reject(err) : resolve(written))),
      );
    }
  }
  return bytes.length;
}

function detachFrom(scratch: ReadScratch, f: DecodedFrame): DecodedFrame {
  if (f.kind === 'grey') return scratch.owns(f.values) ? { ...f, values: f.values.slice() } : f;
  return scratch.owns(f.rgb) ? { ...f, rgb: f.rgb.slice() } : f;
}

/** Reads one header in the calling thread (what a header job does in a worker). */
/** `scratch`: see decodeFileInProcess (the instance holds plain values, nothing of the buffer). */
export async function readHeaderInProcess(source: { path: string; archiveMember?: string }, given?: Uint8Array, scratch?: ReadScratch): Promise<DicomInstance> {
  const label = source.archiveMember ? `${source.path}!${source.archiveMember}` : source.path;
  if (!given) {
    // Most files: the header from the first kilobytes, pixels never read. A blank SOP Instance UID is derived from
    // the whole content, so such a file is read whole below.
    const quick = await readHeaderFromFilePrefix(source.path, scratch);
    if (quick?.sopInstanceUid) {
      fillMissingIdentifiers(quick, new Uint8Array(0));
      return quick;
    }
  }
  const bytes = given
    ? await screenBytes(Buffer.from(given.buffer, given.byteOffset, given.byteLength), label)
    : await readDicomCandidate(source.path, scratch);
  try {
    const inst = readDicomHeader(bytes, source.path);
    if (source.archiveMember) inst.archiveMember = source.archiveMember;
    fillMissingIdentifiers(inst, bytes);
    return inst;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('DECODE_FAILED', `${label}: ${toErrorData(err).message}`);
  }
}

/** Reads one file whole, parses its header and decodes its frames in the calling thread (what an open job does). */
export async function openFileInProcess(path: string): Promise<OpenedFile> {
  const bytes = await readDicomCandidate(path);
  let instance: DicomInstance;
  try {
    instance = readDicomHeader(bytes, path);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('DECODE_FAILED', `${path}: ${toErrorData(err).message}`);
  }
  fillMissingIdentifiers(instance, bytes);
  return { instance, frames: await decodeFileInProcess(path, instance, bytes) };
}

let shared: DecodePool | undefined;
/** One warm pool for the process (idle workers do not keep it alive). */
export function sharedDecodePool(): DecodePool {
  shared ??= createDecodePool();
  return shared;
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
  // Sized to the machine (decoding is CPU-bound), at most 8: each worker may hold up to its heap cap of one file.
  const size = Math.max(1, options.size ?? Math.min(8, availableParallelism()));
  const workerUrl = options.workerUrl ?? new URL('../../workers/decodeWorker.js', import.meta.url);
  if (!existsSync(fileURLToPath(workerUrl))) return inProcessPool(size);
  return workerPool(size, workerUrl, {
    heapMb: options.heapMb ?? WORKER_HEAP_MB,
    headerJobMs: options.headerJobMs ?? HEADER_JOB_MS,
    decodeJobMs: options.decodeJobMs ?? DECODE_JOB_MS,
  });
}

function inProcessPool(size: number): DecodePool {
  let closed = false;
  return {
    size,
    inProcess: true,
    decodeFile(path, instance, into) {
      if (closed) return Promise.reject(new AppError('CANCELLED', 'the decode pool has been closed'));
      return decodeFileInProcess(path, instance, undefined, into);
    },
    decodeBytes(bytes, instance, into) {
      if (closed) return Promise.reject(new AppError('CANCELLED', 'the decode pool has been closed'));
      return decodeFileInProcess(instance.path, instance, bytes, into);
    },
    async decodeFileToFile(path, instance, fd, position) {
      if (closed) throw new AppError('CANCELLED', 'the decode pool has been closed');
      await decodeFileToFileInProcess(path, instance, fd, position);
    },
    readHeader(source, bytes) {
      if (closed) return Promise.reject(new AppError('CANCELLED', 'the decode pool has been closed'));
      return readHeaderInProcess(source, bytes);
    },
    openFile(path) {
      if (closed) return Promise.reject(new AppError('CANCELLED', 'the decode pool has been closed'));
      return openFileInProcess(path);
    },
    async close() {
      closed = true;
    },
  };
}

type JobResult = DecodedFrame[] | DicomInstance | OpenedFile | number;
interface Pending {
  job: DecodeJob;
  resolve: (result: JobResult) => void;
  reject: (err: AppError) => void;
}
interface Slot {
  worker: Worker;
  current?: Pending;
  timer?: NodeJS.Timeout;
}

/** A view of an ordinary ArrayBuffer would reach the worker as a copy of its whole buffer (a whole volume): never sent. */
function sharedOnly(into: Int16Array | undefined): Int16Array | undefined {
  return into && into.buffer instanceof SharedArrayBuffer ? into : undefined;
}

/**
 * Values the worker wrote into the job's shared `into` arrive as another view object of the same memory: hand back
 * the caller's own view, so the caller sees that the slice is already in place.
 */
function ownView(frames: DecodedFrame[], job: DecodeJob): DecodedFrame[] {
  const into = job.kind === 'decode' ? job.into : undefined;
  const f = frames[0];
  if (into && frames.length === 1 && f.kind === 'grey' && f.values instanceof Int16Array && f.values.buffer instanceof SharedArrayBuffer) {
    const same = f.values.byteOffset === into.byteOffset && f.values.length === into.length && f.values.buffer.byteLength === into.buffer.byteLength;
    if (same) return [{ ...f, values: into }];
  }
  return frames;
}

function jobLabel(job: DecodeJob): string {
  return job.kind === 'header' && job.archiveMember ? `${job.path}!${job.archiveMember}` : job.path;
}

function workerPool(size: number, workerUrl: URL, limits: { heapMb: number; headerJobMs: number; decodeJobMs: number }): DecodePool {
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const spawn = (): Slot => {
    const worker = new Worker(workerUrl, {
      resourceLimits: { maxOldGenerationSizeMb: limits.heapMb, maxYoungGenerationSizeMb: Math.min(64, limits.heapMb / 4), stackSizeMb: 4 },
    });
    const slot: Slot = { worker };
    slot.worker.on('message', (reply: DecodeReply) => {
      const p = slot.current;
      slot.current = undefined;
      clearTimeout(slot.timer);
      if (p && p.job.id === reply.id) {
        if ('error' in reply) p.reject(new AppError(reply.error.code, reply.error.message));
        else
          p.resolve('frames' in reply ? ownView(reply.frames, p.job) : 'opened' in reply ? reply.opened : 'written' in reply ? reply.written : reply.instance);
      }
      pump();
    });
    // A crash (WASM abort, heap cap, time budget) fails only the job that was running; the slot is replaced on demand.
    const onDeath = (code: 'DECODE_FAILED' | 'RESOURCE_LIMIT', why: string): void => {
      clearTimeout(slot.timer);
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      const p = slot.current;
      slot.current = undefined;
      if (p) p.reject(new AppError(closed ? 'CANCELLED' : code, `${jobLabel(p.job)}: the reader stopped while working on this file (${why}).`));
      if (!closed) pump();
    };
    slot.worker.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') onDeath('RESOURCE_LIMIT', `it needed more than the ${limits.heapMb} MB of memory one file may use`);
      else onDeath('DECODE_FAILED', err.message);
    });
    slot.worker.on('exit', (code) => {
      if (slots.includes(slot)) onDeath('DECODE_FAILED', `worker exited with code ${code}`);
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
      const s = slot;
      // An open job's frame count is not known before its header is read: it gets one frame's decode budget.
      const budgetMs =
        p.job.kind === 'header'
          ? limits.headerJobMs
          : p.job.kind === 'open'
            ? limits.headerJobMs + limits.decodeJobMs
            : limits.decodeJobMs + DECODE_MS_PER_FRAME * Math.max(0, p.job.instance.numberOfFrames - 1);
      // A runaway (a parse loop, a codec spinning on a hostile stream) cannot be interrupted inside the worker: the
      // worker is terminated and replaced, the job fails with RESOURCE_LIMIT.
      s.timer = setTimeout(() => {
        if (s.current !== p) return;
        s.current = undefined;
        const i = slots.indexOf(s);
        if (i >= 0) slots.splice(i, 1);
        void s.worker.terminate();
        p.reject(
          new AppError('RESOURCE_LIMIT', `${jobLabel(p.job)}: reading this file took longer than the ${budgetMs / 1000} s one file may take; it was stopped.`),
        );
        pump();
      }, budgetMs);
      slot.worker.postMessage(p.job);
    }
    // Idle workers should not keep the process alive.
    for (const s of slots) {
      if (s.current) s.worker.ref();
      else s.worker.unref();
    }
  };

  const submit = <T extends JobResult>(job: DecodeJob): Promise<T> => {
    if (closed) return Promise.reject(new AppError('CANCELLED', 'the decode pool has been closed'));
    return new Promise<T>((resolve, reject) => {
      queue.push({ job, resolve: resolve as (r: JobResult) => void, reject });
      pump();
    });
  };

  return {
    size,
    inProcess: false,
    decodeFile(path, instance, into) {
      return submit<DecodedFrame[]>({ kind: 'decode', id: nextId++, path, instance, into: sharedOnly(into) });
    },
    decodeBytes(bytes, instance, into) {
      return submit<DecodedFrame[]>({ kind: 'decode', id: nextId++, path: instance.path, bytes, instance, into: sharedOnly(into) });
    },
    async decodeFileToFile(path, instance, fd, position) {
      await submit<number>({ kind: 'decodeToFile', id: nextId++, path, instance, fd, position });
    },
    readHeader(source, bytes) {
      return submit<DicomInstance>({ kind: 'header', id: nextId++, path: source.path, archiveMember: source.archiveMember, bytes });
    },
    openFile(path) {
      return submit<OpenedFile>({ kind: 'open', id: nextId++, path });
    },
    async close() {
      closed = true;
      for (const p of queue.splice(0)) p.reject(new AppError('CANCELLED', `${p.job.path}: decoding was cancelled.`));
      await Promise.all(
        slots.splice(0).map(async (s) => {
          const p = s.current;
          s.current = undefined;
          clearTimeout(s.timer);
          await s.worker.terminate();
          p?.reject(new AppError('CANCELLED', `${p.job.path}: decoding was cancelled.`));
        }),
      );
    },
  };
}
