// Headless adapter: serves the method table and the built renderer over HTTP on 127.0.0.1 ONLY, every API request
// gated by a bearer token (printed once at start). POST /rpc/<method> JSON, GET /data/<kind>/<id> binary, GET /events SSE.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { dispatch } from '../adapters/dispatch.js';
import { decodePathPart, errorReply, HTTP_STATUS_OF, PAGE_HEADERS, readBinaryResource, readStaticFile, TransportError } from '../adapters/web.js';
import type { CallContext, ServiceTable } from '../methods/types.js';
import type { EventName, EventPayload } from '../../shared/ipc/contract.js';
import { AppError } from '../../shared/errors.js';

/** Loopback only: the server holds patient data and reads local paths; it must never listen on a network interface. */
export const LOOPBACK_HOST = '127.0.0.1';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** A request body (at most 1 MiB of JSON) that has not fully arrived by then is refused with 408. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

export interface HttpServerOptions {
  table: ServiceTable;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token for tests; otherwise 256 random bits. */
  token?: string;
  /** Built renderer folder (dist-renderer); null serves the API only. */
  rendererDir?: string | null;
  maxBodyBytes?: number;
  /** How long a client may take to send a request body. */
  bodyTimeoutMs?: number;
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

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(`Bearer ${token}`);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
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
    if (!hostAllowed(req)) throw new TransportError(421, 'UNAUTHORIZED', 'unexpected Host header');
    const url = new URL(req.url ?? '/', `http://${LOOPBACK_HOST}:${port}`);
    const isApi = url.pathname.startsWith('/rpc/') || url.pathname.startsWith('/data/') || url.pathname === '/events';
    if (!isApi) return serveStatic(req, res, url.pathname);
    if (!authorized(req)) {
      // Drain nothing: refuse before reading a byte of the body.
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new AppError('UNAUTHORIZED', 'missing or wrong bearer token');
    }
    if (url.pathname.startsWith('/rpc/')) {
      if (req.method !== 'POST') throw new TransportError(405, 'INVALID_INPUT', 'use POST for /rpc');
      const name = decodePathPart(url.pathname.slice('/rpc/'.length));
      const body = await readBody(req, maxBody, bodyTimeoutMs);
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new AppError('INVALID_INPUT', 'body is not JSON');
      }
      // A call whose client goes away before the reply (a closed tab, a killed script) is cancelled: an import stops
      // reading files instead of running on for nobody.
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      const reply = await dispatch(opts.table, name, input, { ...ctx, signal: abort.signal });
      return sendJson(res, reply.ok ? 200 : HTTP_STATUS_OF[reply.error.code], reply);
    }
    if (req.method !== 'GET') throw new TransportError(405, 'INVALID_INPUT', 'use GET');
    if (url.pathname === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      sseClients.add(res);
      req.on('close', () => sseClients.delete(res));
      return;
    }
    const { bytes, dtype } = await readBinaryResource(opts.table, url.pathname, url.search);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength, 'X-Medseg-Dtype': dtype });
    res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };

  const serveStatic = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new TransportError(405, 'INVALID_INPUT', 'read-only');
    if (!rendererDir) throw new AppError('NOT_FOUND', 'no renderer bundle');
    const file = await readStaticFile(rendererDir, pathname);
    res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': file.contentType, 'Content-Length': file.bytes.byteLength });
    res.end(req.method === 'HEAD' ? undefined : file.bytes);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      const { status, body } = errorReply(err);
      // After a refused body (too big, too slow) the connection's remaining bytes are not a next request.
      if (status === 413 || status === 408) res.setHeader('Connection', 'close');
      sendJson(res, status, body);
    });
  });
  server.requestTimeout = 0; // imports can run for minutes; the body has its own timeout (readBody)
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

/** The request body, refused (413) past maxBytes and (408) when it has not all arrived within timeoutMs. */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      req.resume();
      return reject(new TransportError(413, 'INVALID_INPUT', `request body over ${maxBytes} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (err: Error): void => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      req.resume();
      reject(err);
    };
    // A client that opens a body and never finishes it would otherwise hold a socket and a buffer forever.
    const timer = setTimeout(() => stop(new TransportError(408, 'INVALID_INPUT', `request body not received within ${timeoutMs} ms`)), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return stop(new TransportError(413, 'INVALID_INPUT', `request body over ${maxBytes} bytes`));
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.on('error', stop);
  });
}
