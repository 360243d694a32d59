// What the two web-facing adapters (medseg serve's HTTP server, Electron's custom protocols) share: the page's CSP,
// static files of the built renderer (traversal-proof, typed), binary resources by id, and AppError code → status.
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError, toErrorData, type ErrorCode, type ErrorData } from '../../shared/errors.js';
import { BINARY_KINDS, parseBinaryPath } from '../../shared/ipc/contract.js';
import type { BinaryResource, ServiceTable } from '../methods/types.js';

/** Electron's voxel-data scheme; the page fetches `medseg-data://local/data/<kind>/<id>` there (see electron/). */
export const DATA_SCHEME = 'medseg-data';

/**
 * The page's one CSP, in both shells: only our own scripts and styles, no inline script, nothing remote, no
 * framing either way. `medseg-data:` is Electron's binary scheme; a browser has no such scheme, so it opens nothing.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  `connect-src 'self' ${DATA_SCHEME}:`,
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Headers every served page file carries, in both shells. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': RENDERER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * HTTP status of each error code. A Record over the closed code list, so a new code fails to compile until it is
 * placed here. Client mistakes are 4xx (the client can fix them), our failures 5xx.
 */
export const HTTP_STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  NOT_DICOM: 422,
  TRUNCATED: 422,
  UNSUPPORTED_TRANSFER_SYNTAX: 422,
  DECODE_FAILED: 422,
  INCONSISTENT_GEOMETRY: 422,
  NO_PIXEL_DATA: 422,
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  UNSAFE_GEOMETRY: 422,
  DB_FROM_NEWER_VERSION: 409,
  IO_ERROR: 500,
  NOT_NIFTI: 422,
  CANCELLED: 409,
  MODEL_INVALID: 422,
  // a valid model of a kind this engine refuses to run (it would give wrong masks)
  MODEL_UNSUPPORTED: 422,
  INFERENCE_FAILED: 500,
  UNAUTHORIZED: 401,
  CONFLICT: 409,
  INTERNAL: 500,
  // a model made for another modality or body region: the request is understood, this series is not its input
  MODALITY_MISMATCH: 422,
  // a file too big, too deep or too slow to read safely: the request is fine, this input cannot be served
  RESOURCE_LIMIT: 422,
  // the stored figures are of an older label map: the resource changed under them (measure again)
  STALE_RESULT: 409,
  // de-identification refused: the pixels may carry identifying text (override after checking them)
  BURNED_IN_ANNOTATION: 422,
  // the configured DICOM node did not take the objects
  SEND_FAILED: 502,
};

/**
 * A refusal at the transport level whose status is not the code's own (405 wrong verb, 408 body too slow, 413 body
 * too big, 421 foreign Host). Still an AppError, so the body carries a code from the closed list.
 */
export class TransportError extends AppError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** The status and the error body for anything thrown while answering a request. */
export function errorReply(err: unknown): { status: number; body: { ok: false; error: ErrorData } } {
  const error = toErrorData(err);
  const status = err instanceof TransportError ? err.status : HTTP_STATUS_OF[error.code];
  return { status, body: { ok: false, error } };
}

/** decodeURIComponent that refuses malformed %-escapes (and NUL) as bad input instead of crashing with URIError. */
export function decodePathPart(part: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    throw new AppError('INVALID_INPUT', 'malformed %-encoding in the request path');
  }
  if (decoded.includes('\0')) throw new AppError('INVALID_INPUT', 'NUL in the request path');
  return decoded;
}

export interface StaticFile {
  bytes: Buffer;
  contentType: string;
}

/**
 * A file of the built renderer for a URL path ('/' is index.html). Anything that resolves outside the folder,
 * directly or through a symlink, is NOT_FOUND: the same answer as a missing file, so nothing outside is probed.
 */
export async function readStaticFile(rootDir: string, urlPathname: string): Promise<StaticFile> {
  const root = path.resolve(rootDir);
  const rel = urlPathname === '/' ? 'index.html' : decodePathPart(urlPathname).replace(/^\/+/, '');
  const notFound = (): AppError => new AppError('NOT_FOUND', 'not found');
  const inside = (p: string, dir: string): boolean => p.startsWith(dir + path.sep);
  const file = path.resolve(root, rel);
  if (!inside(file, root)) throw notFound();
  const [realRoot, realFile] = await Promise.all([realpath(root).catch(() => null), realpath(file).catch(() => null)]);
  if (!realRoot || !realFile || !inside(realFile, realRoot)) throw notFound();
  const info = await stat(realFile).catch(() => null);
  if (!info?.isFile()) throw notFound();
  return { bytes: await readFile(realFile), contentType: contentTypeOf(realFile) };
}

/**
 * The binary resource a `/data/<kind>/<id>[?box=…]` path names. An id the regex admits but a double cannot hold
 * exactly (over 2^53 − 1) is refused: rounded, it would name a different resource.
 */
export async function readBinaryResource(table: ServiceTable, pathname: string, search: string): Promise<BinaryResource> {
  const digits = new RegExp(`^/data/(?:${BINARY_KINDS.join('|')})/([0-9]+)$`).exec(pathname)?.[1];
  if (digits !== undefined && BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AppError('INVALID_INPUT', `id ${digits.slice(0, 40)} is beyond ${Number.MAX_SAFE_INTEGER}`);
  }
  const target = parseBinaryPath(pathname, search);
  if (!target) throw new AppError('NOT_FOUND', 'no such resource');
  return table.readBinary(target.kind, target.resourceId, target.box, target.sliceK);
}
