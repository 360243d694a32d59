// Shared helpers for the series/NIfTI real-data tests: read a folder through the project's DICOM reader, build
// stacks, and load reference NIfTI files through nibabel (an independent reader) for comparison.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDicomHeader } from '../../main/services/dicom/parse.js';
import { decodeFrame } from '../../main/services/dicom/decode.js';
import { assembleSeries, type AssembledStack } from '../../main/services/series/assemble.js';
import { buildVolume } from '../../main/services/series/buildVolume.js';
import type { DicomInstance } from '../../main/services/dicom/types.js';
import { applyAffine, ijkToLpsMatrix, type Vec3, type Volume } from '../../shared/domain/volume.js';
import { DATA_DIR } from './paths.js';

export const DATA = DATA_DIR;
export const PYTHON = '/usr/bin/python3';

export function readFolderInstances(dir: string): DicomInstance[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => path.join(dir, f))
    .map((p) => readDicomHeader(readFileSync(p), p));
}

export function stacksOf(dir: string): AssembledStack[] {
  return assembleSeries(readFolderInstances(dir));
}

export async function buildStack(stack: AssembledStack): Promise<Volume> {
  const bytes = new Map<string, Uint8Array>();
  const { volume } = await buildVolume(stack, async (instance, frameIndex) => {
    let b = bytes.get(instance.path);
    if (!b) {
      b = readFileSync(instance.path);
      bytes.set(instance.path, b);
    }
    return decodeFrame(b, instance, frameIndex);
  });
  return volume;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `medseg-${prefix}-`));
}

/** dcm2niix on a folder; returns the .nii.gz files it wrote (sorted). */
export function runDcm2niix(inputDir: string, extraArgs: string[] = []): string[] {
  const out = tempDir('d2n');
  execFileSync('dcm2niix', [...extraArgs, '-z', 'y', '-f', '%s_%e_%t', '-o', out, inputDir], { stdio: 'pipe' });
  return readdirSync(out)
    .filter((f) => f.endsWith('.nii.gz'))
    .sort()
    .map((f) => path.join(out, f));
}

export interface NibabelImage {
  shape: number[];
  /** 4x4 RAS affine as nibabel reports it (sform when set, else qform). */
  affineRas: number[][];
  /** Scaled values of volume `t`, i fastest (Fortran order), as float64. */
  data: Float64Array;
}

const NIBABEL_DUMP = `
import sys, json, numpy as np, nibabel as nib
img = nib.load(sys.argv[1]); a = np.asarray(img.dataobj, dtype=np.float64)
t = int(sys.argv[3])
if a.ndim > 3: a = a.reshape(a.shape[:3] + (-1,))[..., t]
a.ravel(order='F').astype('<f8').tofile(sys.argv[2])
print(json.dumps({'shape': list(img.shape), 'affine': img.affine.tolist(),
  'sform_code': int(img.header['sform_code']), 'qform_code': int(img.header['qform_code']),
  'qform': img.get_qform().tolist(), 'dtype': str(img.get_data_dtype())}))
`;

export function readWithNibabel(file: string, volumeIndex = 0): NibabelImage & { sformCode: number; qformCode: number; qformRas: number[][]; dtype: string } {
  const raw = path.join(tempDir('nib'), 'data.f64');
  const out = execFileSync(PYTHON, ['-c', NIBABEL_DUMP, file, raw, String(volumeIndex)], { encoding: 'utf8' });
  const info = JSON.parse(out) as { shape: number[]; affine: number[][]; sform_code: number; qform_code: number; qform: number[][]; dtype: string };
  const bytes = readFileSync(raw);
  const data = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { shape: info.shape, affineRas: info.affine, data, sformCode: info.sform_code, qformCode: info.qform_code, qformRas: info.qform, dtype: info.dtype };
}

export interface GridComparison {
  /** Largest distance (mm) between a voxel centre of ours and the matching reference voxel centre (8 corners). */
  maxPositionErrorMm: number;
  /** True when the reference grid has exactly our voxel centres (same dims up to axis flips/permutation). */
  sameVoxelSet: boolean;
  /** Voxels compared, and those whose values differ by more than the tolerance. */
  compared: number;
  mismatches: number;
  maxAbsDiff: number;
}

/**
 * Compares our volume with a reference image voxel by voxel in patient space: each of our voxel centres is
 * mapped through the reference affine (RAS → LPS) to a reference index, which must be integral (any flip or
 * permutation of axes allowed, e.g. dcm2niix's row flip), and the values there must agree within `tolerance`.
 */
export function compareInPatientSpace(ours: Volume, ref: NibabelImage, tolerance = 0, skip?: (i: number, j: number, k: number) => boolean): GridComparison {
  const refLps = ref.affineRas.map((row, r) => (r < 2 ? row.map((v) => -v) : row));
  const inv = invert4(refLps);
  const m = mul4(inv, ijkToLpsMatrix(ours)); // our ijk → reference ijk
  const rounded = m.map((row) => row.map((v) => Math.round(v)));
  const [nx, ny, nz] = ours.dims;
  const refDims = ref.shape.slice(0, 3);
  let maxErr = 0;
  let inside = true;
  for (const i of [0, nx - 1]) {
    for (const j of [0, ny - 1]) {
      for (const k of [0, nz - 1]) {
        const p = applyAffine(ijkToLpsMatrix(ours), [i, j, k]);
        const q = applyAffine(m, [i, j, k]).map(Math.round) as Vec3;
        if (q.some((v, a) => v < 0 || v >= refDims[a])) inside = false;
        const back = applyAffine(refLps, q);
        maxErr = Math.max(maxErr, Math.hypot(back[0] - p[0], back[1] - p[1], back[2] - p[2]));
      }
    }
  }
  const refCount = refDims[0] * refDims[1] * refDims[2];
  const sameVoxelSet = inside && refCount === nx * ny * nz && maxErr <= 0.01;
  let mismatches = 0;
  let maxAbsDiff = 0;
  let compared = 0;
  if (sameVoxelSet) {
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const qi = rounded[0][0] * i + rounded[0][1] * j + rounded[0][2] * k + rounded[0][3];
          const qj = rounded[1][0] * i + rounded[1][1] * j + rounded[1][2] * k + rounded[1][3];
          const qk = rounded[2][0] * i + rounded[2][1] * j + rounded[2][2] * k + rounded[2][3];
          if (skip?.(i, j, k)) continue;
          const a = ours.voxels[i + nx * (j + ny * k)];
          const b = ref.data[qi + refDims[0] * (qj + refDims[1] * qk)];
          const d = Math.abs(a - b);
          compared++;
          if (d > tolerance) mismatches++;
          if (d > maxAbsDiff) maxAbsDiff = d;
        }
      }
    }
  }
  return { maxPositionErrorMm: maxErr, sameVoxelSet, compared, mismatches, maxAbsDiff };
}

export function mul4(a: number[][], b: number[][]): number[][] {
  return a.map((row) => [0, 1, 2, 3].map((c) => row.reduce((s, v, k) => s + v * b[k][c], 0)));
}

export function invert4(m: number[][]): number[][] {
  // Affine inverse: [A t; 0 1]^-1 = [A^-1, -A^-1 t; 0 1]
  const a = [0, 1, 2].map((r) => [m[r][0], m[r][1], m[r][2]]);
  const det =
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const inv = [
    [a[1][1] * a[2][2] - a[1][2] * a[2][1], a[0][2] * a[2][1] - a[0][1] * a[2][2], a[0][1] * a[1][2] - a[0][2] * a[1][1]],
    [a[1][2] * a[2][0] - a[1][0] * a[2][2], a[0][0] * a[2][2] - a[0][2] * a[2][0], a[0][2] * a[1][0] - a[0][0] * a[1][2]],
    [a[1][0] * a[2][1] - a[1][1] * a[2][0], a[0][1] * a[2][0] - a[0][0] * a[2][1], a[0][0] * a[1][1] - a[0][1] * a[1][0]],
  ].map((row) => row.map((v) => v / det));
  const t = [0, 1, 2].map((r) => -(inv[r][0] * m[0][3] + inv[r][1] * m[1][3] + inv[r][2] * m[2][3]));
  return [
    [...inv[0], t[0]],
    [...inv[1], t[1]],
    [...inv[2], t[2]],
    [0, 0, 0, 1],
  ];
}

export interface PydicomStack {
  /** ImagePositionPatient of each slice, sorted along the slice normal by the Python side. */
  positionsLps: number[][];
  rowDir: number[];
  colDir: number[];
  /** PixelSpacing as stored: [between rows, between columns]. */
  pixelSpacing: number[];
  rows: number;
  columns: number;
  /** Modality values (slope/intercept applied), slice after slice, each row-major. */
  data: Float64Array;
}

const PYDICOM_STACK = `
import sys, json, glob, numpy as np, pydicom
ds = [pydicom.dcmread(f) for f in sorted(glob.glob(sys.argv[1] + '/*.dcm'))]
iop = np.array(ds[0].ImageOrientationPatient, dtype=float); n = np.cross(iop[:3], iop[3:])
ipp = np.array([[float(x) for x in d.ImagePositionPatient] for d in ds])
order = np.argsort(ipp @ n, kind='stable')
vals = np.stack([ds[i].pixel_array.astype(np.float64) * float(getattr(ds[i], 'RescaleSlope', 1)) + float(getattr(ds[i], 'RescaleIntercept', 0)) for i in order])
vals.astype('<f8').tofile(sys.argv[2])
print(json.dumps({'positions': ipp[order].tolist(), 'row': iop[:3].tolist(), 'col': iop[3:].tolist(),
  'spacing': [float(x) for x in ds[0].PixelSpacing], 'rows': int(ds[0].Rows), 'columns': int(ds[0].Columns)}))
`;

/** Reads a single-frame series with pydicom, sorted along the normal by numpy: an independent reference. */
export function readWithPydicom(dir: string): PydicomStack {
  const raw = path.join(tempDir('pyd'), 'data.f64');
  const info = JSON.parse(execFileSync(PYTHON, ['-c', PYDICOM_STACK, dir, raw], { encoding: 'utf8' })) as {
    positions: number[][];
    row: number[];
    col: number[];
    spacing: number[];
    rows: number;
    columns: number;
  };
  const bytes = readFileSync(raw);
  return {
    positionsLps: info.positions,
    rowDir: info.row,
    colDir: info.col,
    pixelSpacing: info.spacing,
    rows: info.rows,
    columns: info.columns,
    data: new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
  };
}
