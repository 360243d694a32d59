// Headless adapter: serves the method table and the built renderer over HTTP on 127.0.0.1 ONLY, every API request
// gated by a bearer token (printed once at start). POST /rpc/<method> JSON, GET /data/<kind>/<id> binary, GET /events SSE.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { dispatch } from '../adapters/dispatch.js';
import type { CallContext, ServiceTable } from '../methods/types.js';
import { parseBinaryPath, type EventName, type EventPayload } from '../../shared/ipc/contract.js';
import { toErrorData } from '../../shared/errors.js';

/** Loopback only: the server holds patient data and reads local paths; it must never listen on a network interface. */
export const LOOPBACK_HOST = '127.0.0.1';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The page's CSP: only our own scripts/styles, no inline script, no remote anything, no framing. */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

export interface HttpServerOptions {
  table: ServiceTable;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token for tests; otherwise 256 random bits. */
  token?: string;
  /** Built renderer folder (dist-renderer); null serves the API only. */
  rendererDir?: string | null;
  maxBodyBytes?: number;
}

export interface RunningHttpServer {
  server: Server;
  port: number;
  token: string;
  /** The one line `medseg serve` prints. */
  url: string;
  /** Push an event to every connected /events stream. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(`Bearer ${token}`);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const rendererDir = opts.rendererDir ? path.resolve(opts.rendererDir) : null;
  const sseClients = new Set<ServerResponse>();
  let port = 0;

  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of sseClients) res.write(frame);
  };
  const ctx: CallContext = { emit };

  const authorized = (req: IncomingMessage): boolean => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === tokenBytes.length && timingSafeEqual(given, tokenBytes);
  };
  // DNS rebinding: a hostile page resolving its own name to 127.0.0.1 would send its own Host header.
  const hostAllowed = (req: IncomingMessage): boolean => {
    const host = req.headers.host ?? '';
    return host === `${LOOPBACK_HOST}:${port}` || host === `localhost:${port}`;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    if (!hostAllowed(req)) throw new HttpFailure(421, 'unexpected Host header');
    const url = new URL(req.url ?? '/', `http://${LOOPBACK_HOST}:${port}`);
    const isApi = url.pathname.startsWith('/rpc/') || url.pathname.startsWith('/data/') || url.pathname === '/events';
    if (!isApi) return serveStatic(req, res, url.pathname);
    if (!authorized(req)) {
      // Drain nothing: refuse before reading a byte of the body.
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendJson(res, 401, { ok: false, error: { code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' } });
    }
    if (url.pathname.startsWith('/rpc/')) {
      if (req.method !== 'POST') throw new HttpFailure(405, 'use POST for /rpc');
      const body = await readBody(req, maxBody);
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        return sendJson(res, 400, { ok: false, error: { code: 'INVALID_INPUT', message: 'body is not JSON' } });
      }
      const reply = await dispatch(opts.table, decodeURIComponent(url.pathname.slice('/rpc/'.length)), input, ctx);
      const status = reply.ok ? 200 : reply.error.code === 'INVALID_INPUT' ? 400 : reply.error.code === 'NOT_FOUND' ? 404 : reply.error.code === 'INTERNAL' ? 500 : 422;
      return sendJson(res, status, reply);
    }
    if (req.method !== 'GET') throw new HttpFailure(405, 'use GET');
    if (url.pathname === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      sseClients.add(res);
      req.on('close', () => sseClients.delete(res));
      return;
    }
    const target = parseBinaryPath(url.pathname, url.search);
    if (!target) throw new HttpFailure(404, 'no such resource');
    try {
      const { bytes, dtype } = await opts.table.readBinary(target.kind, target.resourceId, target.box);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength, 'X-Medseg-Dtype': dtype });
      res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      const e = toErrorData(err);
      sendJson(res, e.code === 'NOT_FOUND' ? 404 : 500, { ok: false, error: e });
    }
  };

  const serveStatic = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpFailure(405, 'read-only');
    if (!rendererDir) throw new HttpFailure(404, 'no renderer bundle');
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    const file = path.resolve(rendererDir, rel);
    if (file !== rendererDir && !file.startsWith(rendererDir + path.sep)) throw new HttpFailure(404, 'not found');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new HttpFailure(404, 'not found');
    const bytes = await readFile(file);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': RENDERER_CSP,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'X-Frame-Options': 'DENY',
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpFailure) {
        if (err.status === 413) res.setHeader('Connection', 'close');
        sendJson(res, err.status, { ok: false, error: { code: err.status === 413 ? 'INVALID_INPUT' : 'NOT_FOUND', message: err.message } });
      } else sendJson(res, 500, { ok: false, error: toErrorData(err) });
    });
  });
  server.requestTimeout = 0; // imports can run for minutes; the body limit bounds what a client can send
  server.headersTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, LOOPBACK_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string' || addr.address !== LOOPBACK_HOST) {
    server.close();
    throw new Error(`server bound to ${JSON.stringify(addr)}, expected ${LOOPBACK_HOST}`);
  }
  port = addr.port;

  return {
    server,
    port,
    token,
    url: `http://${LOOPBACK_HOST}:${port}/?token=${token}`,
    emit,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of sseClients) res.end();
        sseClients.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      req.resume();
      return reject(new HttpFailure(413, `request body over ${maxBytes} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpFailure(413, `request body over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
