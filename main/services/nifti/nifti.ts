// NIfTI-1 read/write (.nii and .nii.gz). NIfTI's world space is RAS; ours is LPS: x and y are negated on the
// way in and out. Reading honours sform (code > 0), else qform (quaternion + qfac), else pixdim alone.
// The geometry report survives the round trip: see niftiGeometry.ts (sidecar JSON, header extension, descrip).
import { createWriteStream } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip, gunzip } from 'node:zlib';
import { AppError } from '../../../shared/errors.js';
import { bytesPerVoxel, typedArrayOf, type VoxelDtype } from '../../../shared/domain/dtypes.js';
import { cross, dot, normalize, type Mat3, type Vec3, type Volume, type VolumeGeometry, type VoxelArray } from '../../../shared/domain/volume.js';
import { mergeGeometryReports, type GeometryReport } from '../../../shared/domain/geometry.js';
import {
  encodeGeometryExtension,
  headerFindings,
  readRecordedGeometry,
  recordedStatusText,
  sidecarPathOf,
  writeGeometrySidecar,
  type RecordedGeometry,
} from './niftiGeometry.js';

const gunzipAsync = promisify(gunzip);

const HEADER_SIZE = 348;
const VOX_OFFSET = 352;

const DT = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
} as const satisfies Record<VoxelDtype, number>;
type NiftiDataType = VoxelDtype;
const DT_BY_CODE = new Map<number, NiftiDataType>(Object.entries(DT).map(([k, v]) => [v, k as NiftiDataType]));

export interface NiftiReadResult {
  volume: Volume;
  /** Stored data type (before scl_slope/scl_inter). */
  datatype: NiftiDataType;
  /** Which header field gave the voxel→world mapping. */
  affineSource: 'sform' | 'qform' | 'pixdim';
  sformCode: number;
  qformCode: number;
  sclSlope: number;
  sclInter: number;
  /** dim[4]: only the first volume of a 4D file is read. */
  timepoints: number;
  description: string;
  /** xyzt_units & 7: 0 unknown, 1 metre, 2 mm, 3 µm (spacing and origin are converted to mm). */
  spatialUnitsCode: number;
  /**
   * The geometry report: what medseg recorded when it wrote the file (sidecar JSON first, else the header) merged
   * with what the header itself cannot vouch for (no orientation, units, assumed voxel size, extra dimensions).
   */
  geometry: GeometryReport;
  /** Where a recorded report came from (null: none recorded, e.g. a file not written by medseg). */
  recordedFrom: RecordedGeometry['source'];
}

/** Reads a .nii or .nii.gz file (gzip recognised by content, not by name), with its geometry report. */
export async function readNifti(path: string): Promise<NiftiReadResult> {
  const { recordedInHeader, ...parsed } = await readNiftiBytes(path);
  const recorded = await readRecordedGeometry(sidecarPathOf(path), recordedInHeader, parsed.volume.dims);
  // Recorded and header findings together; the status is never better than either's.
  return { ...parsed, geometry: recorded ? mergeGeometryReports(recorded.report, parsed.geometry) : parsed.geometry, recordedFrom: recorded?.source ?? null };
}

/** The header's fields a medseg record may sit in (read by niftiGeometry.readRecordedGeometry). */
type HeaderRecordFields = { extensions: { code: number; text: string }[]; description: string; intentName: string };
type ParsedNifti = Omit<NiftiReadResult, 'recordedFrom'> & { recordedInHeader: HeaderRecordFields };

async function readNiftiBytes(path: string): Promise<ParsedNifti> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `${path}: cannot read the file (${(err as Error).message}).`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (err) {
      throw new AppError('NOT_NIFTI', `${path}: the file is gzip-compressed but cannot be decompressed (${(err as Error).message}).`);
    }
  }
  return parseNifti(bytes, path);
}

/**
 * Parses NIfTI-1 bytes (already decompressed). `path` is used in error messages only. The geometry report holds
 * the header's own findings; what a sidecar or extension recorded is read by readNifti.
 */
export function parseNifti(bytes: Buffer, path: string): ParsedNifti {
  if (bytes.length < HEADER_SIZE) throw new AppError('NOT_NIFTI', `${path}: too short to be a NIfTI-1 file (${bytes.length} bytes).`);
  let le = true;
  if (bytes.readInt32LE(0) !== HEADER_SIZE) {
    if (bytes.readInt32BE(0) !== HEADER_SIZE) {
      if (bytes.readInt32LE(0) === 540 || bytes.readInt32BE(0) === 540) {
        throw new AppError('NOT_NIFTI', `${path}: a NIfTI-2 file; only NIfTI-1 is supported (convert it, e.g. with nibabel).`);
      }
      throw new AppError('NOT_NIFTI', `${path}: not a NIfTI-1 file (header size field is not 348).`);
    }
    le = false;
  }
  const magic = bytes.toString('latin1', 344, 348);
  if (magic === 'ni1\0') {
    throw new AppError('NOT_NIFTI', `${path}: a two-file NIfTI (.hdr/.img) header; only single-file .nii/.nii.gz is supported.`);
  }
  if (magic !== 'n+1\0') throw new AppError('NOT_NIFTI', `${path}: not a NIfTI-1 file (magic is not "n+1").`);
  const i16 = (o: number): number => (le ? bytes.readInt16LE(o) : bytes.readInt16BE(o));
  const f32 = (o: number): number => (le ? bytes.readFloatLE(o) : bytes.readFloatBE(o));

  const dim = Array.from({ length: 8 }, (_, k) => i16(40 + 2 * k));
  if (dim[0] < 1 || dim[0] > 7) throw new AppError('NOT_NIFTI', `${path}: invalid number of dimensions (${dim[0]}).`);
  const size = (k: number): number => (k <= dim[0] ? Math.max(1, dim[k]) : 1);
  const dims: Vec3 = [size(1), size(2), size(3)];
  if (dims.some((d) => d < 1) || [1, 2, 3].some((k) => k <= dim[0] && dim[k] < 1)) {
    throw new AppError('NOT_NIFTI', `${path}: invalid image size ${dim.slice(1, dim[0] + 1).join('x')}.`);
  }
  const timepoints = size(4) * size(5) * size(6) * size(7);
  const code = i16(70);
  const datatype = DT_BY_CODE.get(code);
  if (!datatype) throw new AppError('NOT_NIFTI', `${path}: NIfTI data type ${code} is not supported (only 8/16/32-bit integers, float32, float64).`);
  const pixdim = Array.from({ length: 8 }, (_, k) => f32(76 + 4 * k));
  const voxOffset = Math.floor(f32(108));
  const sclSlope = f32(112);
  const sclInter = f32(116);
  const qformCode = i16(252);
  const sformCode = i16(254);
  const description = bytes.toString('latin1', 148, 228).replace(/\0.*$/s, '');
  const intentName = bytes.toString('latin1', 328, 344).replace(/\0.*$/s, '');
  const spatialUnitsCode = bytes.readUInt8(123) & 0x07;
  const i32 = (o: number): number => (le ? bytes.readInt32LE(o) : bytes.readInt32BE(o));
  const extensions: { code: number; text: string }[] = [];
  if (bytes.length > 352 && bytes[348] !== 0) {
    // Extensions sit between the 4-byte extender and the image data: [esize, ecode, data] each, esize a multiple of 16.
    for (let o = 352; o + 8 <= Math.min(voxOffset, bytes.length);) {
      const esize = i32(o);
      if (esize < 8 || esize % 16 !== 0 || o + esize > voxOffset) break;
      extensions.push({ code: i32(o + 4), text: bytes.toString('utf8', o + 8, o + esize).replace(/\0+$/, '') });
      o += esize;
    }
  }

  const n = dims[0] * dims[1] * dims[2];
  const byteLength = n * bytesPerVoxel(datatype);
  const start = Math.max(voxOffset, HEADER_SIZE);
  if (bytes.length < start + byteLength) {
    throw new AppError('TRUNCATED', `${path}: the NIfTI file ends before its image data is complete (${bytes.length} of ${start + byteLength} bytes).`);
  }
  // Copy into a fresh, aligned buffer; swap bytes for big-endian files.
  const raw = new Uint8Array(byteLength);
  raw.set(bytes.subarray(start, start + byteLength));
  if (!le && bytesPerVoxel(datatype) > 1) swapBytes(raw, bytesPerVoxel(datatype));
  let voxels: VoxelArray = typedArrayOf(datatype, raw.buffer);
  // scl_slope 0 (or NaN) means "no scaling" in NIfTI-1.
  const scaled = Number.isFinite(sclSlope) && sclSlope !== 0 && (sclSlope !== 1 || (Number.isFinite(sclInter) && sclInter !== 0));
  if (scaled) {
    const inter = Number.isFinite(sclInter) ? sclInter : 0;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = voxels[i] * sclSlope + inter;
    voxels = out;
  }

  let affineSource: NiftiReadResult['affineSource'];
  let rasRows: number[][];
  // pixdim used where the header has no affine (or as the qform's scale): a 0 or invalid size is assumed 1.
  const assumedAxes = [1, 2, 3].filter((k) => !(Math.abs(pixdim[k]) > 0 && Number.isFinite(pixdim[k])));
  if (sformCode > 0) {
    affineSource = 'sform';
    rasRows = [0, 1, 2].map((r) => Array.from({ length: 4 }, (_, c) => f32(280 + 16 * r + 4 * c)));
  } else if (qformCode > 0) {
    affineSource = 'qform';
    rasRows = qformToAffine([f32(256), f32(260), f32(264)], [f32(268), f32(272), f32(276)], [pixdim[1], pixdim[2], pixdim[3]], pixdim[0]);
  } else {
    // ANALYZE-style fallback (NIfTI "method 1"): scaling only, no orientation known.
    affineSource = 'pixdim';
    rasRows = [
      [Math.abs(pixdim[1]) || 1, 0, 0, 0],
      [0, Math.abs(pixdim[2]) || 1, 0, 0],
      [0, 0, Math.abs(pixdim[3]) || 1, 0],
    ];
  }
  // Metres and micrometres are converted to mm here, so every later number is in mm.
  const toMm = spatialUnitsCode === 1 ? 1000 : spatialUnitsCode === 3 ? 0.001 : 1;
  if (toMm !== 1) rasRows = rasRows.map((row) => row.map((v) => v * toMm));
  const geometry = geometryFromRasAffine(rasRows, dims, path);
  const report = headerFindings({
    affineSource,
    spatialUnitsCode,
    assumedAxes: affineSource === 'sform' ? [] : assumedAxes,
    dim,
    timeUnitsCode: bytes.readUInt8(123) & 0x38,
  });
  return {
    volume: { ...geometry, voxels },
    geometry: report,
    spatialUnitsCode,
    recordedInHeader: { extensions, description, intentName },
    datatype,
    affineSource,
    sformCode,
    qformCode,
    sclSlope,
    sclInter,
    timepoints,
    description,
  };
}

function swapBytes(a: Uint8Array, width: number): void {
  for (let i = 0; i < a.length; i += width) {
    for (let l = i, r = i + width - 1; l < r; l++, r--) {
      const t = a[l];
      a[l] = a[r];
      a[r] = t;
    }
  }
}

/** NIfTI-1 quaternion → 3x4 RAS affine rows (the standard's method 2). */
export function qformToAffine(bcd: Vec3, offset: Vec3, pixdim: Vec3, qfacRaw: number): number[][] {
  const [b, c, d] = bcd;
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  const qfac = qfacRaw < 0 ? -1 : 1;
  const R = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const s = [Math.abs(pixdim[0]) || 1, Math.abs(pixdim[1]) || 1, (Math.abs(pixdim[2]) || 1) * qfac];
  return [0, 1, 2].map((r) => [R[r][0] * s[0], R[r][1] * s[1], R[r][2] * s[2], offset[r]]);
}

/** RAS affine rows → our LPS grid description (columns split into unit direction × spacing). */
function geometryFromRasAffine(ras: number[][], dims: Vec3, path: string): VolumeGeometry {
  const lps = [ras[0].map((v) => -v), ras[1].map((v) => -v), ras[2]];
  const spacingMm = [0, 1, 2].map((c) => Math.hypot(lps[0][c], lps[1][c], lps[2][c])) as Vec3;
  if (spacingMm.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new AppError('NOT_NIFTI', `${path}: the voxel-to-world matrix is degenerate (a zero or invalid voxel size).`);
  }
  const directionLps = [0, 1, 2].map((c) => normalize([lps[0][c], lps[1][c], lps[2][c]])) as Mat3;
  return { dims: [...dims], spacingMm, originLps: [lps[0][3], lps[1][3], lps[2][3]], directionLps };
}

export interface WriteNiftiOptions {
  /** A label map: written as uint8 (or uint16 when a label exceeds 255); values must be non-negative integers. */
  labels?: boolean;
  description?: string;
  /**
   * The volume's geometry report: recorded in the header (descrip, intent_name, a JSON extension) and in a JSON
   * sidecar next to the file (BIDS-style, same name with .json), so that reading the file back keeps the status.
   */
  geometry?: GeometryReport;
}

/**
 * Writes a volume as NIfTI-1 (gzip when the name ends in .gz). Values: int16 when every value is an integer in
 * range, else float32 when exact, else float64 — never a lossy conversion. sform and qform (code 1 = scanner).
 */
export async function writeNifti(path: string, volume: Volume, options: WriteNiftiOptions = {}): Promise<void> {
  const { header, voxels } = encodeNiftiParts(volume, options);
  try {
    await writeChunks(path, header, voxels, /\.gz$/i.test(path));
  } catch (err) {
    throw new AppError('IO_ERROR', `${path}: cannot write the NIfTI file (${(err as Error).message}).`);
  }
  if (options.geometry) await writeGeometrySidecar(sidecarPathOf(path), options.geometry, volume.dims);
}

/** Bytes written (and gzipped) per step: the file is never held whole in memory next to the volume. */
const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

async function writeChunks(path: string, header: Buffer, voxels: Uint8Array, gzipped: boolean): Promise<void> {
  function* chunks(): Generator<Uint8Array> {
    yield header;
    for (let at = 0; at < voxels.length; at += WRITE_CHUNK_BYTES) yield voxels.subarray(at, Math.min(voxels.length, at + WRITE_CHUNK_BYTES));
  }
  const out = createWriteStream(path);
  if (gzipped) await pipeline(Readable.from(chunks(), { objectMode: false }), createGzip({ level: 6 }), out);
  else await pipeline(Readable.from(chunks(), { objectMode: false }), out);
}

export function encodeNifti(volume: Volume, options: WriteNiftiOptions = {}): Buffer {
  const { header, voxels } = encodeNiftiParts(volume, options);
  return Buffer.concat([header, voxels]);
}

/**
 * The header (with the geometry extension) and the voxel bytes of a NIfTI-1 file. The voxel bytes are a view of
 * the volume's own memory when it already has the file's type (the usual int16 CT): no copy of the volume is made.
 */
function encodeNiftiParts(volume: Volume, options: WriteNiftiOptions): { header: Buffer; voxels: Uint8Array } {
  const n = volume.dims[0] * volume.dims[1] * volume.dims[2];
  if (volume.voxels.length !== n) throw new AppError('INVALID_INPUT', `Volume has ${volume.voxels.length} voxels, expected ${n}.`);
  const datatype = chooseDataType(volume.voxels, options.labels === true);
  const buf = encodeNiftiHeader(volume, datatype, options);

  // Typed-array set converts each value; the type was chosen so that this is exact (x86/ARM hosts are little-endian).
  const width = bytesPerVoxel(datatype);
  const src = volume.voxels;
  const sameType = typedArrayOf(datatype, new ArrayBuffer(0)).constructor === src.constructor;
  const target = sameType ? src : typedArrayOf(datatype, new ArrayBuffer(n * width));
  if (!sameType) target.set(src);
  return { header: buf, voxels: new Uint8Array(target.buffer, target.byteOffset, target.byteLength) };
}

/**
 * Writes a NIfTI-1 file (not gzipped) whose voxels, in `datatype`, are written by `fillVoxels` at `voxOffset` of the
 * open file `fd` (e.g. slice by slice, by several threads): for volumes that are never held whole in memory. The file
 * is written under a temporary name and renamed when complete; the sidecar follows as in writeNifti.
 */
export async function writeNiftiFromParts(
  path: string,
  geometry: VolumeGeometry,
  datatype: NiftiDataType,
  options: WriteNiftiOptions,
  fillVoxels: (fd: number, voxOffset: number) => Promise<void>,
): Promise<void> {
  if (/\.gz$/i.test(path)) throw new AppError('INTERNAL', `${path}: a gzipped NIfTI file is written from a whole volume (writeNifti).`);
  const header = encodeNiftiHeader(geometry, datatype, options);
  const partial = `${path}.partial-${process.pid}`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(partial, 'w');
    await handle.write(header, 0, header.length, 0);
    await fillVoxels(handle.fd, header.length);
    await handle.close();
    handle = undefined;
    await rename(partial, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(partial, { force: true });
    if (err instanceof AppError) throw err;
    throw new AppError('IO_ERROR', `${path}: cannot write the NIfTI file (${(err as Error).message}).`);
  }
  if (options.geometry) await writeGeometrySidecar(sidecarPathOf(path), options.geometry, geometry.dims);
}

/** The NIfTI-1 header (with the geometry extension) of a volume stored as `datatype`; voxels start at its end. */
function encodeNiftiHeader(volume: VolumeGeometry, datatype: NiftiDataType, options: WriteNiftiOptions): Buffer {
  const width = bytesPerVoxel(datatype);
  const extension = options.geometry ? encodeGeometryExtension(options.geometry, volume.dims) : null;
  const voxOffset = VOX_OFFSET + (extension?.length ?? 0);
  const buf = Buffer.alloc(voxOffset);
  buf.writeInt32LE(HEADER_SIZE, 0);
  const dim = [3, volume.dims[0], volume.dims[1], volume.dims[2], 1, 1, 1, 1];
  dim.forEach((v, k) => buf.writeInt16LE(v, 40 + 2 * k));
  buf.writeInt16LE(DT[datatype], 70);
  buf.writeInt16LE(width * 8, 72);

  const lps = [0, 1, 2].map((r) => [0, 1, 2].map((c) => volume.directionLps[c][r] * volume.spacingMm[c]));
  const ras = [lps[0].map((v) => -v), lps[1].map((v) => -v), lps[2]];
  const originRas: Vec3 = [-volume.originLps[0], -volume.originLps[1], volume.originLps[2]];
  const q = affineToQuaternion(ras);
  const pixdim = [q.qfac, volume.spacingMm[0], volume.spacingMm[1], volume.spacingMm[2], 1, 1, 1, 1];
  pixdim.forEach((v, k) => buf.writeFloatLE(v, 76 + 4 * k));
  buf.writeFloatLE(voxOffset, 108);
  buf.writeFloatLE(1, 112); // scl_slope
  buf.writeFloatLE(0, 116); // scl_inter
  buf.writeUInt8(2, 123); // xyzt_units: NIFTI_UNITS_MM
  const descrip = options.geometry ? recordedStatusText(options.geometry, 79) : (options.description ?? 'medseg');
  buf.write(descrip.slice(0, 79), 148, 'latin1');
  if (options.geometry) buf.write(`medseg:${options.geometry.status}`.slice(0, 15), 328, 'latin1'); // intent_name
  buf.writeInt16LE(1, 252); // qform_code: scanner
  buf.writeInt16LE(1, 254); // sform_code: scanner
  buf.writeFloatLE(q.b, 256);
  buf.writeFloatLE(q.c, 260);
  buf.writeFloatLE(q.d, 264);
  originRas.forEach((v, k) => buf.writeFloatLE(v, 268 + 4 * k));
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) buf.writeFloatLE(ras[r][c], 280 + 16 * r + 4 * c);
    buf.writeFloatLE(originRas[r], 280 + 16 * r + 12);
  }
  buf.write('n+1\0', 344, 'latin1');
  if (extension) {
    buf.writeUInt8(1, 348); // extender: extensions follow
    extension.copy(buf, VOX_OFFSET);
  }
  return buf;
}

function chooseDataType(v: VoxelArray, labels: boolean): NiftiDataType {
  if (labels) {
    let max = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (!(x >= 0) || !Number.isInteger(x) || x > 65535) {
        throw new AppError('INVALID_INPUT', `A label map holds the value ${x}; labels must be integers 0..65535.`);
      }
      if (x > max) max = x;
    }
    return max <= 255 ? 'uint8' : 'uint16';
  }
  if (v instanceof Int16Array || v instanceof Uint8Array || v instanceof Int8Array) return 'int16';
  let int16 = true;
  let float32 = true;
  for (let i = 0; i < v.length && (int16 || float32); i++) {
    const x = v[i];
    if (int16 && !(Number.isInteger(x) && x >= -32768 && x <= 32767)) int16 = false;
    if (float32 && Math.fround(x) !== x && !Number.isNaN(x)) float32 = false;
  }
  return int16 ? 'int16' : float32 ? 'float32' : 'float64';
}

/**
 * Quaternion of the rotation part of a RAS affine (NIfTI method 2). Columns are normalised; a left-handed
 * frame is expressed with qfac = -1 (third column negated). A sheared grid has no exact qform: the sform
 * (written alongside) is what readers should use; the qform is then the nearest rotation's approximation.
 */
function affineToQuaternion(ras: number[][]): { b: number; c: number; d: number; qfac: number } {
  const cols = [0, 1, 2].map((c) => normalize([ras[0][c], ras[1][c], ras[2][c]]));
  // Orthogonalise (Gram–Schmidt) so that sheared grids still give a proper rotation.
  const e0 = cols[0];
  const e1 = normalize(subScaled(cols[1], e0, dot(cols[1], e0)));
  let e2 = normalize(subScaled(subScaled(cols[2], e0, dot(cols[2], e0)), e1, dot(cols[2], e1)));
  const det = dot(e0, cross(e1, e2));
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    e2 = [-e2[0], -e2[1], -e2[2]];
  }
  const R = [
    [e0[0], e1[0], e2[0]],
    [e0[1], e1[1], e2[1]],
    [e0[2], e1[2], e2[2]],
  ];
  // Standard robust rotation-matrix → quaternion; NIfTI wants a >= 0.
  const tr = R[0][0] + R[1][1] + R[2][2];
  let a: number, b: number, c: number, d: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    a = 0.25 * s;
    b = (R[2][1] - R[1][2]) / s;
    c = (R[0][2] - R[2][0]) / s;
    d = (R[1][0] - R[0][1]) / s;
  } else if (R[0][0] > R[1][1] && R[0][0] > R[2][2]) {
    const s = Math.sqrt(1 + R[0][0] - R[1][1] - R[2][2]) * 2;
    a = (R[2][1] - R[1][2]) / s;
    b = 0.25 * s;
    c = (R[0][1] + R[1][0]) / s;
    d = (R[0][2] + R[2][0]) / s;
  } else if (R[1][1] > R[2][2]) {
    const s = Math.sqrt(1 + R[1][1] - R[0][0] - R[2][2]) * 2;
    a = (R[0][2] - R[2][0]) / s;
    b = (R[0][1] + R[1][0]) / s;
    c = 0.25 * s;
    d = (R[1][2] + R[2][1]) / s;
  } else {
    const s = Math.sqrt(1 + R[2][2] - R[0][0] - R[1][1]) * 2;
    a = (R[1][0] - R[0][1]) / s;
    b = (R[0][2] + R[2][0]) / s;
    c = (R[1][2] + R[2][1]) / s;
    d = 0.25 * s;
  }
  if (a < 0) {
    b = -b;
    c = -c;
    d = -d;
  }
  return { b, c, d, qfac };
}

function subScaled(a: Vec3, b: Vec3, s: number): Vec3 {
  return [a[0] - s * b[0], a[1] - s * b[1], a[2] - s * b[2]];
}

/**
 * Reads a NIfTI label map: values must be non-negative integers (stored as any integer type, or exact floats).
 * `geometryReport` is the file's (see readNifti): mm derived from the map alone must pass the geometry gate.
 */
export async function readNiftiLabels(path: string): Promise<VolumeGeometry & { labels: Uint8Array | Uint16Array; geometryReport: GeometryReport }> {
  const { volume, geometry: geometryReport } = await readNifti(path);
  const v = volume.voxels;
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(x >= 0) || !Number.isInteger(x) || x > 65535) {
      throw new AppError('INVALID_INPUT', `${path}: not a label map (voxel value ${x}; labels are integers 0..65535).`);
    }
    if (x > max) max = x;
  }
  const labels = max <= 255 ? Uint8Array.from(v) : Uint16Array.from(v);
  const { voxels: _voxels, ...geometry } = volume;
  return { ...geometry, labels, geometryReport };
}
