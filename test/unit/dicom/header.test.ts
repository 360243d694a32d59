// readDicomHeader against pydicom (scripts/ref-header.py): identity, pixel module and per-frame geometry,
// including enhanced multi-frame functional groups and RTDOSE grid frame offsets; coded errors for bad files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.js';
import { readDicomHeader } from '../../../main/services/dicom/parse.js';
import type { DicomInstance } from '../../../main/services/dicom/types.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const DATA = DATA_DIR;
const REPO = REPO_DIR;

const inDir = (dir: string): string[] =>
  readdirSync(path.join(DATA, dir))
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => path.join(DATA, dir, f));

const files = [
  ...inDir('dcm_qa_enh/Philips'),
  ...inDir('dcm_qa_enh/Siemens_XA10'),
  ...inDir('dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing').slice(0, 3),
  ...inDir('totalsegmentator_example/example_ct_dicom').slice(0, 3),
  ...[
    'eCT_Supplemental.dcm',
    'emri_small.dcm',
    'emri_small_big_endian.dcm',
    'liver.dcm',
    'MR2_UNCR.dcm',
    'SC_rgb.dcm',
    'gdcm-US-ALOKA-16.dcm',
    'OT-PAL-8-face.dcm',
  ].map((f) => path.join(DATA, 'pydicom_data_selected', f)),
  ...[
    'CT_small.dcm',
    'MR_small_implicit.dcm',
    'ExplVR_BigEnd.dcm',
    'rtdose.dcm',
    'rtdose_expb.dcm',
    'rtdose_rle.dcm',
    'image_dfl.dcm',
    'dicomdirtests/77654033/CR1/6154',
  ].map((f) => path.join(DATA, 'pydicom_test_files_debian', f)),
];

interface RefFrame {
  imagePositionPatient: number[] | null;
  imageOrientationPatient: number[] | null;
  pixelSpacingMm: number[] | null;
  pixelSpacingSource: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  stackId: string | null;
  temporalPositionIndex: number | null;
}
interface RefHeader {
  path: string;
  sopInstanceUid: string | null;
  sopClassUid: string | null;
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  patientId: string;
  patientName: string;
  seriesDescription: string | null;
  modality: string;
  instanceNumber: number | null;
  seriesNumber: number | null;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  photometricInterpretation: string | null;
  numberOfFrames: number;
  gantryTiltDeg: number | null;
  isEnhanced: boolean;
  frames: RefFrame[];
}

const refs = new Map<string, RefHeader>();
beforeAll(() => {
  const out = execFileSync('/usr/bin/python3', [path.join(REPO, 'scripts/ref-header.py'), ...files], { maxBuffer: 1 << 28, timeout: 120_000 });
  for (const r of JSON.parse(out.toString()) as RefHeader[]) refs.set(r.path, r);
}, 180_000);

const close = (a: number[] | undefined, b: number[] | null, what: string): void => {
  if (b === null) {
    expect(a, what).toBeUndefined();
    return;
  }
  expect(a, what).toBeDefined();
  expect(a?.length, what).toBe(b.length);
  b.forEach((v, i) => expect(Math.abs((a as number[])[i] - v), `${what}[${i}]`).toBeLessThan(1e-6));
};

describe('readDicomHeader equals pydicom', () => {
  for (const file of files) {
    it(path.relative(DATA, file), () => {
      const ref = refs.get(file) as RefHeader;
      const inst: DicomInstance = readDicomHeader(readFileSync(file), file);
      expect(inst.path).toBe(file);
      expect(inst.sopInstanceUid).toBe(ref.sopInstanceUid ?? '');
      expect(inst.sopClassUid).toBe(ref.sopClassUid ?? '');
      expect(inst.studyInstanceUid).toBe(ref.studyInstanceUid ?? '');
      expect(inst.seriesInstanceUid).toBe(ref.seriesInstanceUid ?? '');
      expect(inst.patientId).toBe(ref.patientId);
      expect(inst.patientName).toBe(ref.patientName);
      expect(inst.seriesDescription).toBe(ref.seriesDescription ?? undefined);
      expect(inst.modality).toBe(ref.modality);
      expect(inst.instanceNumber).toBe(ref.instanceNumber ?? undefined);
      expect(inst.seriesNumber).toBe(ref.seriesNumber ?? undefined);
      expect(inst.rows).toBe(ref.rows);
      expect(inst.columns).toBe(ref.columns);
      expect(inst.samplesPerPixel).toBe(ref.samplesPerPixel);
      expect(inst.bitsAllocated).toBe(ref.bitsAllocated);
      expect(inst.bitsStored).toBe(ref.bitsStored || ref.bitsAllocated);
      expect(inst.pixelRepresentation).toBe(ref.pixelRepresentation);
      expect(inst.photometricInterpretation).toBe(ref.photometricInterpretation);
      expect(inst.numberOfFrames).toBe(ref.numberOfFrames);
      expect(inst.gantryTiltDeg).toBe(ref.gantryTiltDeg ?? undefined);
      expect(inst.isEnhanced).toBe(ref.isEnhanced);
      expect(inst.hasPixelData).toBe(true);
      expect(inst.frames.length).toBe(ref.frames.length);
      inst.frames.forEach((f, i) => {
        const r = ref.frames[i];
        expect(f.frameIndex).toBe(i);
        close(f.imagePositionPatient, r.imagePositionPatient, `frame ${i} IPP`);
        close(f.imageOrientationPatient?.flat(), r.imageOrientationPatient, `frame ${i} IOP`);
        close(f.pixelSpacingMm, r.pixelSpacingMm, `frame ${i} spacing`);
        expect(f.pixelSpacingSource).toBe(r.pixelSpacingSource);
        expect(f.rescaleSlope).toBeCloseTo(r.rescaleSlope, 12);
        expect(f.rescaleIntercept).toBeCloseTo(r.rescaleIntercept, 12);
        expect(f.stackId).toBe(r.stackId ?? undefined);
        expect(f.temporalPositionIndex).toBe(r.temporalPositionIndex ?? undefined);
      });
    });
  }

  it('covers what it claims: enhanced frames differ in position, RTDOSE frames move along the normal, CR is uncalibrated', () => {
    const enh = files.filter((f) => refs.get(f)?.isEnhanced);
    expect(enh.length).toBeGreaterThanOrEqual(3);
    const rtdose = refs.get(path.join(DATA, 'pydicom_test_files_debian/rtdose.dcm')) as RefHeader;
    expect(new Set(rtdose.frames.map((f) => f.imagePositionPatient?.[2])).size).toBe(rtdose.numberOfFrames);
    const cr = readDicomHeader(readFileSync(path.join(DATA, 'pydicom_test_files_debian/dicomdirtests/77654033/CR1/6154')), 'cr');
    expect(cr.frames[0].pixelSpacingSource).toBe('ImagerPixelSpacing');
  });
});

describe('character sets', () => {
  it('UTF-8 (ISO_IR 192) and Latin-1 (ISO_IR 100) names read as pydicom decodes them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-charset-'));
    try {
      const cases = [
        ['ISO_IR 192', 'Müller^Jürgen=ミュラー', 'Thorax – axial'],
        ['ISO_IR 100', 'Müller^Jürgen', 'Thorax axial'],
      ];
      const files = cases.map(([charset, name, desc], i) => {
        const out = path.join(dir, `${i}.dcm`);
        const src = path.join(DATA, 'pydicom_test_files_debian/CT_small.dcm');
        // pydicom writes the values in the named character set: an independent encoder for our decoder.
        execFileSync('/usr/bin/python3', [
          '-c',
          'import pydicom,sys; d=pydicom.dcmread(sys.argv[1]); d.SpecificCharacterSet=sys.argv[3]; d.PatientName=sys.argv[4]; d.SeriesDescription=sys.argv[5]; d.save_as(sys.argv[2])',
          src,
          out,
          charset,
          name,
          desc,
        ]);
        return out;
      });
      const ref = JSON.parse(execFileSync('/usr/bin/python3', [path.join(REPO, 'scripts/ref-header.py'), ...files]).toString()) as RefHeader[];
      files.forEach((f, i) => {
        const inst = readDicomHeader(readFileSync(f), f);
        expect(inst.patientName).toBe(cases[i][1]);
        expect(inst.patientName).toBe(ref[i].patientName);
        expect(inst.seriesDescription).toBe(ref[i].seriesDescription);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('coded errors', () => {
  const code = (file: string): string => {
    try {
      readDicomHeader(readFileSync(file), file);
      return 'ok';
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).message).toContain(path.basename(file));
      return (err as AppError).code;
    }
  };
  const debian = (f: string): string => path.join(DATA, 'pydicom_test_files_debian', f);

  it('text, JSON and gzip files are NOT_DICOM', () => {
    for (const f of ['README.txt', 'test1.json', 'zipMR.gz', 'rtplan.dump']) expect(code(debian(f)), f).toBe('NOT_DICOM');
  });

  it('files cut short are TRUNCATED', () => {
    for (const f of ['MR_truncated.dcm', 'rtplan_truncated.dcm']) expect(code(debian(f)), f).toBe('TRUNCATED');
    // A valid file cut in the middle of its pixel data: the header must not pass it off as complete.
    const whole = readFileSync(debian('CT_small.dcm'));
    expect(() => readDicomHeader(whole.subarray(0, whole.length - 1000), 'cut.dcm')).toThrowError(AppError);
  });

  it('files without a meta header, or without a transfer syntax in it, are read', () => {
    expect(readDicomHeader(readFileSync(debian('rtstruct.dcm')), 'rtstruct.dcm').modality).toBe('RTSTRUCT');
    expect(readDicomHeader(readFileSync(debian('ExplVR_BigEndNoMeta.dcm')), 'be.dcm').transferSyntaxUid).toBe('1.2.840.10008.1.2.2');
    expect(readDicomHeader(readFileSync(debian('ExplVR_LitEndNoMeta.dcm')), 'le.dcm').transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    // CT_small with (0002,0010) cut out of its meta header (and the group length fixed): still readable.
    const ct = readFileSync(debian('CT_small.dcm'));
    const ref = readDicomHeader(ct, 'ct.dcm');
    const tsAt = ct.indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49]));
    const tsLen = 8 + ct.readUInt16LE(tsAt + 6);
    const noTsBytes = Buffer.concat([ct.subarray(0, tsAt), ct.subarray(tsAt + tsLen)]);
    noTsBytes.writeUInt32LE(ct.readUInt32LE(140) - tsLen, 140); // (0002,0000) value sits at byte 140
    const noTs = readDicomHeader(noTsBytes, 'nots.dcm');
    expect(noTs.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(noTs.sopInstanceUid).toBe(ref.sopInstanceUid);
    expect(noTs.frames[0].imagePositionPatient).toEqual(ref.frames[0].imagePositionPatient);
    // pydicom's meta_missing_tsyntax.dcm: its body is one private group-0001 sequence, no image data set.
    expect(code(debian('meta_missing_tsyntax.dcm'))).toBe('NOT_DICOM');
  });

  it('non-image objects parse with hasPixelData false', () => {
    for (const f of ['rtplan.dcm', 'test-SR.dcm']) expect(readDicomHeader(readFileSync(debian(f)), f).hasPixelData).toBe(false);
  });
});
