// Damaged input never crashes the reader or decoders: real files of every codec, cut short or with bytes
// overwritten (fixed seed), give either frames of the declared size or a coded AppError, within a time bound; and
// hostile mutants (allocation, nesting and deflate bombs, bad lengths) are refused with the expected code, quickly
// and without growing the heap.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES } from '../../../shared/errors.js';
import { decodeAllFrames } from '../../../main/services/dicom/decode.js';
import { readDicomHeader } from '../../../main/services/dicom/parse.js';
import { DATA_DIR } from '../../helpers/paths.js';
import { MUTANT_SOURCES, mutantsOf } from '../../helpers/hostileMutants.js';

const DATA = DATA_DIR;
const sources = [
  'dcm_qa_ts/1.dcm',
  'dcm_qa_ts/3.dcm',
  'dcm_qa_ts/4.dcm',
  'dcm_qa_ts/5.dcm',
  'dcm_qa_ts/7.dcm',
  'dcm_qa_ts/9.dcm',
  'pydicom_data_selected/HTJ2KLossless_08_RGB.dcm',
  'pydicom_data_selected/emri_small_RLE.dcm',
  'pydicom_data_selected/eCT_Supplemental.dcm',
  'pydicom_test_files_debian/JPGExtended.dcm',
  'pydicom_test_files_debian/SC_rgb_jpeg_dcmtk.dcm',
  'pydicom_test_files_debian/image_dfl.dcm',
];

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function outcome(bytes: Uint8Array, name: string): Promise<string> {
  try {
    const inst = readDicomHeader(bytes, name);
    const frames = await decodeAllFrames(bytes, inst);
    for (const f of frames) {
      const n = f.kind === 'grey' ? f.values.length : f.rgb.length / 3;
      expect(n).toBe(inst.rows * inst.columns);
    }
    return 'ok';
  } catch (err) {
    if (!(err instanceof AppError)) throw new Error(`${name}: uncoded ${String(err)}`);
    expect(ERROR_CODES).toContain(err.code);
    return err.code;
  }
}

describe('damaged files give frames or coded errors', () => {
  for (const src of sources) {
    it(
      src,
      async () => {
        const original = readFileSync(path.join(DATA, src));
        const random = prng(src.length * 7919);
        const counts: Record<string, number> = {};
        const started = performance.now();
        for (let trial = 0; trial < 24; trial++) {
          const bytes = new Uint8Array(original);
          let damaged: Uint8Array;
          if (trial % 3 === 0) damaged = bytes.subarray(0, Math.floor(random() * bytes.length));
          else {
            // Overwrite a few bytes, mostly in the second half where the pixel data lives.
            const hits = 1 + Math.floor(random() * 8);
            for (let h = 0; h < hits; h++) bytes[Math.floor((0.3 + 0.7 * random()) * bytes.length)] = Math.floor(random() * 256);
            damaged = bytes;
          }
          const code = await outcome(damaged, `${src}#${trial}`);
          counts[code] = (counts[code] ?? 0) + 1;
        }
        expect(performance.now() - started).toBeLessThan(60_000);
        // Cutting a file short must never pass unnoticed: some trials are errors.
        expect(Object.keys(counts).some((c) => c !== 'ok')).toBe(true);
      },
      120_000,
    );
  }
});

describe('hostile mutants of real files are refused before they allocate', () => {
  for (const src of MUTANT_SOURCES) {
    it(
      src,
      async () => {
        for (const m of mutantsOf(src)) {
          const heapBefore = process.memoryUsage().heapUsed;
          const started = performance.now();
          const code = await outcome(m.bytes, `${src} [${m.name}]`);
          const ms = performance.now() - started;
          expect({ mutant: m.name, code }).toEqual({ mutant: m.name, code: expect.toSatisfy((c: string) => m.expect.includes(c)) });
          expect(ms, m.name).toBeLessThan(5_000);
          // A refused bomb leaves no large allocation behind (allowing for the mutant itself and GC timing).
          expect(process.memoryUsage().heapUsed - heapBefore, m.name).toBeLessThan(256 * 1024 * 1024);
        }
      },
      120_000,
    );
  }
});

describe('a compressed frame that declares another size than the header is refused before a codec allocates', () => {
  for (const src of ['pydicom_test_files_debian/JPEG2000.dcm', 'dcm_qa_ts/5.dcm', 'pydicom_test_files_debian/SC_rgb_jpeg_dcmtk.dcm']) {
    it(src, async () => {
      const bytes = new Uint8Array(readFileSync(path.join(DATA, src)));
      const inst = readDicomHeader(bytes, src);
      // Patch the codestream's own width (J2K SIZ Xsiz, or a JPEG SOF's X) to 60000.
      let patched = false;
      for (let i = 0; i + 12 < bytes.length && !patched; i++) {
        if (bytes[i] === 0xff && bytes[i + 1] === 0x4f && bytes[i + 2] === 0xff && bytes[i + 3] === 0x51) {
          new DataView(bytes.buffer).setUint32(i + 8, 60000, false);
          patched = true;
        } else if (bytes[i] === 0xff && [0xc0, 0xc1, 0xc3, 0xf7].includes(bytes[i + 1]) && bytes[i + 4] >= 8 && bytes[i + 4] <= 16 && i > 132) {
          new DataView(bytes.buffer).setUint16(i + 7, 60000, false);
          patched = true;
        }
      }
      expect(patched).toBe(true);
      const err = await decodeAllFrames(bytes, inst).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('DECODE_FAILED');
      expect((err as AppError).message).toContain('the compressed frame declares 60000×');
    });
  }
});
