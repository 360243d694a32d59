// Responses of the two custom protocols: the built renderer (with the shared CSP) and binary voxel/label data by id.
// Plain fetch-API Request -> Response, so they run under protocol.handle and in Node tests alike; the file serving,
// CSP and error statuses are main/adapters/web.ts, the same as `medseg serve`.
import { errorReply, PAGE_HEADERS, readBinaryResource, readStaticFile, TransportError } from '../adapters/web.js';
import type { ServiceTable } from '../methods/types.js';
import { APP_ORIGIN } from './security.js';

function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  const { status, body } = errorReply(err);
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
  });
}

export async function appProtocolResponse(request: Request, rendererDir: string): Promise<Response> {
  try {
    const url = new URL(request.url);
    if (`${url.protocol}//${url.host}` !== APP_ORIGIN) throw new TransportError(404, 'NOT_FOUND', 'not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') throw new TransportError(405, 'INVALID_INPUT', 'read-only');
    const file = await readStaticFile(rendererDir, url.pathname);
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.bytes), { headers: { ...PAGE_HEADERS, 'Content-Type': file.contentType } });
  } catch (err) {
    return errorResponse(err);
  }
}

export async function dataProtocolResponse(request: Request, table: ServiceTable): Promise<Response> {
  // The page (APP_ORIGIN) fetches these cross-origin; nothing else may read them.
  const cors = { 'Access-Control-Allow-Origin': APP_ORIGIN, 'Access-Control-Expose-Headers': 'X-Medseg-Dtype' };
  try {
    if (request.method !== 'GET') throw new TransportError(405, 'INVALID_INPUT', 'use GET');
    const url = new URL(request.url);
    const { bytes, dtype } = await readBinaryResource(table, url.pathname, url.search);
    return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { ...cors, 'Content-Type': 'application/octet-stream', 'X-Medseg-Dtype': dtype } });
  } catch (err) {
    return errorResponse(err, cors);
  }
}
