// What one untrusted file may cost: byte caps for reading and decompressing, nesting depth, decoded size, and the
// worker budgets. One place, so the reader, the decoders, the importer and the pool agree (see README: RESOURCE_LIMIT).

/** Largest single DICOM file (or expanded .gz / zip member) read into memory. Multi-frame studies stay well below. */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/**
 * Decompression (gzip, zip members, deflated transfer syntax) may expand at most this many times the compressed
 * size once the output passes EXPANSION_FLOOR_BYTES: below the floor any ratio is harmless (blank masks compress
 * 1000:1), above it a high ratio is the mark of a bomb.
 */
export const MAX_EXPANSION_RATIO = 200;
export const EXPANSION_FLOOR_BYTES = 64 * 1024 * 1024;

/** Deepest sequence nesting accepted; real objects use fewer than ten levels. */
export const MAX_SEQUENCE_DEPTH = 64;

/** Decoded samples of one file (all frames) may not exceed this; a compressed header can claim far more. */
export const MAX_DECODED_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Worker budgets: V8 heap per worker and wall time per job, after which the worker is replaced. Decoding gets time
 * per frame on top (a 1,000-frame J2K file takes ~35 s on one core), so large honest files are never cut off.
 */
export const WORKER_HEAP_MB = 512;
export const HEADER_JOB_MS = 30_000;
export const DECODE_JOB_MS = 60_000;
export const DECODE_MS_PER_FRAME = 500;

/** The most bytes decompressing `compressedBytes` may produce under the rules above (never above MAX_FILE_BYTES). */
export function maxExpandedBytes(compressedBytes: number): number {
  return Math.min(MAX_FILE_BYTES, Math.max(EXPANSION_FLOOR_BYTES, compressedBytes * MAX_EXPANSION_RATIO));
}
