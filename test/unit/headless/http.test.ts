// The headless server's safety rails: token on every API request, loopback-only bind, body size limit,
// schema check before a service runs, binary resources as raw bytes, and CSP on the served page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkInterfaces } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startHttpServer, type RunningHttpServer } from '../../../main/headless/http.js';
import type { MethodImpls, ServiceTable } from '../../../main/methods/types.js';
import { AppError } from '../../../shared/errors.js';
import { methods } from '../../../shared/ipc/contract.js';

const calls: string[] = [];
const notUsed = async (): Promise<never> => {
  throw new AppError('INTERNAL', 'not used in this test');
};
const stubs: Partial<MethodImpls> = {
  'app.info': async () => {
    calls.push('app.info');
    return { name: 'medseg', version: '0.0.0-test', mode: 'http', canPickPaths: false };
  },
  'catalog.list': async () => ({ patients: [] }),
  'import.paths': async (input, ctx) => {
    calls.push(`import:${input.paths.join(',')}`);
    ctx.emit('import.progress', { filesDone: 1, filesTotal: 1 });
    return { filesSeen: 1, seriesIds: [], problems: [] };
  },
  'dialog.pickPaths': notUsed,
  'volume.info': async ({ seriesId }) => {
    throw new AppError('NOT_FOUND', `no series ${seriesId}`);
  },
  'segmentations.list': notUsed,
  'segmentations.addFromNifti': notUsed,
};
// Every other method of the table answers 'not used', so the stub keeps up with the contract as it grows.
const fakeMethods = { ...(Object.fromEntries(Object.keys(methods).map((m) => [m, notUsed])) as unknown as MethodImpls), ...stubs };
const table: ServiceTable = {
  methods: fakeMethods,
  readBinary: async (kind, id) => {
    if (kind !== 'volume' || id !== 7) throw new AppError('NOT_FOUND', 'none');
    return { bytes: new Uint8Array(new Int16Array([-1024, 0, 3071]).buffer), dtype: 'int16' };
  },
};

let srv: RunningHttpServer;
const TOKEN = 'test-token-abc';
const auth = { Authorization: `Bearer ${TOKEN}` };
const base = (): string => `http://127.0.0.1:${srv.port}`;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'medseg-http-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  srv = await startHttpServer({ table, token: TOKEN, rendererDir: dir, maxBodyBytes: 4096 });
});
afterAll(async () => {
  await srv.close();
});

describe('medseg serve HTTP adapter', () => {
  it('prints a loopback URL carrying the token and binds 127.0.0.1 only', () => {
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/?token=${TOKEN}`);
    const addr = srv.server.address();
    expect(typeof addr === 'object' && addr?.address).toBe('127.0.0.1');
  });

  it('is not reachable on any non-loopback address of this machine', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal)
      .map((a) => a!.address);
    for (const host of [...external, '::1']) {
      const connected = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host, port: srv.port });
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      expect(connected, `reachable on ${host}`).toBe(false);
    }
  });

  it('answers 401 without the token, with a wrong token, on rpc, data and events, and runs no service', async () => {
    calls.length = 0;
    const noAuth = await fetch(`${base()}/rpc/app.info`, { method: 'POST', body: '{}' });
    expect(noAuth.status).toBe(401);
    const wrong = await fetch(`${base()}/rpc/app.info`, { method: 'POST', body: '{}', headers: { Authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const query = await fetch(`${base()}/rpc/app.info?token=${TOKEN}`, { method: 'POST', body: '{}' });
    expect(query.status).toBe(401);
    expect((await fetch(`${base()}/data/volume/7`)).status).toBe(401);
    expect((await fetch(`${base()}/events`)).status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('runs a method with the token and returns errors as data', async () => {
    const ok = await fetch(`${base()}/rpc/app.info`, { method: 'POST', body: '{}', headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, result: { name: 'medseg', version: '0.0.0-test', mode: 'http', canPickPaths: false } });
    const missing = await fetch(`${base()}/rpc/volume.info`, { method: 'POST', body: '{"seriesId":3}', headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no series 3' } });
    const unknown = await fetch(`${base()}/rpc/fs.delete`, { method: 'POST', body: '{}', headers: auth });
    expect(unknown.status).toBe(404);
  });

  it('validates input before the service runs', async () => {
    calls.length = 0;
    const bad = await fetch(`${base()}/rpc/import.paths`, { method: 'POST', body: '{"paths":[],"extra":1}', headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    const notJson = await fetch(`${base()}/rpc/import.paths`, { method: 'POST', body: '{paths', headers: auth });
    expect(notJson.status).toBe(400);
    expect(calls).toEqual([]);
  });

  it('refuses a body over the size limit with 413', async () => {
    const big = JSON.stringify({ paths: ['/x'.repeat(3000)] });
    const res = await fetch(`${base()}/rpc/import.paths`, { method: 'POST', body: big, headers: auth });
    expect(res.status).toBe(413);
    expect(calls.filter((c) => c.startsWith('import'))).toEqual([]);
  });

  it('serves voxels as raw little-endian bytes, not JSON', async () => {
    const res = await fetch(`${base()}/data/volume/7`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-medseg-dtype')).toBe('int16');
    expect(Array.from(new Int16Array(await res.arrayBuffer()))).toEqual([-1024, 0, 3071]);
    expect((await fetch(`${base()}/data/volume/8`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${base()}/data/volume/../../etc/passwd`, { headers: auth })).status).toBe(404);
  });

  it('pushes progress events to an authorised event stream', async () => {
    const events = await fetch(`${base()}/events`, { headers: auth });
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    await reader.read(); // the ': connected' comment
    await fetch(`${base()}/rpc/import.paths`, { method: 'POST', body: '{"paths":["/tmp"]}', headers: auth });
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('event: import.progress\ndata: {"filesDone":1,"filesTotal":1}');
    await reader.cancel();
  });

  it('serves the page with a strict CSP and refuses a foreign Host header and path traversal', async () => {
    const page = await fetch(`${base()}/?token=${TOKEN}`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const rebound = await new Promise<number>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: srv.port }, () => {
        s.write(`GET / HTTP/1.1\r\nHost: evil.example:${srv.port}\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('end', () => resolve(Number(text.split(' ')[1])));
    });
    expect(rebound).toBe(421);
    const traversal = await new Promise<number>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: srv.port }, () => {
        s.write(`GET /..%2f..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('end', () => resolve(Number(text.split(' ')[1])));
    });
    expect(traversal).toBe(404);
  });
});
