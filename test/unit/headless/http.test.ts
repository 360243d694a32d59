// The headless server's safety rails: token on every API request, loopback-only bind, body size and time limits,
// schema check before a service runs, binary resources as raw bytes, CSP on the served page, and the status each
// error code gets (main/adapters/web.ts); model ids that are paths refused on a real service table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkInterfaces } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startHttpServer, type RunningHttpServer } from '../../../main/headless/http.js';
import type { MethodImpls, ServiceTable } from '../../../main/methods/types.js';
import { AppError, ERROR_CODES } from '../../../shared/errors.js';
import { HTTP_STATUS_OF } from '../../../main/adapters/web.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { openDatabase } from '../../../main/db/database.js';
import { REPO_DIR } from '../../helpers/paths.js';
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
    if (input.paths[0] === '/slow-import') {
      // stands for a long import: runs until its caller goes away
      await new Promise((resolve) => ctx.signal?.addEventListener('abort', resolve));
      calls.push('import:cancelled');
      throw new AppError('CANCELLED', 'Import cancelled.');
    }
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
  'edit.undo': async ({ segmentationId }) => {
    throw new AppError('CONFLICT', `segmentation ${segmentationId} was edited elsewhere`);
  },
};
const binaryReads: string[] = [];
// Every other method of the table answers 'not used', so the stub keeps up with the contract as it grows.
const fakeMethods = { ...(Object.fromEntries(Object.keys(methods).map((m) => [m, notUsed])) as unknown as MethodImpls), ...stubs };
const table: ServiceTable = {
  methods: fakeMethods,
  readBinary: async (kind, id, box) => {
    binaryReads.push(`${kind}/${id}`);
    if (kind === 'labelmap' && box) throw new AppError('INVALID_INPUT', 'box outside the grid');
    if (kind === 'labelmap' && id === 5) throw new AppError('INCONSISTENT_GEOMETRY', 'not on its series grid');
    if (kind !== 'volume' || id !== 7) throw new AppError('NOT_FOUND', 'none');
    return { bytes: new Uint8Array(new Int16Array([-1024, 0, 3071]).buffer), dtype: 'int16' };
  },
  close: async () => undefined,
};

/** Sends raw bytes on one connection and returns the status line's code, the headers and the body. */
function rawRequest(text: string, keepOpenMs = 0): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: srv.port }, () => s.write(text));
    let all = '';
    s.on('data', (d) => (all += d.toString()));
    s.on('error', reject);
    s.on('close', () => {
      const [head, body = ''] = all.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), head, body });
    });
    if (keepOpenMs > 0) setTimeout(() => s.destroy(), keepOpenMs);
  });
}
const hostHeader = (): string => `Host: 127.0.0.1:${srv.port}`;

let srv: RunningHttpServer;
const TOKEN = 'test-token-abc';
const auth = { Authorization: `Bearer ${TOKEN}` };
const base = (): string => `http://127.0.0.1:${srv.port}`;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'medseg-http-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  srv = await startHttpServer({ table, token: TOKEN, rendererDir: dir, maxBodyBytes: 4096, bodyTimeoutMs: 300 });
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

describe('HTTP statuses follow the one code → status map', () => {
  const codeOf = async (res: Response): Promise<string> => ((await res.json()) as { error: { code: string } }).error.code;

  it('every code of the closed list has a 4xx or 5xx status; client mistakes are 4xx', () => {
    for (const code of ERROR_CODES) expect(HTTP_STATUS_OF[code], code).toBeGreaterThanOrEqual(400);
    expect(HTTP_STATUS_OF.INVALID_INPUT).toBe(400);
    expect(HTTP_STATUS_OF.UNAUTHORIZED).toBe(401);
    expect(HTTP_STATUS_OF.NOT_FOUND).toBe(404);
    expect(HTTP_STATUS_OF.CONFLICT).toBe(409);
    expect(HTTP_STATUS_OF.INTERNAL).toBe(500);
  });

  it('binary reads: INVALID_INPUT is 400 and a geometry refusal 422, not 500', async () => {
    const box = await fetch(`${base()}/data/labelmap/3?box=0,0,0,9,9,9`, { headers: auth });
    expect(box.status).toBe(400);
    expect(await codeOf(box)).toBe('INVALID_INPUT');
    const grid = await fetch(`${base()}/data/labelmap/5`, { headers: auth });
    expect(grid.status).toBe(422);
    expect(await codeOf(grid)).toBe('INCONSISTENT_GEOMETRY');
  });

  it('a method error keeps its status: CONFLICT is 409', async () => {
    const res = await fetch(`${base()}/rpc/edit.undo`, { method: 'POST', body: '{"segmentationId":4}', headers: auth });
    expect(res.status).toBe(409);
    expect(await codeOf(res)).toBe('CONFLICT');
  });

  it('405 carries INVALID_INPUT and 421 UNAUTHORIZED, not NOT_FOUND; 401 carries UNAUTHORIZED', async () => {
    const get = await fetch(`${base()}/rpc/app.info`, { headers: auth });
    expect(get.status).toBe(405);
    expect(await codeOf(get)).toBe('INVALID_INPUT');
    const put = await fetch(`${base()}/index.html`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(await codeOf(put)).toBe('INVALID_INPUT');
    const rebound = await rawRequest(`GET /data/volume/7 HTTP/1.1\r\nHost: evil.example:${srv.port}\r\nConnection: close\r\n\r\n`);
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body).error.code).toBe('UNAUTHORIZED');
    const noAuth = await fetch(`${base()}/rpc/app.info`, { method: 'POST', body: '{}' });
    expect(await codeOf(noAuth)).toBe('UNAUTHORIZED');
  });

  it('malformed %-encoding in a path is 400 INVALID_INPUT, for the page and for /rpc (was 500)', async () => {
    const page = await rawRequest(`GET /%E0%A4%A HTTP/1.1\r\n${hostHeader()}\r\nConnection: close\r\n\r\n`);
    expect(page.status).toBe(400);
    expect(JSON.parse(page.body).error.code).toBe('INVALID_INPUT');
    const rpc = await fetch(`${base()}/rpc/app.%E0%A4%A`, { method: 'POST', body: '{}', headers: auth });
    expect(rpc.status).toBe(400);
    expect(await codeOf(rpc)).toBe('INVALID_INPUT');
  });

  it('a request body that does not arrive in time is refused with 408 and the connection closed; nothing runs', async () => {
    calls.length = 0;
    const t0 = Date.now();
    const slow = await rawRequest(
      `POST /rpc/import.paths HTTP/1.1\r\n${hostHeader()}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"paths":`,
      10_000,
    );
    expect(slow.status).toBe(408);
    expect(slow.head.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(slow.body).error.code).toBe('INVALID_INPUT');
    expect(Date.now() - t0).toBeLessThan(5000); // the server closed it, not our 10 s guard
    expect(calls).toEqual([]);
  });

  it('ids beyond 2^53 − 1 are refused (400), never rounded to a neighbour', async () => {
    binaryReads.length = 0;
    for (const id of ['9007199254740993', '9999999999999999']) {
      const res = await fetch(`${base()}/data/volume/${id}`, { headers: auth });
      expect(res.status, id).toBe(400);
      expect(await codeOf(res)).toBe('INVALID_INPUT');
    }
    expect(binaryReads).toEqual([]);
    // The largest exact id still reaches the service, unchanged.
    expect((await fetch(`${base()}/data/volume/9007199254740991`, { headers: auth })).status).toBe(404);
    expect(binaryReads).toEqual(['volume/9007199254740991']);
    // JSON ids too: JSON.parse would round 9007199254740993 to …992; the schema refuses it instead.
    const rpc = await fetch(`${base()}/rpc/volume.info`, { method: 'POST', body: '{"seriesId":9007199254740993}', headers: auth });
    expect(rpc.status).toBe(400);
    expect(await codeOf(rpc)).toBe('INVALID_INPUT');
  });
});

describe('segment.start over HTTP on the real service table', () => {
  it('refuses a model id that is a path (absolute, relative, with a backslash) before touching the file system', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-http-model-'));
    const real = createServiceTable({ db: openDatabase(path.join(dir, 'cat.db')), mode: 'http', appVersion: 'test' });
    const s = await startHttpServer({ table: real, token: TOKEN });
    try {
      for (const modelId of [path.join(REPO_DIR, 'models/abdomen-ct'), '../models/abdomen-ct', 'models/abdomen-ct', '..\\abdomen-ct', '.hidden']) {
        const res = await fetch(`http://127.0.0.1:${s.port}/rpc/segment.start`, {
          method: 'POST',
          body: JSON.stringify({ seriesId: 1, modelId }),
          headers: auth,
        });
        expect(res.status, modelId).toBe(400);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('INVALID_INPUT');
        expect(body.error.message).toMatch(/not a model id/);
      }
      // A name is looked up (here: the series is missing, so NOT_FOUND, which a path never reaches).
      const named = await fetch(`http://127.0.0.1:${s.port}/rpc/segment.start`, {
        method: 'POST',
        body: '{"seriesId":1,"modelId":"abdomen-ct"}',
        headers: auth,
      });
      expect(named.status).toBe(404);
    } finally {
      await s.close();
      await real.close();
    }
  });
});

describe('a call whose client goes away', () => {
  it('is cancelled (its signal aborts), so an import stops instead of running on for nobody', async () => {
    const body = JSON.stringify({ paths: ['/slow-import'] });
    const request = `POST /rpc/import.paths HTTP/1.1\r\n${hostHeader()}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    await rawRequest(request, 300); // the client hangs up after 300 ms, before any reply
    for (let n = 0; n < 40 && !calls.includes('import:cancelled'); n++) await new Promise((r) => setTimeout(r, 50));
    expect(calls).toContain('import:cancelled');
  });
});
