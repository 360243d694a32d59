// The geometry status survives DICOM → NIfTI → medseg (sidecar, header extension, descrip), NIfTI files that cannot
// vouch for their geometry are never 'ok', and convert refuses unsafe series unless --force. Real data + nibabel files.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/headless/cli.js';
import { readNifti, readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { DATA_DIR, python, TS_DIR } from '../../helpers/measureHelpers.js';

const TILT = path.join(DATA_DIR, 'dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing');
const CT_DICOM = path.join(TS_DIR, 'example_ct_dicom');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-geometry-status-'));
const GAP = path.join(tmp, 'gap');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}
const codes = (r: { findings: { code: string }[] }): string[] => r.findings.map((f) => f.code).sort();

beforeAll(() => {
  // The 20-slice CT with its 11th file removed: MISSING_SLICE, unsafe.
  mkdirSync(GAP);
  readdirSync(CT_DICOM)
    .sort()
    .forEach((f, n) => n !== 10 && copyFileSync(path.join(CT_DICOM, f), path.join(GAP, f)));
  // nibabel-made files, each lacking something a NIfTI header should vouch for.
  python<unknown>(`
import json, numpy as np, nibabel as nib
d = ${JSON.stringify(tmp)}
a = np.zeros((12, 10, 8), np.int16); a[3:9, 2:8, 2:6] = 1
aff = np.diag([-0.8, -0.8, 2.0, 1.0]); aff[:3, 3] = [40, 30, -10]
def save(img, name, units=None, t=None):
    if units is not None or t is not None: img.header.set_xyzt_units(xyz=units, t=t)
    nib.save(img, d + '/' + name)
img = nib.Nifti1Image(a, aff); img.set_qform(aff, code=1); img.set_sform(aff, code=1); save(img, 'mm.nii.gz', 'mm')
img = nib.Nifti1Image(a, None); img.header.set_zooms((0.8, 0.8, 2.0)); img.set_qform(None, code=0); img.set_sform(None, code=0); save(img, 'no_orientation.nii.gz', 'mm')
aff_um = aff.copy(); aff_um[:3, :] *= 1000
img = nib.Nifti1Image(a, aff_um); img.set_qform(aff_um, code=1); img.set_sform(aff_um, code=1); save(img, 'micron.nii.gz', 'micron')
img = nib.Nifti1Image(a, aff); img.set_qform(aff, code=1); img.set_sform(aff, code=1); save(img, 'unknown_units.nii.gz')
b = np.stack([a, a, a, a], axis=3)
img = nib.Nifti1Image(b, aff); img.set_qform(aff, code=1); img.set_sform(aff, code=1); save(img, 'xyzt.nii.gz', 'mm', 'sec')
# a 2D cine stored as x, y, t: 3D, a time unit and no spatial unit, pixdim[3] is the frame interval
aff_t = np.diag([-0.8, -0.8, 40.0, 1.0])
img = nib.Nifti1Image(a, aff_t); img.set_qform(aff_t, code=1); img.set_sform(aff_t, code=1); img.header.set_xyzt_units(xyz='unknown', t='msec'); nib.save(img, d + '/xyt.nii.gz')
# nibabel repairs a zero voxel size on save: patch the bytes (pixdim[2] = 0, qform_code = sform_code = 0)
img = nib.Nifti1Image(a, aff); img.set_qform(aff, code=1); img.set_sform(aff, code=1); save(img, 'zero_pixdim.nii', 'mm')
import struct
raw = bytearray(open(d + '/zero_pixdim.nii', 'rb').read())
struct.pack_into('<f', raw, 76 + 4 * 2, 0.0); struct.pack_into('<hh', raw, 252, 0, 0)
open(d + '/zero_pixdim.nii', 'wb').write(bytes(raw))
print(json.dumps(True))
`);
});

describe('the geometry status survives DICOM → NIfTI → medseg', () => {
  it('gantry-tilt CT: warning with GANTRY_TILT + NON_UNIFORM_SPACING comes back from the sidecar, then the header extension, then descrip', async () => {
    const src = await loadVolumeFromPath(TILT);
    expect(src.geometry.status).toBe('warning');
    expect(codes(src.geometry)).toEqual(['GANTRY_TILT', 'NON_UNIFORM_SPACING']);
    const out = path.join(tmp, 'tilt.nii.gz');
    const conv = await cli('convert', TILT, '-o', out, '--json');
    expect(conv.code).toBe(0);
    expect(JSON.parse(conv.out)).toMatchObject({ forced: false, sidecar: path.join(tmp, 'tilt.json') });
    const sidecar = JSON.parse(readFileSync(path.join(tmp, 'tilt.json'), 'utf8'));
    expect(sidecar.MedsegGeometry.status).toBe('warning');

    const back = await readNifti(out);
    expect(back.recordedFrom).toBe('sidecar');
    expect(back.geometry.status).toBe('warning');
    expect(codes(back.geometry)).toEqual(['GANTRY_TILT', 'NON_UNIFORM_SPACING']);
    // The tilt angle and the messages survive too (the sidecar holds the whole report).
    expect(back.geometry.findings.find((f) => f.code === 'GANTRY_TILT')).toEqual(src.geometry.findings.find((f) => f.code === 'GANTRY_TILT'));

    // nibabel reads the file with our extension (ecode 6) and the recorded descrip / intent_name.
    const nib = python<{ shape: number[]; ecodes: number[]; descrip: string; intent: string; json: { status: string } }>(`
import json, nibabel as nib
i = nib.load(${JSON.stringify(out)})
e = i.header.extensions
print(json.dumps(dict(shape=list(i.shape), ecodes=[int(x.get_code()) for x in e], descrip=i.header['descrip'].tobytes().decode().rstrip('\\x00'),
  intent=i.header['intent_name'].tobytes().decode().rstrip('\\x00'), json=json.loads(e[0].get_content().rstrip(b'\\x00'))['MedsegGeometry'])))
`);
    expect(nib.shape).toEqual(src.volume.dims);
    expect(nib.ecodes).toEqual([6]);
    expect(nib.descrip).toMatch(/^medseg geometry=warning GANTRY_TILT:w NON_UNIFORM_SPACING:w/);
    expect(nib.intent).toBe('medseg:warning');
    expect(nib.json.status).toBe('warning');

    // Without the sidecar: the header extension.
    rmSync(path.join(tmp, 'tilt.json'));
    const noSidecar = await readNifti(out);
    expect(noSidecar.recordedFrom).toBe('extension');
    expect(noSidecar.geometry.status).toBe('warning');
    expect(codes(noSidecar.geometry)).toEqual(['GANTRY_TILT', 'NON_UNIFORM_SPACING']);

    // Re-saved by nibabel without extensions (descrip kept): still warning, from descrip.
    const stripped = path.join(tmp, 'tilt_stripped.nii.gz');
    python<unknown>(`
import json, nibabel as nib
i = nib.load(${JSON.stringify(out)}); h = i.header.copy(); h.extensions.clear()
nib.save(nib.Nifti1Image(i.dataobj, i.affine, h), ${JSON.stringify(stripped)}); print('true')
`);
    const fromDescrip = await readNifti(stripped);
    expect(fromDescrip.recordedFrom).toBe('descrip');
    expect(fromDescrip.geometry.status).toBe('warning');
    expect(codes(fromDescrip.geometry)).toEqual(['GANTRY_TILT', 'NON_UNIFORM_SPACING']);
  }, 120_000);

  it('a series with a slice removed: convert refuses (UNSAFE_GEOMETRY) unless --force; the forced file stays unsafe and measure refuses it', async () => {
    const out = path.join(tmp, 'gap.nii.gz');
    const refused = await cli('convert', GAP, '-o', out, '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out).error.code).toBe('UNSAFE_GEOMETRY');
    expect(refused.err).toMatch(/MISSING_SLICE/);
    expect(existsSync(out)).toBe(false);

    const forced = await cli('convert', GAP, '-o', out, '--force', '--json');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.out)).toMatchObject({ forced: true, geometry: { status: 'unsafe' } });
    const back = await readNifti(out);
    expect(back.geometry.status).toBe('unsafe');
    expect(codes(back.geometry)).toContain('MISSING_SLICE');
    // Sidecar gone: the header alone keeps it unsafe.
    rmSync(path.join(tmp, 'gap.json'));
    expect((await readNifti(out)).geometry.status).toBe('unsafe');

    const m = await cli('measure', out, '--threshold=0:100', '--json');
    expect(m.code).toBe(1);
    expect(JSON.parse(m.out).error.code).toBe('UNSAFE_GEOMETRY');
    expect(m.err).toMatch(/MISSING_SLICE/);
  }, 120_000);

  it('a stale sidecar that calls an unsafe file ok does not make it safer', async () => {
    const out = path.join(tmp, 'gap2.nii.gz');
    expect((await cli('convert', GAP, '-o', out, '--force')).code).toBe(0);
    const sidecar = path.join(tmp, 'gap2.json');
    const j = JSON.parse(readFileSync(sidecar, 'utf8'));
    j.MedsegGeometry = { ...j.MedsegGeometry, status: 'ok', findings: [] };
    (await import('node:fs')).writeFileSync(sidecar, JSON.stringify(j));
    const back = await readNifti(out);
    expect(back.geometry.status).toBe('unsafe');
    expect(back.recordedFrom).toBe('extension');
  }, 120_000);
});

describe('NIfTI headers that cannot vouch for their geometry are never ok (nibabel-made files)', () => {
  it('mm with sform/qform: ok, nothing recorded', async () => {
    const r = await readNifti(path.join(tmp, 'mm.nii.gz'));
    expect(r.geometry).toEqual({ status: 'ok', findings: [] });
    expect(r.recordedFrom).toBeNull();
  });

  it('no orientation (qform_code = sform_code = 0): NIFTI_NO_ORIENTATION, warning', async () => {
    const r = await readNifti(path.join(tmp, 'no_orientation.nii.gz'));
    expect(r.affineSource).toBe('pixdim');
    expect(r.geometry.status).toBe('warning');
    expect(codes(r.geometry)).toEqual(['NIFTI_NO_ORIENTATION']);
  });

  it('a label map without orientation is not moved onto another grid (left/right would be a guess); on its own grid it is measured', async () => {
    const placed = await cli('measure', path.join(tmp, 'mm.nii.gz'), '--labels', path.join(tmp, 'no_orientation.nii.gz'), '--json');
    expect(placed.code).toBe(1);
    expect(JSON.parse(placed.out).error.code).toBe('UNSAFE_GEOMETRY');
    expect(placed.err).toMatch(/no orientation/);
    const own = await cli('measure', path.join(tmp, 'no_orientation.nii.gz'), '--labels', path.join(tmp, 'no_orientation.nii.gz'), '--json');
    expect(own.code).toBe(0);
    const j = JSON.parse(own.out);
    expect(j.geometry.status).toBe('warning');
    expect(j.geometry.findings.map((f: { code: string }) => f.code)).toEqual(['NIFTI_NO_ORIENTATION']);
    // 6 x 6 x 4 voxels of 0.8 x 0.8 x 2 mm
    expect(j.labels[0].volumeMl).toBeCloseTo((6 * 6 * 4 * 0.8 * 0.8 * 2) / 1000, 6); // pixdim is float32
  }, 60_000);

  it('micrometres: converted to mm (0.8 mm voxels, origin in mm) with NIFTI_UNITS_CONVERTED', async () => {
    const r = await readNifti(path.join(tmp, 'micron.nii.gz'));
    expect(r.spatialUnitsCode).toBe(3);
    r.volume.spacingMm.forEach((s, k) => expect(s).toBeCloseTo([0.8, 0.8, 2][k], 5));
    r.volume.originLps.forEach((o, k) => expect(o).toBeCloseTo([-40, -30, -10][k], 3)); // RAS (40, 30, -10) in LPS
    expect(r.geometry.status).toBe('warning');
    expect(codes(r.geometry)).toEqual(['NIFTI_UNITS_CONVERTED']);
  });

  it('unknown units: millimetres assumed, NIFTI_UNITS_UNKNOWN warning (as the real TotalSegmentator files)', async () => {
    const r = await readNifti(path.join(tmp, 'unknown_units.nii.gz'));
    expect(codes(r.geometry)).toEqual(['NIFTI_UNITS_UNKNOWN']);
    expect(r.geometry.status).toBe('warning');
    const real = await readNifti(path.join(TS_DIR, 'example_seg.nii.gz'));
    expect(codes(real.geometry)).toEqual(['NIFTI_UNITS_UNKNOWN']);
  });

  it('4D x,y,z,t: the first volume, NIFTI_EXTRA_DIMENSIONS warning', async () => {
    const r = await readNifti(path.join(tmp, 'xyzt.nii.gz'));
    expect(r.volume.dims).toEqual([12, 10, 8]);
    expect(r.timepoints).toBe(4);
    expect(codes(r.geometry)).toEqual(['NIFTI_EXTRA_DIMENSIONS']);
    expect(r.geometry.findings[0].details).toEqual({ count: 4 });
  });

  it('x,y,t (third axis time) and a zero voxel size: unsafe, and mm outputs are refused or given in voxels', async () => {
    const xyt = await readNifti(path.join(tmp, 'xyt.nii.gz'));
    expect(xyt.geometry.status).toBe('unsafe');
    expect(codes(xyt.geometry)).toEqual(['NIFTI_TIME_AXIS', 'NIFTI_UNITS_UNKNOWN']);
    const zero = await readNifti(path.join(tmp, 'zero_pixdim.nii'));
    expect(zero.geometry.status).toBe('unsafe');
    expect(codes(zero.geometry)).toEqual(['NIFTI_NO_ORIENTATION', 'NIFTI_SPACING_ASSUMED']);

    // measure refuses mL; compare gives Dice and HD95 in voxels, never labelled mm.
    const m = await cli('measure', path.join(tmp, 'xyt.nii.gz'), '--labels', path.join(tmp, 'xyt.nii.gz'), '--json');
    expect(JSON.parse(m.out).error.code).toBe('UNSAFE_GEOMETRY');
    const labels = await readNiftiLabels(path.join(tmp, 'xyt.nii.gz'));
    expect(labels.geometryReport.status).toBe('unsafe');
    const copy = path.join(tmp, 'xyt_copy.nii.gz');
    copyFileSync(path.join(tmp, 'xyt.nii.gz'), copy);
    const c = await cli('compare', path.join(tmp, 'xyt.nii.gz'), copy, '--json');
    expect(c.code).toBe(0);
    const j = JSON.parse(c.out);
    expect(j.hd95Unit).toBe('voxels');
    expect(j.warnings.map((w: { code: string }) => w.code)).toContain('HD95_IN_VOXELS');
    expect(j.labels).toEqual([expect.objectContaining({ valueA: 1, valueB: 1, dice: 1, hd95Mm: null, hd95Voxels: 0 })]);
  }, 60_000);
});
