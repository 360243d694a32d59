// Decodes DICOM pixel data frames (native, deflated, RLE, JPEG family, JPEG-LS, JPEG 2000, HTJ2K) into
// modality values (grey) or RGB bytes (colour). Everything is checked against Rows × Columns × Samples.
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import type { Decoder as JpegLosslessDecoderType } from '@cornerstonejs/jpeg-lossless-decoder-js';
import { AppError } from '../../../shared/errors.js';
import { parseDataSet, PIXEL_DATA_TAGS, TS } from './parse.js';
import type { DecodedFrame, DicomFrameInfo, DicomInstance } from './types.js';
import { decodeJpegExtended, jpegPrecision } from './jpegExtended.js';
import { j2kGeometry, jpegGeometry } from './codestream.js';

const require = createRequire(import.meta.url);

const SYNTAX = {
  deflated: '1.2.840.10008.1.2.1.99',
  deflatedImageFrame: '1.2.840.10008.1.2.8.1',
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  jpegLsNear: '1.2.840.10008.1.2.4.81',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
  htj2kLosslessRpcl: '1.2.840.10008.1.2.4.202',
  htj2k: '1.2.840.10008.1.2.4.203',
} as const;

const NATIVE_SYNTAXES = new Set<string>([TS.implicitLittle, TS.explicitLittle, TS.explicitBig, SYNTAX.deflated]);
const JPEG_SYNTAXES = new Set<string>([SYNTAX.jpegBaseline, SYNTAX.jpegExtended, SYNTAX.jpegLossless, SYNTAX.jpegLosslessSv1]);
const J2K_SYNTAXES = new Set<string>([SYNTAX.j2kLossless, SYNTAX.j2k]);
const HTJ2K_SYNTAXES = new Set<string>([SYNTAX.htj2kLossless, SYNTAX.htj2kLosslessRpcl, SYNTAX.htj2k]);
const ENCAPSULATED_SYNTAXES = new Set<string>([
  SYNTAX.rle,
  SYNTAX.deflatedImageFrame,
  SYNTAX.jpegLs,
  SYNTAX.jpegLsNear,
  ...JPEG_SYNTAXES,
  ...J2K_SYNTAXES,
  ...HTJ2K_SYNTAXES,
]);

export function isSupportedTransferSyntax(uid: string): boolean {
  return NATIVE_SYNTAXES.has(uid) || ENCAPSULATED_SYNTAXES.has(uid);
}

// ---------- WASM codecs: each module is initialised once, lazily; a fresh decoder object per frame ----------

interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): WasmFrameInfo;
  getInterleaveMode?(): number;
  delete(): void;
}
type CodecName = 'charls' | 'libjpeg' | 'openjpeg' | 'openjph';
const CODEC_MODULES: Record<CodecName, { specifier: string; className: string }> = {
  charls: { specifier: '@cornerstonejs/codec-charls/decodewasmjs', className: 'JpegLSDecoder' },
  libjpeg: { specifier: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', className: 'JPEGDecoder' },
  openjpeg: { specifier: '@cornerstonejs/codec-openjpeg/decodewasmjs', className: 'J2KDecoder' },
  openjph: { specifier: '@cornerstonejs/codec-openjph/wasmjs', className: 'HTJ2KDecoder' },
};
const codecModules = new Map<CodecName, Promise<Record<string, new () => WasmDecoder>>>();

function loadCodec(name: CodecName): Promise<Record<string, new () => WasmDecoder>> {
  let p = codecModules.get(name);
  if (!p) {
    // OpenJPEG runs faster on V8's baseline WASM code than with tier-up: measured here on 250 CT slices 512²,
    // 23.0 vs 26.5 ms a frame, and 0.45 s less CPU per thread at start (no optimising compile of the module).
    // The flag is process-wide and only concerns WebAssembly, which only these codecs use.
    if (name === 'openjpeg') v8.setFlagsFromString('--liftoff-only');
    const factory = require(CODEC_MODULES[name].specifier) as (opts: object) => Promise<Record<string, new () => WasmDecoder>>;
    // The Emscripten modules print to stdout unless given these hooks.
    p = factory({ print() {}, printErr() {} });
    codecModules.set(name, p);
  }
  return p;
}

// Loaded on the first lossless JPEG frame: every decode thread would otherwise pay for it at start.
let jpegLosslessClass: typeof JpegLosslessDecoderType | undefined;
function jpegLosslessDecoder(): typeof JpegLosslessDecoderType {
  jpegLosslessClass ??= (require('@cornerstonejs/jpeg-lossless-decoder-js') as { Decoder: typeof JpegLosslessDecoderType }).Decoder;
  return jpegLosslessClass;
}

interface RawSamples {
  /** Little-endian samples, pixel-interleaved when there are several per pixel. */
  bytes: Uint8Array;
  bytesPerSample: number;
  /** 1-bit data still packed 8 pixels a byte (native and RLE). */
  bitPacked?: boolean;
  /** True when the codec already turned YCbCr into RGB. */
  convertedToRgb?: boolean;
}

async function decodeWithWasm(
  name: CodecName,
  encoded: Uint8Array,
  what: string,
): Promise<{ bytes: Uint8Array; info: WasmFrameInfo; interleaveMode?: number }> {
  const mod = await loadCodec(name);
  const Ctor = mod[CODEC_MODULES[name].className];
  // A reused JPEG 2000 decoder returns the previous image on broken input: always start from a fresh one.
  const decoder = new Ctor();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    try {
      decoder.decode();
    } catch (err) {
      // These codecs throw bare numbers or strings.
      throw new AppError(
        'DECODE_FAILED',
        `${what}: the compressed image data could not be decoded (${name} error ${String(err instanceof Error ? err.message : err)}).`,
      );
    }
    const info = decoder.getFrameInfo();
    const interleaveMode = decoder.getInterleaveMode?.();
    // The decoded buffer is a view into WASM memory: copy it out before anything else runs.
    const bytes = decoder.getDecodedBuffer().slice();
    return { bytes, info, interleaveMode };
  } finally {
    decoder.delete();
  }
}

// ---------- public API ----------

// Callers decoding a multi-frame file frame by frame pass the same bytes each time: parse them once.
const parsedByBytes = new WeakMap<Uint8Array, DataSet>();

/** Decodes one frame of `bytes` (the whole file, not modified afterwards) described by `instance`. */
export async function decodeFrame(bytes: Uint8Array, instance: DicomInstance, frameIndex: number): Promise<DecodedFrame> {
  let dataSet = parsedByBytes.get(bytes);
  if (!dataSet) {
    dataSet = parseDataSet(bytes, instance.path).dataSet;
    parsedByBytes.set(bytes, dataSet);
  }
  return decodeFrameFromDataSet(dataSet, instance, frameIndex);
}

/**
 * Decodes every frame of one file, parsing it once. `into`: where a single-frame file's values go when they are
 * int16 (the usual CT/MR slice), e.g. the slice's place in the volume being built (a SharedArrayBuffer when the
 * decoding runs in a worker); the returned frame's values are then that view, so nobody copies the slice again.
 */
export async function decodeAllFrames(bytes: Uint8Array, instance: DicomInstance, into?: Int16Array): Promise<DecodedFrame[]> {
  const { dataSet } = parseDataSet(bytes, instance.path);
  const out: DecodedFrame[] = [];
  const target = instance.numberOfFrames === 1 ? into : undefined;
  for (let f = 0; f < instance.numberOfFrames; f++) out.push(await decodeFrameFromDataSet(dataSet, instance, f, target));
  return out;
}

/** `into`: see decodeAllFrames (used only when the frame's values are int16 and of its length). */
export async function decodeFrameFromDataSet(ds: DataSet, instance: DicomInstance, frameIndex: number, into?: Int16Array): Promise<DecodedFrame> {
  const what = `${instance.path} frame ${frameIndex + 1}`;
  const pixelTag = PIXEL_DATA_TAGS.find((t) => ds.elements[t] !== undefined);
  if (!instance.hasPixelData || pixelTag === undefined) {
    throw new AppError('NO_PIXEL_DATA', `${instance.path}: this DICOM object (${instance.modality || 'unknown modality'}) holds no image to display.`);
  }
  if (frameIndex < 0 || frameIndex >= instance.numberOfFrames) {
    throw new AppError('INVALID_INPUT', `${instance.path}: frame ${frameIndex + 1} requested but the image has ${instance.numberOfFrames} frame(s).`);
  }
  const ts = instance.transferSyntaxUid;
  if (!isSupportedTransferSyntax(ts)) {
    throw new AppError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `${instance.path}: the image is compressed with transfer syntax ${ts || '(none given)'}, which this program cannot decode.`,
    );
  }
  const el = ds.elements[pixelTag];
  const frameInfo = instance.frames[frameIndex] ?? instance.frames[0];

  if (pixelTag !== 'x7fe00010') return floatFrame(ds, el, instance, frameIndex, pixelTag === 'x7fe00009', what);

  const raw = NATIVE_SYNTAXES.has(ts) ? nativeFrame(ds, el, instance, frameIndex, what) : await encapsulatedFrame(ds, el, instance, frameIndex, what);
  return toDecodedFrame(raw, instance, frameInfo, what, into);
}

// ---------- native ----------

function nativeFrame(ds: DataSet, el: Element, inst: DicomInstance, frameIndex: number, what: string): RawSamples {
  const { rows, columns, samplesPerPixel: spp, bitsAllocated } = inst;
  const available = Math.min(el.length, ds.byteArray.length - el.dataOffset);
  if (bitsAllocated === 1) {
    const bitsPerFrame = rows * columns * spp;
    const firstBit = frameIndex * bitsPerFrame;
    const needBytes = Math.ceil((firstBit + bitsPerFrame) / 8);
    if (needBytes > available) throw shortData(what, available, needBytes, inst);
    // Frames of 1-bit data need not start on a byte boundary: unpack from the exact bit.
    const out = new Uint8Array(bitsPerFrame);
    for (let p = 0; p < bitsPerFrame; p++) {
      const bit = firstBit + p;
      out[p] = (ds.byteArray[el.dataOffset + (bit >> 3)] >> (bit & 7)) & 1;
    }
    return { bytes: out, bytesPerSample: 1 };
  }
  if (bitsAllocated % 8 !== 0 || bitsAllocated > 32 || bitsAllocated === 0) {
    throw new AppError('DECODE_FAILED', `${what}: Bits Allocated is ${bitsAllocated}, which is not a valid value for image data.`);
  }
  const bytesPerSample = bitsAllocated / 8;
  // Native YBR_FULL_422 stores two luma and one pair of chroma samples per two pixels.
  const is422 = inst.photometricInterpretation === 'YBR_FULL_422' && spp === 3;
  const frameBytes = is422 ? rows * columns * 2 * bytesPerSample : rows * columns * spp * bytesPerSample;
  const start = frameIndex * frameBytes;
  if (start + frameBytes > available) throw shortData(what, available, (frameIndex + 1) * frameBytes, inst);
  const view = new Uint8Array(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset + start, frameBytes);
  // Grey frames are always converted into new arrays (greyFrame): read them in place; others are changed or kept.
  if (spp === 1 && !(inst.transferSyntaxUid === TS.explicitBig && bytesPerSample > 1)) return { bytes: view, bytesPerSample };
  let bytes: Uint8Array = view.slice();
  if (inst.transferSyntaxUid === TS.explicitBig && bytesPerSample > 1) swapBytes(bytes, bytesPerSample);
  if (is422) bytes = upsample422(bytes, rows * columns, bytesPerSample);
  else if (spp > 1 && inst.planarConfiguration === 1) bytes = interleavePlanes(bytes, rows * columns, spp, bytesPerSample);
  return { bytes, bytesPerSample };
}

function shortData(what: string, available: number, needed: number, inst: DicomInstance): AppError {
  return new AppError(
    'TRUNCATED',
    `${what}: the pixel data holds ${available} bytes but ${inst.rows}×${inst.columns}×${inst.samplesPerPixel} samples of ${inst.bitsAllocated} bits need ${needed} (the file is cut short or its header is wrong).`,
  );
}

function swapBytes(bytes: Uint8Array, bytesPerSample: number): void {
  for (let i = 0; i + bytesPerSample <= bytes.length; i += bytesPerSample) {
    for (let a = i, b = i + bytesPerSample - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function interleavePlanes(planar: Uint8Array, pixels: number, spp: number, bps: number): Uint8Array {
  const out = new Uint8Array(planar.length);
  for (let s = 0; s < spp; s++) {
    for (let p = 0; p < pixels; p++) {
      for (let b = 0; b < bps; b++) out[(p * spp + s) * bps + b] = planar[(s * pixels + p) * bps + b];
    }
  }
  return out;
}

/** Y0 Y1 Cb Cr per pixel pair → Y Cb Cr per pixel (chroma repeated). */
function upsample422(src: Uint8Array, pixels: number, bps: number): Uint8Array {
  const out = new Uint8Array(pixels * 3 * bps);
  for (let pair = 0; pair < pixels / 2; pair++) {
    const s = pair * 4 * bps;
    for (let b = 0; b < bps; b++) {
      const y0 = src[s + b];
      const y1 = src[s + bps + b];
      const cb = src[s + 2 * bps + b];
      const cr = src[s + 3 * bps + b];
      const o = pair * 6 * bps;
      out[o + b] = y0;
      out[o + bps + b] = cb;
      out[o + 2 * bps + b] = cr;
      out[o + 3 * bps + b] = y1;
      out[o + 4 * bps + b] = cb;
      out[o + 5 * bps + b] = cr;
    }
  }
  return out;
}

function floatFrame(ds: DataSet, el: Element, inst: DicomInstance, frameIndex: number, isDouble: boolean, what: string): DecodedFrame {
  const n = inst.rows * inst.columns * inst.samplesPerPixel;
  const bps = isDouble ? 8 : 4;
  const available = Math.min(el.length, ds.byteArray.length - el.dataOffset);
  if ((frameIndex + 1) * n * bps > available) throw shortData(what, available, (frameIndex + 1) * n * bps, inst);
  const bytes = new Uint8Array(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset + frameIndex * n * bps, n * bps).slice();
  if (inst.transferSyntaxUid === TS.explicitBig) swapBytes(bytes, bps);
  const view = new DataView(bytes.buffer);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = isDouble ? view.getFloat64(i * 8, true) : view.getFloat32(i * 4, true);
  return { kind: 'grey', rows: inst.rows, columns: inst.columns, values };
}

// ---------- encapsulated ----------

const jpegOffsetTables = new WeakMap<Element, number[]>();

/** Joins the fragments that make up one frame (rules of PS3.5 A.4 as listed in FACTS.md). */
function frameFragments(ds: DataSet, el: Element, inst: DicomInstance, frameIndex: number, what: string): Uint8Array {
  const fragments = el.fragments ?? [];
  if (fragments.length === 0) throw new AppError('DECODE_FAILED', `${what}: the compressed pixel data contains no fragments.`);
  for (const f of fragments) {
    if (f.position + f.length > ds.byteArray.length)
      throw new AppError('TRUNCATED', `${what}: the compressed pixel data runs past the end of the file (the file is cut short).`);
  }
  let chosen = fragments;
  if (inst.numberOfFrames === 1) chosen = fragments;
  else if (fragments.length === inst.numberOfFrames) chosen = [fragments[frameIndex]];
  else {
    let table = el.basicOffsetTable ?? [];
    const endsWithEoiMarker = inst.transferSyntaxUid !== SYNTAX.rle && inst.transferSyntaxUid !== SYNTAX.deflatedImageFrame;
    if (table.length !== inst.numberOfFrames && endsWithEoiMarker) {
      // JPEG, JPEG-LS and JPEG 2000 codestreams all end with FF D9 (EOI/EOC): frames end at fragments that do.
      // Scanning every fragment for the marker is costly: do it once per pixel data element.
      table = jpegOffsetTables.get(el) ?? dicomParser.createJPEGBasicOffsetTable(ds, el, fragments);
      jpegOffsetTables.set(el, table);
    }
    if (table.length !== inst.numberOfFrames) {
      throw new AppError(
        'DECODE_FAILED',
        `${what}: ${fragments.length} compressed fragments for ${inst.numberOfFrames} frames and no offset table to tell which belong to which frame.`,
      );
    }
    const start = table[frameIndex];
    const end = frameIndex + 1 < table.length ? table[frameIndex + 1] : Infinity;
    chosen = fragments.filter((f) => f.offset >= start && f.offset < end);
  }
  const total = chosen.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const f of chosen) {
    out.set(new Uint8Array(ds.byteArray.buffer, ds.byteArray.byteOffset + f.position, f.length), o);
    o += f.length;
  }
  return out;
}

async function encapsulatedFrame(ds: DataSet, el: Element, inst: DicomInstance, frameIndex: number, what: string): Promise<RawSamples> {
  if (!el.encapsulatedPixelData) {
    throw new AppError('DECODE_FAILED', `${what}: the transfer syntax says the pixel data is compressed but it is stored uncompressed.`);
  }
  const encoded = frameFragments(ds, el, inst, frameIndex, what);
  const ts = inst.transferSyntaxUid;
  const bitsAllocated = inst.bitsAllocated;
  checkDeclaredGeometry(encoded, inst, what);
  if (ts === SYNTAX.rle) return { bytes: decodeRle(encoded, inst, what), bytesPerSample: Math.max(1, bitsAllocated / 8), bitPacked: bitsAllocated === 1 };
  if (ts === SYNTAX.deflatedImageFrame) {
    let bytes: Uint8Array;
    try {
      // One frame inflates to Rows × Columns × Samples (plus a pad byte): stop there, whatever the stream says.
      const frameBytes =
        bitsAllocated === 1
          ? Math.ceil((inst.rows * inst.columns * inst.samplesPerPixel) / 8)
          : inst.rows * inst.columns * inst.samplesPerPixel * Math.max(1, bitsAllocated / 8);
      bytes = inflateRawSync(encoded, { maxOutputLength: frameBytes + 2 });
    } catch (err) {
      throw new AppError('DECODE_FAILED', `${what}: the deflate-compressed frame could not be inflated (${(err as Error).message}).`);
    }
    const bps = Math.max(1, bitsAllocated / 8);
    if (inst.samplesPerPixel > 1 && inst.planarConfiguration === 1) bytes = interleavePlanes(bytes, inst.rows * inst.columns, inst.samplesPerPixel, bps);
    return { bytes, bytesPerSample: bps, bitPacked: bitsAllocated === 1 };
  }
  if (ts === SYNTAX.jpegLossless || ts === SYNTAX.jpegLosslessSv1) {
    let out: Uint8Array | Uint16Array;
    try {
      out = new (jpegLosslessDecoder())().decode(encoded.buffer as ArrayBuffer, encoded.byteOffset, encoded.byteLength, bitsAllocated <= 8 ? 1 : 2);
    } catch (err) {
      throw new AppError('DECODE_FAILED', `${what}: the lossless JPEG data could not be decoded (${(err as Error).message ?? String(err)}).`);
    }
    return { bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), bytesPerSample: out.BYTES_PER_ELEMENT };
  }
  if (ts === SYNTAX.jpegBaseline || ts === SYNTAX.jpegExtended) {
    const precision = jpegPrecision(encoded);
    if (precision > 8) {
      const samples = decodeJpegExtended(encoded, what);
      return { bytes: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), bytesPerSample: 2 };
    }
    const { bytes, info } = await decodeWithWasm('libjpeg', markUntransformedRgb(encoded, inst.photometricInterpretation), what);
    const bps = info.bitsPerSample > 8 ? 2 : 1;
    return { bytes, bytesPerSample: bps, convertedToRgb: info.componentCount === 3 };
  }
  const codec: CodecName | undefined =
    ts === SYNTAX.jpegLs || ts === SYNTAX.jpegLsNear ? 'charls' : J2K_SYNTAXES.has(ts) ? 'openjpeg' : HTJ2K_SYNTAXES.has(ts) ? 'openjph' : undefined;
  if (!codec) throw new AppError('UNSUPPORTED_TRANSFER_SYNTAX', `${what}: transfer syntax ${ts} is not supported.`);
  const { bytes, info, interleaveMode } = await decodeWithWasm(codec, encoded, what);
  const pixels = inst.rows * inst.columns;
  const samples = pixels * info.componentCount;
  const bps = samples > 0 ? bytes.length / samples : 0;
  if (info.width !== inst.columns || info.height !== inst.rows || info.componentCount !== inst.samplesPerPixel || ![1, 2, 4].includes(bps)) {
    throw new AppError(
      'DECODE_FAILED',
      `${what}: decoded ${bytes.length} bytes as ${info.width}×${info.height}×${info.componentCount}, but the header says ${inst.columns}×${inst.rows}×${inst.samplesPerPixel} (damaged or mislabelled image).`,
    );
  }
  let out = bytes;
  // CharLS returns colour planes separately when the stream is not interleaved (interleave mode 0).
  if (codec === 'charls' && info.componentCount > 1 && interleaveMode === 0) out = interleavePlanes(out, pixels, info.componentCount, bps);
  const mct = codec !== 'charls' && (inst.photometricInterpretation === 'YBR_RCT' || inst.photometricInterpretation === 'YBR_ICT');
  return { bytes: out, bytesPerSample: bps, convertedToRgb: mct };
}

/**
 * A codec allocates for the size its own stream declares, which a hostile file can set far above the DICOM header's
 * (already checked) Rows × Columns: refuse a frame whose stream disagrees before any codec sees it.
 */
function checkDeclaredGeometry(encoded: Uint8Array, inst: DicomInstance, what: string): void {
  const ts = inst.transferSyntaxUid;
  const isJpeg = JPEG_SYNTAXES.has(ts) || ts === SYNTAX.jpegLs || ts === SYNTAX.jpegLsNear;
  const isJ2k = J2K_SYNTAXES.has(ts) || HTJ2K_SYNTAXES.has(ts);
  const geometry = isJpeg ? jpegGeometry(encoded) : isJ2k ? j2kGeometry(encoded) : undefined;
  if (!geometry) return;
  const heightOk = geometry.height === inst.rows || (isJpeg && geometry.height === 0);
  if (geometry.width !== inst.columns || !heightOk || geometry.components !== inst.samplesPerPixel) {
    throw new AppError(
      'DECODE_FAILED',
      `${what}: the compressed frame declares ${geometry.width}×${geometry.height}×${geometry.components} but the header says ${inst.columns}×${inst.rows}×${inst.samplesPerPixel} (damaged or mislabelled image).`,
    );
  }
}

/**
 * libjpeg decides the colour space from the stream alone: an Adobe APP14 transform flag, component ids
 * 'R','G','B', else YCbCr, which it converts to RGB. DICOM's Photometric Interpretation RGB says the encoder
 * did not transform. When the stream carries no JFIF/Adobe marker and its component ids are not the JFIF
 * convention 1,2,3 (which implies YCbCr and marks a mislabelled file), insert an Adobe marker saying
 * "no transform" so libjpeg returns the stored RGB untouched.
 */
function markUntransformedRgb(jpeg: Uint8Array, photometric: string): Uint8Array {
  if (photometric !== 'RGB') return jpeg;
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1];
    const len = (jpeg[i + 2] << 8) | jpeg[i + 3];
    // An Adobe segment counts only when complete (length ≥ 14, as libjpeg requires); a short one is ignored by libjpeg.
    const adobe = marker === 0xee && len >= 14 && String.fromCharCode(...jpeg.subarray(i + 4, i + 9)) === 'Adobe';
    if (adobe || (marker === 0xe0 && String.fromCharCode(...jpeg.subarray(i + 4, i + 8)) === 'JFIF')) return jpeg;
    if (marker >= 0xc0 && marker <= 0xc3) {
      if (jpeg[i + 9] !== 3) return jpeg;
      const ids = [jpeg[i + 10], jpeg[i + 13], jpeg[i + 16]];
      if (ids[0] === 1 && ids[1] === 2 && ids[2] === 3) return jpeg;
      break;
    }
    if (marker === 0xda) return jpeg;
    i += 2 + len;
  }
  // APP14: 'Adobe', version 100, flags 0, 0, transform 0 (= components are not colour-transformed).
  const app14 = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];
  const out = new Uint8Array(jpeg.length + app14.length);
  out.set(jpeg.subarray(0, 2), 0);
  out.set(app14, 2);
  out.set(jpeg.subarray(2), 2 + app14.length);
  return out;
}

// ---------- RLE (PS3.5 Annex G) ----------

function decodeRle(frame: Uint8Array, inst: DicomInstance, what: string): Uint8Array {
  const { rows, columns, samplesPerPixel: spp, bitsAllocated } = inst;
  const bps = bitsAllocated === 1 ? 1 : bitsAllocated / 8;
  // 1-bit images: one segment of packed bits.
  const bytesPerSegment = bitsAllocated === 1 ? Math.ceil((rows * columns) / 8) : rows * columns;
  if (frame.length < 64) throw new AppError('DECODE_FAILED', `${what}: the RLE frame is shorter than its 64-byte header.`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== spp * bps || segments > 15) {
    throw new AppError('DECODE_FAILED', `${what}: the RLE frame has ${segments} segments but ${spp} sample(s) of ${bitsAllocated} bits need ${spp * bps}.`);
  }
  // PackBits turns two bytes into at most 128: a segment too short for its share of the frame cannot be valid, and
  // is refused before the output is allocated.
  for (let seg = 0; seg < segments; seg++) {
    const start = view.getUint32(4 + 4 * seg, true);
    const end = seg + 1 < segments ? view.getUint32(8 + 4 * seg, true) : frame.length;
    if (start < 64 || end > frame.length || end < start)
      throw new AppError('DECODE_FAILED', `${what}: RLE segment ${seg + 1} has an offset outside the frame.`);
    if ((end - start) * 64 < bytesPerSegment) {
      throw new AppError(
        'DECODE_FAILED',
        `${what}: RLE segment ${seg + 1} holds ${end - start} bytes, too few to decode to the ${bytesPerSegment} the header needs.`,
      );
    }
  }
  const out = new Uint8Array(bytesPerSegment * segments);
  for (let seg = 0; seg < segments; seg++) {
    const start = view.getUint32(4 + 4 * seg, true);
    const end = seg + 1 < segments ? view.getUint32(8 + 4 * seg, true) : frame.length;
    // Segment order: sample by sample, most significant byte first; output is little-endian, pixel-interleaved.
    const sample = Math.floor(seg / bps);
    const byteInSample = bps - 1 - (seg % bps);
    const stride = spp * bps;
    let dst = sample * bps + byteInSample;
    let written = 0;
    let i = start;
    while (i < end && written < bytesPerSegment) {
      const n = frame[i++];
      if (n < 128) {
        for (let k = 0; k <= n && written < bytesPerSegment && i < end; k++, written++, dst += stride) out[dst] = frame[i++];
      } else if (n > 128) {
        const v = frame[i++];
        for (let k = 0; k < 257 - n && written < bytesPerSegment; k++, written++, dst += stride) out[dst] = v;
      }
    }
    if (written < bytesPerSegment)
      throw new AppError('DECODE_FAILED', `${what}: RLE segment ${seg + 1} decodes to ${written} bytes, ${bytesPerSegment} expected.`);
  }
  return out;
}

// ---------- samples → modality values / RGB ----------

function toDecodedFrame(raw: RawSamples, inst: DicomInstance, frame: DicomFrameInfo, what: string, into?: Int16Array): DecodedFrame {
  const { rows, columns } = inst;
  const spp = inst.samplesPerPixel;
  const pixels = rows * columns;
  let bytes = raw.bytes;
  let bps = raw.bytesPerSample;
  if (raw.bitPacked) {
    const unpacked = new Uint8Array(pixels * spp);
    for (let p = 0; p < unpacked.length; p++) unpacked[p] = (bytes[p >> 3] >> (p & 7)) & 1;
    bytes = unpacked;
    bps = 1;
  }
  const expected = pixels * spp * bps;
  if (bytes.length < expected || (bytes.length > expected && bytes.length - expected > 1)) {
    throw new AppError(
      'DECODE_FAILED',
      `${what}: decoded ${bytes.length} bytes but ${rows}×${columns}×${spp} samples of ${bps} byte(s) need ${expected} (damaged or mislabelled image).`,
    );
  }
  if (spp === 1) return greyFrame(bytes, bps, inst, frame, into);
  if (spp !== 3) throw new AppError('DECODE_FAILED', `${what}: ${spp} samples per pixel is not a valid image layout.`);
  const photometric = inst.photometricInterpretation;
  const needsYbr = !raw.convertedToRgb && (photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422');
  if (bps === 1) {
    const rgb = bytes.length === expected ? bytes : bytes.slice(0, expected);
    if (needsYbr) ybrToRgbInPlace(rgb, 255);
    return { kind: 'rgb', rows, columns, rgb };
  }
  const rgb16 = new Uint16Array(pixels * 3);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < rgb16.length; i++) rgb16[i] = bps === 2 ? view.getUint16(i * 2, true) : Math.min(0xffff, view.getUint32(i * 4, true) >>> 16);
  if (needsYbr) ybrToRgbInPlace(rgb16, (1 << Math.min(16, inst.bitsStored)) - 1);
  return { kind: 'rgb', rows, columns, rgb: rgb16 };
}

function ybrToRgbInPlace(px: Uint8Array | Uint16Array, max: number): void {
  const half = (max + 1) / 2;
  for (let i = 0; i + 2 < px.length; i += 3) {
    const y = px[i];
    const cb = px[i + 1] - half;
    const cr = px[i + 2] - half;
    px[i] = clampTo(y + 1.402 * cr, max);
    px[i + 1] = clampTo(y - 0.344136 * cb - 0.714136 * cr, max);
    px[i + 2] = clampTo(y + 1.772 * cb, max);
  }
}

function clampTo(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : Math.round(v);
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The usual CT/MR frame (16-bit words, integer rescale, no LUT or palette) whose every possible value, not only
 * those present, fits int16: modality values written straight into an Int16Array in one pass. Gives exactly what
 * the general path below gives (it would choose Int16Array too), without its int32 copy and min/max pass.
 */
function int16Direct(bytes: Uint8Array, bps: number, inst: DicomInstance, frame: DicomFrameInfo, into?: Int16Array): Int16Array | undefined {
  const n = inst.rows * inst.columns;
  if (bps !== 2 || bytes.byteOffset % 2 !== 0 || !littleEndianHost || n === 0) return undefined;
  if (!everyValueFitsInt16(inst, frame, 16)) return undefined;
  const slope = frame.rescaleSlope;
  const intercept = frame.rescaleIntercept;
  const bitsStored = Math.min(inst.bitsStored || 16, 16);
  const signed = inst.pixelRepresentation === 1;
  const words = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const out = into?.length === n ? into : new Int16Array(n);
  const shift = 32 - bitsStored;
  const mask = bitsStored === 16 ? 0xffff : (1 << bitsStored) - 1;
  if (slope === 1) {
    // The usual CT (slope 1, intercept -1024) and MR (0): no multiplication in the loop.
    if (signed) for (let i = 0; i < n; i++) out[i] = ((words[i] << shift) >> shift) + intercept;
    else for (let i = 0; i < n; i++) out[i] = (words[i] & mask) + intercept;
  } else if (signed) for (let i = 0; i < n; i++) out[i] = ((words[i] << shift) >> shift) * slope + intercept;
  else for (let i = 0; i < n; i++) out[i] = (words[i] & mask) * slope + intercept;
  return out;
}

/**
 * Whether every stored value a frame can hold (BitsStored, at most `bitsCap`, signed or not) maps to an int16 modality
 * value through an integer rescale, with no LUT or palette in the way.
 */
function everyValueFitsInt16(inst: DicomInstance, frame: DicomFrameInfo, bitsCap: number): boolean {
  if (inst.modalityLut || (inst.palette && inst.photometricInterpretation === 'PALETTE COLOR')) return false;
  const slope = frame.rescaleSlope;
  const intercept = frame.rescaleIntercept;
  if (!Number.isInteger(slope) || !Number.isInteger(intercept)) return false;
  const bitsStored = Math.min(inst.bitsStored || bitsCap, bitsCap);
  const signed = inst.pixelRepresentation === 1;
  const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
  const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  const a = lo * slope + intercept;
  const b = hi * slope + intercept;
  return Math.min(a, b) >= -32768 && Math.max(a, b) <= 32767;
}

/**
 * Known from the header alone: this grey frame decodes to int16 modality values whatever its pixels are (8- or
 * 16-bit samples, integer rescale, every possible value in range). Such a frame's values always come back as an
 * Int16Array (int16Direct, or greyFrame's general path, which picks int16 for values in range).
 */
export function decodesToInt16(inst: DicomInstance, frame: DicomFrameInfo): boolean {
  if (inst.samplesPerPixel !== 1 || (inst.bitsAllocated !== 8 && inst.bitsAllocated !== 16) || inst.rows * inst.columns === 0) return false;
  // A stated BitsStored within BitsAllocated bounds the values whatever sample width a codec hands back.
  if (!(inst.bitsStored > 0 && inst.bitsStored <= inst.bitsAllocated)) return false;
  return everyValueFitsInt16(inst, frame, inst.bitsAllocated);
}

function greyFrame(bytes: Uint8Array, bps: number, inst: DicomInstance, frame: DicomFrameInfo, into?: Int16Array): DecodedFrame {
  const n = inst.rows * inst.columns;
  const direct = int16Direct(bytes, bps, inst, frame, into);
  if (direct) return { kind: 'grey', rows: inst.rows, columns: inst.columns, values: direct };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Values of up to 16 bits fit an Int32Array exactly; only 32-bit pixels need doubles.
  const stored = bps <= 2 ? new Int32Array(n) : new Float64Array(n);
  // Bits above BitsStored are not part of the value (overlays, garbage); signed values sign-extend from BitsStored.
  const bitsStored = Math.min(inst.bitsStored || bps * 8, bps * 8, 32);
  const signed = inst.pixelRepresentation === 1;
  const shift = 32 - bitsStored;
  if (bps === 2 && bytes.byteOffset % 2 === 0 && littleEndianHost) {
    // The common CT/MR case: read the 16-bit words through a typed view rather than a DataView call per pixel.
    const words = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    const mask = (1 << bitsStored) - 1;
    if (signed) for (let i = 0; i < n; i++) stored[i] = (words[i] << shift) >> shift;
    else for (let i = 0; i < n; i++) stored[i] = words[i] & mask;
  } else {
    for (let i = 0; i < n; i++) {
      const v = bps === 1 ? bytes[i] : bps === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
      stored[i] = signed ? (v << shift) >> shift : shift === 0 ? v >>> 0 : (v & ((1 << bitsStored) - 1)) >>> 0;
    }
  }
  if (inst.palette && inst.photometricInterpretation === 'PALETTE COLOR') {
    const { firstStoredValue, bits, red, green, blue } = inst.palette;
    const rgb = bits === 8 ? new Uint8Array(n * 3) : new Uint16Array(n * 3);
    const last = red.length - 1;
    for (let i = 0; i < n; i++) {
      const k = Math.min(last, Math.max(0, stored[i] - firstStoredValue));
      rgb[i * 3] = red[k];
      rgb[i * 3 + 1] = green[k];
      rgb[i * 3 + 2] = blue[k];
    }
    return { kind: 'rgb', rows: inst.rows, columns: inst.columns, rgb };
  }
  if (inst.modalityLut) {
    const { firstStoredValue, entries } = inst.modalityLut;
    const lutValues = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = Math.min(entries.length - 1, Math.max(0, stored[i] - firstStoredValue));
      lutValues[i] = entries[k];
    }
    return { kind: 'grey', rows: inst.rows, columns: inst.columns, values: lutValues };
  }
  const slope = frame.rescaleSlope;
  const intercept = frame.rescaleIntercept;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = stored[i] * slope + intercept;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const integral = Number.isInteger(slope) && Number.isInteger(intercept);
  let values: Int16Array | Int32Array | Uint32Array | Float32Array;
  if (integral && n > 0 && min >= -32768 && max <= 32767) values = new Int16Array(n);
  else if (integral && min >= -2147483648 && max <= 2147483647) values = new Int32Array(n);
  else if (integral && min >= 0 && max <= 4294967295) values = new Uint32Array(n);
  else values = new Float32Array(n);
  if (slope === 1 && intercept === 0) for (let i = 0; i < n; i++) values[i] = stored[i];
  else for (let i = 0; i < n; i++) values[i] = stored[i] * slope + intercept;
  if (values instanceof Int16Array && into?.length === n) {
    into.set(values);
    values = into;
  }
  return { kind: 'grey', rows: inst.rows, columns: inst.columns, values };
}
