// Hostile inputs to import never hang or flood the process: devices and FIFOs are refused, huge and sparse files are
// judged from their first bytes or size, and gzip / zip bombs stop at the expansion caps — each a coded error while
// the good files beside them are still read. All inputs are generated in a temp dir.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../../../shared/errors.js';
import { readInstances } from '../../../main/services/catalog/importer.js';
import { expandInputs, readSourceBytes, type SourceRef } from '../../../main/services/catalog/sources.js';
import { DATA_DIR } from '../../helpers/paths.js';

const CT_SMALL = join(DATA_DIR, 'pydicom_test_files_debian/CT_small.dcm');

const made: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'medseg-hostile-'));
  made.push(dir);
  return dir;
}
// The generated inputs are large (100 MB files): never leave them behind.
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return err.code;
  }
}

/** Reads headers of what `inputs` expand to; returns the instances and every coded error by path. */
async function readAll(inputs: string[]): Promise<{ ok: string[]; errors: Map<string, ErrorCode>; ms: number }> {
  const started = performance.now();
  const expanded = await expandInputs(inputs);
  const errors = new Map<string, ErrorCode>(expanded.errors.map((e) => [e.path, e.code]));
  const label = (s: SourceRef): string => (s.archiveMember ? `${s.path}!${s.archiveMember}` : s.path);
  const instances = await readInstances(expanded.sources, { onError: (s, err) => errors.set(label(s), err.code) });
  return { ok: instances.map((i) => (i.archiveMember ? `${i.path}!${i.archiveMember}` : i.path)), errors, ms: performance.now() - started };
}

/** A minimal zip writer (deflate members, sizes declared truthfully): enough to build archives for the tests. */
function zipOf(members: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const packed = deflateRawSync(m.data, { level: 9 });
    const name = Buffer.from(m.name, 'utf8');
    const crc = crc32(m.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

describe('hostile inputs to import', () => {
  it('/dev/zero as an input path is refused as a device, at once', async () => {
    const r = await readAll(['/dev/zero']);
    expect(r.errors.get('/dev/zero')).toBe('INVALID_INPUT');
    expect(r.ok).toEqual([]);
    expect(r.ms).toBeLessThan(2_000);
    expect(await codeOf(readSourceBytes({ path: '/dev/zero' }))).toBe('INVALID_INPUT');
  });

  it('a symlink to a FIFO (and a FIFO itself) is refused without blocking, a dangling one reported; the real file beside it is read', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const folder = join(dir, 'in');
    mkdirSync(folder);
    symlinkSync(fifo, join(folder, 'looks-like.dcm'));
    symlinkSync(join(dir, 'no-such-file'), join(folder, 'dangling.dcm'));
    copyFileSync(CT_SMALL, join(folder, 'ct.dcm'));
    const r = await readAll([folder]);
    expect(r.errors.get(join(folder, 'looks-like.dcm'))).toBe('INVALID_INPUT');
    expect(r.errors.get(join(folder, 'dangling.dcm'))).toBe('NOT_FOUND');
    expect(r.ok).toEqual([join(folder, 'ct.dcm')]);
    expect(r.ms).toBeLessThan(5_000);
    // Named directly, and read directly (the check a reader makes before opening).
    expect((await readAll([fifo])).errors.get(fifo)).toBe('INVALID_INPUT');
    expect(await codeOf(readSourceBytes({ path: join(folder, 'looks-like.dcm') }))).toBe('INVALID_INPUT');
  });

  it('a 1.9 GB sparse file is refused by its size and a 100 MB zero-filled file by its first bytes, without reading them', async () => {
    const dir = tempDir();
    const sparse = join(dir, 'sparse.dcm');
    const zeros = join(dir, 'zeros.dcm');
    execFileSync('truncate', ['-s', '1900M', sparse]);
    writeFileSync(zeros, Buffer.alloc(100 * 1024 * 1024));
    copyFileSync(CT_SMALL, join(dir, 'ct.dcm'));
    const rssBefore = process.memoryUsage().rss;
    const r = await readAll([dir]);
    expect(r.errors.get(sparse)).toBe('RESOURCE_LIMIT');
    expect(r.errors.get(zeros)).toBe('NOT_DICOM');
    expect(r.ok).toEqual([join(dir, 'ct.dcm')]);
    expect(r.ms).toBeLessThan(3_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it('a .dcm.gz that expands past the cap is RESOURCE_LIMIT; an honest .dcm.gz is read', async () => {
    const dir = tempDir();
    const bomb = join(dir, 'bomb.dcm.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(96 * 1024 * 1024), { level: 9 }));
    writeFileSync(join(dir, 'ct.dcm.gz'), gzipSync(readFileSync(CT_SMALL)));
    expect(readFileSync(bomb).length).toBeLessThan(200 * 1024);
    const r = await readAll([dir]);
    expect(r.errors.get(bomb)).toBe('RESOURCE_LIMIT');
    expect(r.ok).toEqual([join(dir, 'ct.dcm.gz')]);
    // Inflating stops at the 64 MB cap (~0.3 s on an idle core; unbounded, such a file took ~60 s). Loose for busy CI.
    expect(r.ms).toBeLessThan(15_000);
  });

  it('a zip member that expands past the cap is RESOURCE_LIMIT; the other members are read', async () => {
    const dir = tempDir();
    const zip = join(dir, 'study.zip');
    writeFileSync(
      zip,
      zipOf([
        { name: 'a/ct.dcm', data: readFileSync(CT_SMALL) },
        { name: 'a/bomb.dcm', data: Buffer.alloc(96 * 1024 * 1024) },
        { name: 'a/ct.dcm.gz', data: gzipSync(readFileSync(CT_SMALL)) },
      ]),
    );
    const r = await readAll([zip]);
    expect(r.errors.get(`${zip}!a/bomb.dcm`)).toBe('RESOURCE_LIMIT');
    expect(r.ok.sort()).toEqual([`${zip}!a/ct.dcm`, `${zip}!a/ct.dcm.gz`]);
    expect(await codeOf(readSourceBytes({ path: zip, archiveMember: 'a/bomb.dcm' }))).toBe('RESOURCE_LIMIT');
    // Refused from the declared sizes, before inflating anything.
    expect(r.ms).toBeLessThan(15_000);
  });
});
