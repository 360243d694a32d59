// Electron's two protocols answer like `medseg serve`: the same CSP, content types, traversal refusals and error
// statuses (main/adapters/web.ts), including malformed %-encoding (400) and ids a double cannot hold (400).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appProtocolResponse, dataProtocolResponse } from '../../../main/electron/protocols.js';
import { APP_ORIGIN } from '../../../main/electron/security.js';
import { RENDERER_CSP } from '../../../main/adapters/web.js';
import { startHttpServer } from '../../../main/headless/http.js';
import type { MethodImpls, ServiceTable } from '../../../main/methods/types.js';
import { AppError } from '../../../shared/errors.js';

let rendererDir: string;
const reads: string[] = [];
const table: ServiceTable = {
  methods: {} as MethodImpls,
  readBinary: async (kind, id, box) => {
    reads.push(`${kind}/${id}`);
    if (box) throw new AppError('INVALID_INPUT', 'box outside the grid');
    if (kind === 'labelmap') throw new AppError('INCONSISTENT_GEOMETRY', 'not on its series grid');
    if (id !== 3) throw new AppError('NOT_FOUND', 'none');
    return { bytes: new Uint8Array([1, 2, 3]), dtype: 'uint8' };
  },
  close: async () => undefined,
};
const codeOf = async (r: Response): Promise<string> => ((await r.json()) as { error: { code: string } }).error.code;

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'medseg-protocols-'));
  rendererDir = path.join(dir, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>medseg</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'export {};');
  writeFileSync(path.join(rendererDir, 'assets', 'model.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(path.join(dir, 'secret.txt'), 'not for the page');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(rendererDir, 'leak.txt'));
});

describe('medseg-app protocol', () => {
  it('serves the page with the one CSP that medseg serve sends, and content types by extension', async () => {
    const page = await appProtocolResponse(new Request(`${APP_ORIGIN}/`), rendererDir);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const srv = await startHttpServer({ table, rendererDir });
    try {
      const viaHttp = await fetch(`http://127.0.0.1:${srv.port}/`);
      expect(viaHttp.headers.get('content-security-policy')).toBe(page.headers.get('content-security-policy'));
    } finally {
      await srv.close();
    }
    expect((await appProtocolResponse(new Request(`${APP_ORIGIN}/assets/app.js`), rendererDir)).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await appProtocolResponse(new Request(`${APP_ORIGIN}/assets/model.wasm`), rendererDir)).headers.get('content-type')).toBe('application/wasm');
  });

  it('refuses traversal (dots, encoded dots, a symlink out of the folder) as 404 and bad %-encoding as 400', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/leak.txt', '/assets']) {
      const r = await appProtocolResponse(new Request(`${APP_ORIGIN}${p}`), rendererDir);
      expect(r.status, p).toBe(404);
      expect(await codeOf(r)).toBe('NOT_FOUND');
    }
    const bad = await appProtocolResponse(new Request(`${APP_ORIGIN}/%E0%A4%A`), rendererDir);
    expect(bad.status).toBe(400);
    expect(await codeOf(bad)).toBe('INVALID_INPUT');
    expect((await appProtocolResponse(new Request('medseg-app://other/index.html'), rendererDir)).status).toBe(404);
  });
});

describe('medseg-data protocol', () => {
  it('maps errors by the shared table: INVALID_INPUT 400, geometry 422, missing 404, wrong verb 405', async () => {
    const get = (p: string): Promise<Response> => dataProtocolResponse(new Request(`medseg-data://local${p}`), table);
    const ok = await get('/data/volume/3');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(Array.from(new Uint8Array(await ok.arrayBuffer()))).toEqual([1, 2, 3]);
    const box = await get('/data/labelmap/3?box=0,0,0,1,1,1');
    expect([box.status, await codeOf(box)]).toEqual([400, 'INVALID_INPUT']);
    expect(box.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN); // the page can read the refusal
    const grid = await get('/data/labelmap/3');
    expect([grid.status, await codeOf(grid)]).toEqual([422, 'INCONSISTENT_GEOMETRY']);
    expect((await get('/data/volume/4')).status).toBe(404);
    expect((await get('/etc/passwd')).status).toBe(404);
    const post = await dataProtocolResponse(new Request('medseg-data://local/data/volume/3', { method: 'POST', body: 'x' }), table);
    expect([post.status, await codeOf(post)]).toEqual([405, 'INVALID_INPUT']);
  });

  it('refuses ids beyond 2^53 − 1 instead of reading the rounded neighbour', async () => {
    reads.length = 0;
    const r = await dataProtocolResponse(new Request('medseg-data://local/data/volume/9007199254740995'), table);
    expect([r.status, await codeOf(r)]).toEqual([400, 'INVALID_INPUT']);
    expect(reads).toEqual([]);
  });
});
