// Responses of the two custom protocols: the built renderer (with CSP) and binary voxel/label data by id.
// Plain fetch-API Request -> Response, so they run under protocol.handle and in Node tests alike.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseBinaryPath } from '../../shared/ipc/contract.js';
import { toErrorData } from '../../shared/errors.js';
import type { ServiceTable } from '../methods/types.js';
import { APP_ORIGIN, ELECTRON_CSP } from './security.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

export async function appProtocolResponse(request: Request, rendererDir: string): Promise<Response> {
  const url = new URL(request.url);
  const root = path.resolve(rendererDir);
  if (`${url.protocol}//${url.host}` !== APP_ORIGIN) return new Response('not found', { status: 404 });
  const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
  const file = path.resolve(root, rel);
  if (!file.startsWith(root + path.sep)) return new Response('not found', { status: 404 });
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return new Response('not found', { status: 404 });
  return new Response(new Uint8Array(await readFile(file)), {
    headers: {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': ELECTRON_CSP,
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

export async function dataProtocolResponse(request: Request, table: ServiceTable): Promise<Response> {
  // The page (APP_ORIGIN) fetches these cross-origin; nothing else may read them.
  const cors = { 'Access-Control-Allow-Origin': APP_ORIGIN, 'Access-Control-Expose-Headers': 'X-Medseg-Dtype' };
  if (request.method !== 'GET') return new Response('method not allowed', { status: 405, headers: cors });
  const url = new URL(request.url);
  const target = parseBinaryPath(url.pathname, url.search);
  if (!target) return new Response('not found', { status: 404, headers: cors });
  try {
    const { bytes, dtype } = await table.readBinary(target.kind, target.resourceId, target.box);
    return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { ...cors, 'Content-Type': 'application/octet-stream', 'X-Medseg-Dtype': dtype } });
  } catch (err) {
    const e = toErrorData(err);
    return new Response(JSON.stringify({ ok: false, error: e }), { status: e.code === 'NOT_FOUND' ? 404 : 500, headers: { ...cors, 'Content-Type': 'application/json' } });
  }
}
