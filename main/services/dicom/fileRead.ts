// Reads untrusted input files without letting one of them take the process down: regular files only (no devices,
// FIFOs, sockets), a size cap checked before reading, DICOM recognised from the first bytes before the rest is
// read, and gzip expanded under a cap on bytes and ratio (limits.ts).
import { closeSync, constants, fstatSync, openSync, promises as fs, readSync, statSync, type Stats } from 'node:fs';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { AppError } from '../../../shared/errors.js';
import { looksLikeDicomStart, readDicomHeaderFromPrefix } from './parse.js';
import type { DicomInstance } from './types.js';
import { MAX_FILE_BYTES, maxExpandedBytes } from './limits.js';

const gunzipAsync = promisify(gunzip);

/** Enough for the preamble, "DICM" and the first element of a bare data set. */
const SNIFF_BYTES = 4096;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The few file operations a read needs. On the main thread they go through libuv's thread pool (async); a decode
 * worker does one job at a time, so it calls them directly and blocking (useBlockingReads): no thread-pool hop and
 * promise per system call, which was most of the cost of reading a header.
 */
interface FileIo {
  stat(path: string): Stats | Promise<Stats>;
  open(path: string): number | Promise<fs.FileHandle>;
  fstat(fd: number | fs.FileHandle): Stats | Promise<Stats>;
  read(fd: number | fs.FileHandle, into: Buffer, offset: number, length: number, position: number): number | Promise<number>;
  close(fd: number | fs.FileHandle): void | Promise<void>;
}
type Fd = number | fs.FileHandle;

// O_NONBLOCK: should the path have been swapped for a FIFO since the check, opening it does not wait for a writer.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const asyncIo: FileIo = {
  stat: (path) => fs.stat(path),
  open: (path) => fs.open(path, OPEN_FLAGS),
  fstat: (fd) => (fd as fs.FileHandle).stat(),
  read: async (fd, into, offset, length, position) => (await (fd as fs.FileHandle).read(into, offset, length, position)).bytesRead,
  close: (fd) => (fd as fs.FileHandle).close(),
};
const blockingIo: FileIo = {
  stat: (path) => statSync(path),
  open: (path) => openSync(path, OPEN_FLAGS),
  fstat: (fd) => fstatSync(fd as number),
  read: (fd, into, offset, length, position) => readSync(fd as number, into, offset, length, position),
  close: (fd) => closeSync(fd as number),
};
let io: FileIo = asyncIo;

/** For worker threads that run one job at a time: file reads block the thread instead of using the thread pool. */
export function useBlockingReads(): void {
  io = blockingIo;
}

function ioError(path: string, err: unknown): AppError {
  return new AppError('IO_ERROR', `Cannot read ${path}: ${(err as Error).message}`);
}

/** Refuses anything but a regular file (after following symlinks), before it is opened. */
export async function assertRegularFile(path: string): Promise<Stats> {
  let st: Stats;
  try {
    st = await io.stat(path);
  } catch (err) {
    throw ioError(path, err);
  }
  if (!st.isFile()) throw new AppError('INVALID_INPUT', `${path} is ${kindOf(st)}; only regular files are read.`);
  return st;
}

/**
 * The bytes of one candidate DICOM file: a regular file of at most MAX_FILE_BYTES, gzip expanded under the cap,
 * and refused as NOT_DICOM from its first bytes when it cannot be DICOM (nothing more is read then).
 */
/**
 * One buffer reused for every whole-file read of a thread that reads one file at a time (a decode worker): a fresh
 * 512 KB buffer per CT slice cost more (page faults, garbage collection) than reading the file into it.
 */
export class ReadScratch {
  private buffer = Buffer.allocUnsafeSlow(0);

  /** `size` bytes of the reused buffer; their content is overwritten by the next read. */
  take(size: number): Buffer {
    if (this.buffer.length < size) this.buffer = Buffer.allocUnsafeSlow(Math.max(size, Math.min(2 * this.buffer.length, MAX_FILE_BYTES)));
    return this.buffer.subarray(0, size);
  }

  /** Whether `a` views this buffer (then it must be copied before it is kept or handed on). */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.buffer.buffer;
  }
}

/**
 * `scratch`: read into that reused buffer (the bytes are valid until its next use) instead of a new one.
 */
export async function readDicomCandidate(path: string, scratch?: ReadScratch): Promise<Buffer> {
  await assertRegularFile(path);
  let handle: Fd;
  try {
    handle = await io.open(path);
  } catch (err) {
    throw ioError(path, err);
  }
  try {
    const st = await io.fstat(handle);
    if (!st.isFile()) throw new AppError('INVALID_INPUT', `${path} is ${kindOf(st)}; only regular files are read.`);
    if (st.size > MAX_FILE_BYTES) {
      throw new AppError('RESOURCE_LIMIT', `${path} is ${st.size} bytes, more than the ${MAX_FILE_BYTES} bytes one DICOM file may have.`);
    }
    const sniff = Math.min(st.size, SNIFF_BYTES);
    const head = await readAt(handle, 0, sniff, path, scratch?.take(sniff));
    const gzipped = isGzip(head);
    if (!gzipped && !looksLikeDicomStart(head, st.size)) throw notDicom(path);
    let bytes = head;
    if (head.length === SNIFF_BYTES && st.size > SNIFF_BYTES) {
      // The rest is read into one buffer for the whole file (no concatenated copy of it).
      const whole = scratch ? scratch.take(st.size) : Buffer.allocUnsafe(st.size);
      if (whole.buffer !== head.buffer) head.copy(whole);
      const rest = await readAt(handle, head.length, st.size - head.length, path, whole);
      bytes = whole.subarray(0, head.length + rest.length);
    }
    return gzipped ? await screenBytes(bytes, path) : bytes;
  } finally {
    await io.close(handle);
  }
}

/** Bytes read to find a header without the pixel data; headers larger than this are read with the whole file. */
const HEADER_PREFIX_BYTES = 64 * 1024;

/**
 * A file's header read from its first bytes only, when it has the common layout (see readDicomHeaderFromPrefix):
 * an import then reads a few kilobytes of each file instead of every pixel. Undefined when the whole file must be
 * read (gzip, other layouts, anything unusual): readDicomCandidate then reads it and reports what is wrong.
 */
export async function readHeaderFromFilePrefix(path: string, scratch?: ReadScratch): Promise<DicomInstance | undefined> {
  let handle: Fd;
  try {
    handle = await io.open(path);
  } catch {
    return undefined;
  }
  try {
    const st = await io.fstat(handle);
    if (!st.isFile() || st.size > MAX_FILE_BYTES || st.size <= HEADER_PREFIX_BYTES) return undefined;
    // The instance holds plain values only: nothing of a reused buffer outlives this call.
    const head = await readAt(handle, 0, HEADER_PREFIX_BYTES, path, scratch?.take(HEADER_PREFIX_BYTES));
    return readDicomHeaderFromPrefix(head, st.size, path);
  } catch {
    return undefined;
  } finally {
    await io.close(handle);
  }
}

/** Reads `length` bytes at `position`, into `into` at the same position when given (else a new buffer). */
async function readAt(handle: Fd, position: number, length: number, path: string, into?: Buffer): Promise<Buffer> {
  const out = into ? into.subarray(position, position + length) : Buffer.allocUnsafe(length);
  let done = 0;
  try {
    while (done < length) {
      const bytesRead = await io.read(handle, out, done, length - done, position + done);
      if (bytesRead === 0) break; // the file shrank while being read
      done += bytesRead;
    }
  } catch (err) {
    throw ioError(path, err);
  }
  return done === length ? out : out.subarray(0, done);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 18 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function notDicom(label: string): AppError {
  return new AppError('NOT_DICOM', `${label}: this is not a DICOM file (no DICOM marker and no plausible DICOM data set at its start).`);
}

/** Expands gzip under the caps; a bomb is RESOURCE_LIMIT, a damaged stream TRUNCATED. Other bytes pass unchanged. */
export async function gunzipCapped(bytes: Buffer, label: string): Promise<Buffer> {
  if (!isGzip(bytes)) return bytes;
  const cap = maxExpandedBytes(bytes.length);
  try {
    return await gunzipAsync(bytes, { maxOutputLength: cap });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new AppError(
        'RESOURCE_LIMIT',
        `${label}: the gzip data expands to more than ${cap} bytes (${bytes.length} compressed); refused as a decompression bomb.`,
      );
    }
    throw new AppError('TRUNCATED', `${label} looks gzip-compressed but cannot be decompressed: ${e.message}`);
  }
}

/** Bytes already in memory (an archive member): gzip expanded under the caps, then the DICOM start check. */
export async function screenBytes(bytes: Buffer, label: string): Promise<Buffer> {
  const plain = await gunzipCapped(bytes, label);
  if (!looksLikeDicomStart(plain, plain.length)) throw notDicom(label);
  return plain;
}
