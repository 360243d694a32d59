// Reads a DICOM Part 10 file (or a raw data set without meta header) into the DicomInstance that series
// assembly needs: identity, image pixel module and per-frame geometry (enhanced functional groups resolved).
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { AppError } from '../../../shared/errors.js';
import { MAX_DECODED_BYTES, MAX_SEQUENCE_DEPTH, maxExpandedBytes } from './limits.js';
import { cross, type Vec3 } from '../../../shared/domain/volume.js';
import type { DicomFrameInfo, DicomInstance, ModalityLut, PaletteLut } from './types.js';

export const TS = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  explicitBig: '1.2.840.10008.1.2.2',
} as const;

/** Tags (dicom-parser spelling) of the pixel data variants: integer, float, double float. */
export const PIXEL_DATA_TAGS = ['x7fe00010', 'x7fe00008', 'x7fe00009'] as const;

export interface ParsedDataSet {
  dataSet: DataSet;
  transferSyntaxUid: string;
}

/**
 * Whether bytes can be the start of a DICOM file: "DICM" after the 128-byte preamble, or a bare data set whose
 * first element is plausible (a low group, then an explicit VR or an implicit length that fits the file).
 * Decided from the first few bytes, so a large file of zeros or noise is refused without reading it all.
 */
export function looksLikeDicomStart(head: Uint8Array, totalBytes: number): boolean {
  if (head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d) return true;
  if (head.length < 8) return false;
  const groupLe = head[0] | (head[1] << 8);
  const groupBe = (head[0] << 8) | head[1];
  const isVrChar = (c: number): boolean => c >= 0x41 && c <= 0x5a;
  const explicitVr = isVrChar(head[4]) && isVrChar(head[5]);
  if (groupLe >= 0x0002 && groupLe <= 0x0010 && groupLe % 2 === 0) {
    if (explicitVr) return true;
    const length = (head[4] | (head[5] << 8) | (head[6] << 16)) + head[7] * 0x1000000;
    return length === 0xffffffff || length <= totalBytes - 8;
  }
  return groupBe === 0x0008 && explicitVr;
}

/** Stack overflow inside dicom-parser's recursive sequence reader: a nesting bomb. */
function isNestingOverflow(err: unknown): boolean {
  const inner = err && typeof err === 'object' && 'exception' in err ? (err as { exception: unknown }).exception : err;
  return inner instanceof RangeError && /call stack/i.test(inner.message);
}

function nestingError(path: string): AppError {
  return new AppError('RESOURCE_LIMIT', `${path}: the DICOM data set nests sequences more than ${MAX_SEQUENCE_DEPTH} levels deep; refused as unsafe.`);
}

/** AppErrors thrown from callbacks (the capped inflater) come back wrapped by dicom-parser. */
function innerAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err && typeof err === 'object' && 'exception' in err && (err as { exception: unknown }).exception instanceof AppError) {
    return (err as { exception: AppError }).exception;
  }
  return undefined;
}

/** dicom-parser would inflate a deflated data set without limit: do it here under the decompression caps. */
function cappedInflater(path: string): (byteArray: Uint8Array, position: number) => Buffer {
  return (byteArray, position) => {
    const deflated = Buffer.from(byteArray.buffer, byteArray.byteOffset + position, byteArray.byteLength - position);
    const cap = maxExpandedBytes(deflated.length);
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(deflated, { maxOutputLength: cap });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw new AppError(
          'RESOURCE_LIMIT',
          `${path}: the deflated data set expands to more than ${cap} bytes (${deflated.length} compressed); refused as a decompression bomb.`,
        );
      }
      throw new AppError('TRUNCATED', `${path}: the deflated data set cannot be inflated (${(err as Error).message}).`);
    }
    return Buffer.concat([Buffer.from(byteArray.buffer, byteArray.byteOffset, position), inflated]);
  };
}

/**
 * Walks the parsed data set without recursion: nesting deeper than MAX_SEQUENCE_DEPTH is RESOURCE_LIMIT, and an
 * element whose declared length runs past the end of the bytes is TRUNCATED (dicom-parser's implicit-VR reader
 * accepts such a length silently, and every later read of that element would trust it).
 */
function checkStructure(root: DataSet, path: string, end = root.byteArray.length): void {
  const stack: [DataSet, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [ds, depth] = stack.pop() as [DataSet, number];
    if (depth > MAX_SEQUENCE_DEPTH) throw nestingError(path);
    for (const el of Object.values(ds.elements)) {
      if (el.dataOffset + el.length > end && !el.tag.startsWith('x0002')) {
        const tag = `(${el.tag.slice(1, 5)},${el.tag.slice(5, 9)})`.toUpperCase();
        throw new AppError(
          'TRUNCATED',
          `${path}: element ${tag} declares ${el.length} bytes but the file ends ${Math.max(0, end - el.dataOffset)} bytes after it starts (the file is cut short or the length is wrong).`,
        );
      }
      for (const item of el.items ?? []) if (item.dataSet) stack.push([item.dataSet, depth + 1]);
    }
  }
}

/** Parses bytes into a dicom-parser DataSet, mapping every failure to a coded AppError that names the file. */
export function parseDataSet(bytes: Uint8Array, path: string): ParsedDataSet {
  let parsed: ParsedDataSet;
  try {
    parsed = parseDataSetUnchecked(bytes, path);
  } catch (err) {
    if (isNestingOverflow(err)) throw nestingError(path);
    throw err;
  }
  checkStructure(parsed.dataSet, path);
  return parsed;
}

function parseDataSetUnchecked(bytes: Uint8Array, path: string): ParsedDataSet {
  // dicom-parser inflates deflated data sets only when given a Node Buffer; wrapping shares the memory.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hasPreamble = buf.length >= 132 && buf.toString('latin1', 128, 132) === 'DICM';
  if (!hasPreamble) return parseWithoutMeta(buf, path);
  try {
    const dataSet = dicomParser.parseDicom(buf, { inflater: cappedInflater(path) } as dicomParser.ParseDicomOptions);
    return { dataSet, transferSyntaxUid: trimUid(dataSet.string('x00020010')) };
  } catch (err) {
    const coded = innerAppError(err);
    if (coded) throw coded;
    if (isNestingOverflow(err)) throw nestingError(path);
    const reason = parserMessage(err);
    if (reason.includes('missing required meta header attribute 0002,0010')) return parseMissingTransferSyntax(buf, path);
    // Some writers encode the body in implicit VR while the meta header names an explicit syntax (pydicom reads
    // these too). The pixel encoding still follows the named syntax.
    const named = namedTransferSyntax(buf);
    if (named && named !== TS.implicitLittle && named !== TS.explicitBig && named !== '1.2.840.10008.1.2.1.99') {
      const dataSet = parseBody(buf, 'implicitLittle', false);
      if (dataSet) return { dataSet, transferSyntaxUid: named };
    }
    throw classifyParseFailure(reason, path);
  }
}

/**
 * The meta header alone. dicom-parser reads on past group 0002 in explicit VR, which fails when the body is
 * not explicit VR; when the first element is the group length, only that many bytes are handed to it.
 */
function readMeta(buf: Buffer): { meta: DataSet; bodyStart: number } {
  const hasGroupLength = buf.length >= 144 && buf.readUInt32LE(132) === 0x00000002 && buf.toString('latin1', 136, 138) === 'UL';
  if (hasGroupLength) {
    const bodyStart = 144 + buf.readUInt32LE(140);
    if (bodyStart <= buf.length) return { meta: dicomParser.readPart10Header(buf.subarray(0, bodyStart)) as unknown as DataSet, bodyStart };
  }
  const meta = dicomParser.readPart10Header(buf) as unknown as DataSet & { position: number };
  return { meta, bodyStart: meta.position };
}

function namedTransferSyntax(buf: Buffer): string | undefined {
  try {
    const { meta } = readMeta(buf);
    return meta.elements['x00020010'] ? trimUid(meta.string('x00020010')) : undefined;
  } catch {
    return undefined;
  }
}

function trimUid(uid: string | undefined): string {
  return (uid ?? '').replace(/\0/g, '').trim();
}

function parserMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'exception' in err) return parserMessage((err as { exception: unknown }).exception);
  return String(err);
}

/** dicom-parser reports reading past the end in several wordings; all mean the file stops early. */
function classifyParseFailure(reason: string, path: string): AppError {
  const pastEnd = /buffer overrun|max ?P ?osition|cannot be greater than|beyond|end of buffer|overflow/i.test(reason);
  if (pastEnd) {
    return new AppError('TRUNCATED', `${path}: the DICOM file ends before its last element is complete (the file is cut short or damaged).`);
  }
  return new AppError('NOT_DICOM', `${path}: the file starts like DICOM but its contents cannot be read (${reason}).`);
}

/**
 * No "DICM" at byte 128: it may still be a bare data set (old ACR-NEMA style). Try the three uncompressed
 * encodings and accept the first that parses completely and looks like a real data set.
 */
function parseWithoutMeta(buf: Buffer, path: string): ParsedDataSet {
  if (looksLikeDicomStart(buf, buf.length)) {
    for (const ts of [TS.implicitLittle, TS.explicitLittle, TS.explicitBig]) {
      try {
        const dataSet = dicomParser.parseDicom(buf, { TransferSyntaxUID: ts });
        if (looksLikeDataSet(dataSet)) return { dataSet, transferSyntaxUid: ts };
      } catch (err) {
        if (isNestingOverflow(err)) throw nestingError(path);
        // otherwise try the next encoding
      }
    }
  }
  throw new AppError('NOT_DICOM', `${path}: this is not a DICOM file (no DICOM marker and no readable DICOM data set).`);
}

/** Plausibility check for a data set parsed without a meta header: ascending tags from low groups, key identifiers. */
function looksLikeDataSet(dataSet: DataSet, requireIdentity = true): boolean {
  // dicom-parser appends the (synthetic) meta elements after the body: leave group 0002 out of the order check.
  const tags = Object.keys(dataSet.elements).filter((t) => !t.startsWith('x0002'));
  if (tags.length < 3) return false;
  const first = tags[0];
  const firstGroup = parseInt(first.slice(1, 5), 16);
  if (firstGroup > 0x0010) return false;
  for (let i = 1; i < tags.length; i++) if (tags[i] <= tags[i - 1]) return false;
  return !requireIdentity || ['x00080016', 'x00080018', 'x0020000d', 'x0020000e', 'x00080060'].some((t) => t in dataSet.elements);
}

type BodyEncoding = 'implicitLittle' | 'explicitLittle' | 'explicitBig';

const runtime = dicomParser as unknown as {
  DataSet: new (parser: unknown, byteArray: Buffer, elements: DataSet['elements']) => DataSet;
  ByteStream: new (parser: unknown, byteArray: Buffer, position: number) => dicomParser.ByteStream;
  littleEndianByteArrayParser: unknown;
  findEndOfEncapsulatedElement: (stream: dicomParser.ByteStream, element: Element, warnings?: string[]) => void;
};

/**
 * Reads the data set after the meta header in the given encoding; undefined when it does not parse into a
 * plausible data set. `requireIdentity`: the body itself must carry SOP/study/series identifiers.
 */
function parseBody(buf: Buffer, encoding: BodyEncoding, requireIdentity: boolean): DataSet | undefined {
  try {
    const { meta, bodyStart } = readMeta(buf);
    const parser = encoding === 'explicitBig' ? dicomParser.bigEndianByteArrayParser : runtime.littleEndianByteArrayParser;
    const stream = new runtime.ByteStream(parser, buf, bodyStart);
    const dataSet = new runtime.DataSet(parser, buf, {});
    if (encoding === 'implicitLittle') {
      // Without a VR, dicom-parser would take encapsulated pixel data for a sequence: name it OB.
      const vrCallback = ((tag: string) => (tag === 'x7fe00010' ? 'OB' : undefined)) as (tag: string) => string;
      dicomParser.parseDicomDataSetImplicit(dataSet, stream, buf.length, { untilTag: '', vrCallback });
      const pixels = dataSet.elements['x7fe00010'];
      if (pixels?.hadUndefinedLength && !pixels.fragments) {
        runtime.findEndOfEncapsulatedElement(new runtime.ByteStream(parser, buf, pixels.dataOffset), pixels, []);
      }
    } else dicomParser.parseDicomDataSetExplicit(dataSet, stream, buf.length);
    if (!looksLikeDataSet(dataSet, requireIdentity)) return undefined;
    // Meta elements are always explicit little endian: keep them readable with their own parser.
    for (const [tag, el] of Object.entries(meta.elements)) {
      if (tag.startsWith('x0002')) dataSet.elements[tag] = { ...el, parser: runtime.littleEndianByteArrayParser } as Element;
    }
    return dataSet;
  } catch (err) {
    if (isNestingOverflow(err)) throw err;
    return undefined;
  }
}

/** The meta header lacks (0002,0010): read the body after it, trying the uncompressed encodings. */
function parseMissingTransferSyntax(buf: Buffer, path: string): ParsedDataSet {
  const encodings: [BodyEncoding, string][] = [
    ['implicitLittle', TS.implicitLittle],
    ['explicitLittle', TS.explicitLittle],
    ['explicitBig', TS.explicitBig],
  ];
  for (const [encoding, ts] of encodings) {
    const dataSet = parseBody(buf, encoding, true);
    if (dataSet) return { dataSet, transferSyntaxUid: ts };
  }
  throw new AppError('NOT_DICOM', `${path}: the DICOM meta header names no transfer syntax and no readable image data set follows it.`);
}

// ---------- attribute helpers ----------

/**
 * Person names and descriptions in the data set's Specific Character Set: UTF-8 (ISO_IR 192) or Latin-1
 * (default repertoire and ISO_IR 100). Other character sets fall back to Latin-1.
 */
function localText(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0 || el.dataOffset + el.length > ds.byteArray.length) return undefined;
  const utf8 = (text(ds, 'x00080005') ?? '').includes('ISO_IR 192');
  const t = Buffer.from(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset, el.length).toString(utf8 ? 'utf8' : 'latin1');
  const s = t.replace(/\0/g, '').trim();
  return s ? s : undefined;
}

function text(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return undefined;
  const v = ds.string(tag);
  const t = v?.replace(/\0/g, '').trim();
  return t ? t : undefined;
}

/** The whole multi-valued string (dicom-parser's string() returns only one value when given an index). */
function rawText(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0 || el.dataOffset + el.length > ds.byteArray.length) return undefined;
  const t = Buffer.from(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset, el.length).toString('latin1');
  const s = t.replace(/\0/g, '').trim();
  return s ? s : undefined;
}

/** Decimal/integer strings (DS, IS), possibly multi-valued. Returns undefined when any value is not a number. */
function numbers(ds: DataSet, tag: string): number[] | undefined {
  const s = rawText(ds, tag);
  if (s === undefined) return undefined;
  const parts = s.split('\\').map((p) => p.trim());
  const out = parts.map((p) => (p === '' ? NaN : Number(p)));
  return out.every(Number.isFinite) ? out : undefined;
}

function number(ds: DataSet, tag: string): number | undefined {
  return numbers(ds, tag)?.[0];
}

function ushort(ds: DataSet, tag: string): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length < 2) return undefined;
  return ds.uint16(tag);
}

function firstItem(ds: DataSet | undefined, tag: string): DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}

function vec3(v: number[] | undefined): Vec3 | undefined {
  return v && v.length >= 3 ? [v[0], v[1], v[2]] : undefined;
}

function orientation(v: number[] | undefined): [Vec3, Vec3] | undefined {
  return v && v.length >= 6
    ? [
        [v[0], v[1], v[2]],
        [v[3], v[4], v[5]],
      ]
    : undefined;
}

/** PixelSpacing is [between rows, between columns]; the frame info wants [along i, along j]. */
function spacing(v: number[] | undefined): [number, number] | undefined {
  return v && v.length >= 2 && v[0] > 0 && v[1] > 0 ? [v[1], v[0]] : undefined;
}

// ---------- the reader ----------

/**
 * The header of a file from its first bytes only, for the common layout: a Part 10 file in little-endian explicit or
 * implicit VR whose last element is native Pixel Data ending exactly at the end of the file (its length is in
 * the header, so nothing after it needs reading). Gives exactly what `readDicomHeader` on the whole file gives;
 * returns undefined for any other layout or any doubt (the caller then reads the whole file).
 */
export function readDicomHeaderFromPrefix(head: Uint8Array, fileBytes: number, path: string): DicomInstance | undefined {
  const buf = Buffer.isBuffer(head) ? head : Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM') return undefined;
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(buf, { untilTag: 'x7fe00010' } as dicomParser.ParseDicomOptions);
  } catch {
    return undefined; // the header runs past the prefix, or something unusual: the whole file decides
  }
  const transferSyntaxUid = trimUid(dataSet.string('x00020010'));
  if (transferSyntaxUid !== TS.explicitLittle && transferSyntaxUid !== TS.implicitLittle) return undefined;
  const pixels = dataSet.elements['x7fe00010'];
  if (!pixels || pixels.hadUndefinedLength || pixels.dataOffset + pixels.length !== fileBytes) return undefined;
  if (PIXEL_DATA_TAGS.some((t) => t !== 'x7fe00010' && dataSet.elements[t] !== undefined)) return undefined;
  checkStructure(dataSet, path, fileBytes);
  return instanceFromDataSet(dataSet, transferSyntaxUid, path, fileBytes);
}

/** Parses one DICOM file's header into a DicomInstance. Throws AppError NOT_DICOM / TRUNCATED with the path in the message. */
export function readDicomHeader(bytes: Uint8Array, path: string): DicomInstance {
  const { dataSet: ds, transferSyntaxUid } = parseDataSet(bytes, path);
  return instanceFromDataSet(ds, transferSyntaxUid, path);
}

/** `fileBytes`: the size of the whole file when `ds` was parsed from its first bytes only (pixels not read). */
export function instanceFromDataSet(ds: DataSet, transferSyntaxUid: string, path: string, fileBytes = ds.byteArray.length): DicomInstance {
  const rows = ushort(ds, 'x00280010') ?? 0;
  const columns = ushort(ds, 'x00280011') ?? 0;
  const bitsAllocated = ushort(ds, 'x00280100') ?? 0;
  const pixelTag = PIXEL_DATA_TAGS.find((t) => ds.elements[t] !== undefined);
  const hasPixelData = pixelTag !== undefined && rows > 0 && columns > 0;
  const declaredFrames = Math.max(1, Math.round(number(ds, 'x00280008') ?? 1));
  const perFrameSeq = ds.elements['x52009230']?.items;
  // Every per-frame structure below is sized by the frame count: check it against the bytes present first.
  const numberOfFrames = hasPixelData
    ? checkPixelBudget(
        ds,
        pixelTag,
        { rows, columns, samplesPerPixel: ushort(ds, 'x00280002') ?? 1, bitsAllocated, photometric: text(ds, 'x00280004') ?? '' },
        declaredFrames,
        path,
        fileBytes,
      )
    : Math.min(declaredFrames, Math.max(1, perFrameSeq?.length ?? 0));
  const modality = text(ds, 'x00080060') ?? '';
  const sharedGroups = firstItem(ds, 'x52009229');
  const isEnhanced = perFrameSeq !== undefined && perFrameSeq.length > 0;

  const frames = isEnhanced
    ? enhancedFrames(
        ds,
        sharedGroups,
        perFrameSeq.map((i) => i.dataSet),
        numberOfFrames,
      )
    : classicFrames(ds, numberOfFrames, modality);

  const windowCenter = number(ds, 'x00281050') ?? firstNumber(firstItem(sharedGroups, 'x00289132'), 'x00281050');
  const windowWidth = number(ds, 'x00281051') ?? firstNumber(firstItem(sharedGroups, 'x00289132'), 'x00281051');
  const sliceThicknessMm = number(ds, 'x00180050') ?? firstNumber(firstItem(sharedGroups, 'x00289110'), 'x00180050');

  return {
    path,
    sopInstanceUid: trimUid(text(ds, 'x00080018')),
    sopClassUid: trimUid(text(ds, 'x00080016') ?? text(ds, 'x00020002')),
    transferSyntaxUid,
    patientId: text(ds, 'x00100020') ?? '',
    patientName: localText(ds, 'x00100010') ?? '',
    patientBirthDate: text(ds, 'x00100030'),
    patientSex: text(ds, 'x00100040'),
    studyInstanceUid: trimUid(text(ds, 'x0020000d')),
    studyDate: text(ds, 'x00080020'),
    studyTime: text(ds, 'x00080030'),
    studyDescription: localText(ds, 'x00081030'),
    accessionNumber: text(ds, 'x00080050'),
    seriesInstanceUid: trimUid(text(ds, 'x0020000e')),
    seriesNumber: number(ds, 'x00200011'),
    seriesDescription: localText(ds, 'x0008103e'),
    modality,
    bodyPartExamined: text(ds, 'x00180015'),
    instanceNumber: number(ds, 'x00200013'),
    frameOfReferenceUid: text(ds, 'x00200052'),
    acquisitionNumber: number(ds, 'x00200012'),
    rows,
    columns,
    samplesPerPixel: ushort(ds, 'x00280002') ?? 1,
    photometricInterpretation: text(ds, 'x00280004') ?? (rows > 0 ? 'MONOCHROME2' : ''),
    bitsAllocated,
    bitsStored: ushort(ds, 'x00280101') ?? bitsAllocated,
    highBit: ushort(ds, 'x00280102') ?? Math.max(0, (ushort(ds, 'x00280101') ?? bitsAllocated) - 1),
    pixelRepresentation: ushort(ds, 'x00280103') ?? 0,
    planarConfiguration: ushort(ds, 'x00280006') ?? 0,
    numberOfFrames,
    frames,
    gantryTiltDeg: number(ds, 'x00181120'),
    sliceThicknessMm,
    windowCenter,
    windowWidth,
    modalityLut: modalityLut(ds, ushort(ds, 'x00280103') ?? 0),
    palette: text(ds, 'x00280004') === 'PALETTE COLOR' ? paletteLut(ds, ushort(ds, 'x00280103') ?? 0) : undefined,
    isEnhanced,
    hasPixelData,
  };
}

/**
 * The pixel description must fit the bytes that are there before anything is sized by it: native pixel data holds
 * every declared frame, encapsulated pixel data has at least one fragment per frame, and the decoded result stays
 * under MAX_DECODED_BYTES. Returns the frame count to use.
 */
function checkPixelBudget(
  ds: DataSet,
  pixelTag: string,
  px: { rows: number; columns: number; samplesPerPixel: number; bitsAllocated: number; photometric: string },
  frames: number,
  path: string,
  fileBytes: number,
): number {
  const el = ds.elements[pixelTag];
  const { rows, columns, samplesPerPixel: spp } = px;
  if (spp < 1 || spp > 4) throw new AppError('DECODE_FAILED', `${path}: Samples per Pixel is ${spp}, which is not a valid image layout.`);
  const bitsPerSample = pixelTag === 'x7fe00009' ? 64 : pixelTag === 'x7fe00008' ? 32 : px.bitsAllocated;
  if (!(bitsPerSample >= 1 && bitsPerSample <= 64)) {
    throw new AppError('DECODE_FAILED', `${path}: Bits Allocated is ${bitsPerSample}, which is not a valid value for image data.`);
  }
  const pixels = rows * columns;
  if (el.encapsulatedPixelData) {
    const fragments = el.fragments?.length ?? 0;
    if (frames > fragments) {
      throw new AppError(
        'TRUNCATED',
        `${path}: the header declares ${frames} frames but the compressed pixel data holds ${fragments} fragment(s) (the file is cut short or its header is wrong).`,
      );
    }
  } else {
    const available = Math.max(0, Math.min(el.length, fileBytes - el.dataOffset));
    // Native YBR_FULL_422 stores two samples per pixel, not three.
    const samplesStored = px.photometric === 'YBR_FULL_422' && spp === 3 ? 2 : spp;
    const needed = bitsPerSample === 1 ? Math.ceil((frames * pixels * samplesStored) / 8) : frames * pixels * samplesStored * Math.ceil(bitsPerSample / 8);
    if (needed > available) {
      throw new AppError(
        'TRUNCATED',
        `${path}: the header declares ${frames} frame(s) of ${rows}×${columns}×${spp} samples of ${bitsPerSample} bits (${needed} bytes) but the pixel data holds ${available} bytes (the file is cut short or its header is wrong).`,
      );
    }
  }
  const decodedBytes = frames * pixels * spp * Math.max(1, Math.ceil(bitsPerSample / 8));
  if (decodedBytes > MAX_DECODED_BYTES) {
    throw new AppError(
      'RESOURCE_LIMIT',
      `${path}: ${frames} frame(s) of ${rows}×${columns}×${spp} samples would decode to ${decodedBytes} bytes, more than the ${MAX_DECODED_BYTES} one file may use.`,
    );
  }
  return frames;
}

/** Red, green and blue palette LUTs: plain (0028,120x) or segmented (0028,122x, PS3.3 C.7.9.2). */
function paletteLut(ds: DataSet, pixelRepresentation: number): PaletteLut | undefined {
  const channels: number[][] = [];
  let first = 0;
  let bits = 16;
  for (const [descTag, dataTag, segTag] of [
    ['x00281101', 'x00281201', 'x00281221'],
    ['x00281102', 'x00281202', 'x00281222'],
    ['x00281103', 'x00281203', 'x00281223'],
  ]) {
    const desc = ds.elements[descTag];
    if (!desc || desc.length < 6) return undefined;
    const count = ds.uint16(descTag, 0) || 65536;
    first = ds.uint16(descTag, 1) ?? 0;
    if (pixelRepresentation === 1 && first >= 0x8000) first -= 0x10000;
    bits = ds.uint16(descTag, 2) === 8 ? 8 : 16;
    const words = (tag: string): number[] | undefined => {
      const el = ds.elements[tag];
      if (!el || el.length < 2) return undefined;
      const length = Math.min(el.length, ds.byteArray.length - el.dataOffset);
      return Array.from({ length: Math.max(0, Math.floor(length / 2)) }, (_, i) => ds.uint16(tag, i) ?? 0);
    };
    const plain = words(dataTag);
    const segmented = plain ? undefined : words(segTag);
    const lut = plain ?? (segmented ? expandSegmentedLut(segmented, count) : undefined);
    if (!lut || lut.length < count) return undefined;
    channels.push(lut.slice(0, count));
  }
  return { firstStoredValue: first, bits, red: channels[0], green: channels[1], blue: channels[2] };
}

/**
 * Segment types: 0 discrete (n values), 1 linear (ramp of n steps from the last value to y1), 2 indirect (copy n
 * earlier segments starting at a byte offset). Ramp values round half to even, as numpy (pydicom) does.
 */
function expandSegmentedLut(words: number[], count: number): number[] | undefined {
  const starts: number[] = [];
  for (let i = 0; i + 1 < words.length;) {
    starts.push(i);
    const type = words[i];
    if (type === 0) i += 2 + words[i + 1];
    else if (type === 1) i += 3;
    else if (type === 2) i += 4;
    else return undefined;
  }
  const out: number[] = [];
  const expand = (segment: number, nested: boolean): boolean => {
    const p = starts[segment];
    const type = words[p];
    const n = words[p + 1];
    // Indirect segments can multiply the length: never expand past the entries the descriptor asks for.
    if (out.length >= count) return true;
    if (type === 0) {
      if (p + 2 + n > words.length) return false;
      for (let k = 0; k < n && out.length < count; k++) out.push(words[p + 2 + k]);
    } else if (type === 1) {
      if (out.length === 0) return false;
      const y0 = out[out.length - 1];
      const y1 = words[p + 2];
      for (let k = 1; k <= n && out.length < count; k++) out.push(roundHalfEven(y0 + ((y1 - y0) * k) / n));
    } else {
      if (nested) return false;
      const firstWord = (words[p + 2] | (words[p + 3] << 16)) / 2;
      const first = starts.indexOf(firstWord);
      if (first < 0 || first + n > segment) return false;
      for (let k = 0; k < n && out.length < count; k++) if (!expand(first + k, true)) return false;
    }
    return true;
  };
  for (let s = 0; s < starts.length && out.length < count; s++) if (!expand(s, false)) return undefined;
  return out;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

function modalityLut(ds: DataSet, pixelRepresentation: number): ModalityLut | undefined {
  const item = firstItem(ds, 'x00283000');
  const descriptor = item?.elements['x00283002'];
  const data = item?.elements['x00283006'];
  if (!item || !descriptor || !data || descriptor.length < 6) return undefined;
  const count = item.uint16('x00283002', 0) || 65536;
  let first = item.uint16('x00283002', 1) ?? 0;
  // The first mapped value is signed when the pixels are.
  if (pixelRepresentation === 1 && first >= 0x8000) first -= 0x10000;
  const available = Math.floor(data.length / 2);
  if (available < count) return undefined;
  const entries = Array.from({ length: count }, (_, i) => item.uint16('x00283006', i) ?? 0);
  return { firstStoredValue: first, entries };
}

function firstNumber(ds: DataSet | undefined, tag: string): number | undefined {
  return ds ? number(ds, tag) : undefined;
}

/** Classic objects: all frames share the top-level geometry, except RTDOSE whose GridFrameOffsetVector moves each frame along the normal. */
function classicFrames(ds: DataSet, numberOfFrames: number, modality: string): DicomFrameInfo[] {
  const ipp = vec3(numbers(ds, 'x00200032'));
  const iop = orientation(numbers(ds, 'x00200037'));
  const pixelSpacing = spacing(numbers(ds, 'x00280030'));
  const imagerSpacing = pixelSpacing ? undefined : spacing(numbers(ds, 'x00181164'));
  let rescaleSlope = number(ds, 'x00281053') ?? 1;
  const rescaleIntercept = number(ds, 'x00281052') ?? 0;
  // RT Dose stores dose = pixel × DoseGridScaling (Gy); that is its modality value.
  const doseScaling = number(ds, 'x3004000e');
  if (modality === 'RTDOSE' && doseScaling !== undefined && ds.elements['x00281053'] === undefined) rescaleSlope = doseScaling;

  const offsets = numbers(ds, 'x3004000c');
  const useOffsets = offsets !== undefined && offsets.length === numberOfFrames && ipp !== undefined && iop !== undefined;
  const normal = iop ? cross(iop[0], iop[1]) : undefined;

  const frames: DicomFrameInfo[] = [];
  for (let f = 0; f < numberOfFrames; f++) {
    let position = ipp;
    if (useOffsets && normal && ipp) {
      // First offset 0: offsets are relative to IPP. Otherwise they are absolute coordinates along the normal.
      const base = offsets[0] === 0 ? 0 : ipp[0] * normal[0] + ipp[1] * normal[1] + ipp[2] * normal[2];
      const d = offsets[f] - base;
      position = [ipp[0] + d * normal[0], ipp[1] + d * normal[1], ipp[2] + d * normal[2]];
    }
    frames.push({
      frameIndex: f,
      imagePositionPatient: position,
      imageOrientationPatient: iop,
      pixelSpacingMm: pixelSpacing ?? imagerSpacing,
      pixelSpacingSource: pixelSpacing ? 'PixelSpacing' : imagerSpacing ? 'ImagerPixelSpacing' : 'none',
      rescaleSlope,
      rescaleIntercept,
    });
  }
  return frames;
}

/** Enhanced objects: each frame's functional groups override the shared ones, macro by macro. */
function enhancedFrames(ds: DataSet, shared: DataSet | undefined, perFrame: (DataSet | undefined)[], numberOfFrames: number): DicomFrameInfo[] {
  const macro = (frame: DataSet | undefined, seqTag: string): DataSet | undefined => firstItem(frame, seqTag) ?? firstItem(shared, seqTag);
  const frames: DicomFrameInfo[] = [];
  const count = Math.max(numberOfFrames, perFrame.length);
  for (let f = 0; f < count; f++) {
    const fg = perFrame[f];
    const position = macro(fg, 'x00209113');
    const orient = macro(fg, 'x00209116');
    const measures = macro(fg, 'x00289110');
    const transform = macro(fg, 'x00289145');
    const content = macro(fg, 'x00209111');
    const ipp = position ? vec3(numbers(position, 'x00200032')) : undefined;
    const iop = orient ? orientation(numbers(orient, 'x00200037')) : undefined;
    const pixelSpacing = measures ? spacing(numbers(measures, 'x00280030')) : undefined;
    const imagerSpacing = pixelSpacing ? undefined : spacing(numbers(ds, 'x00181164'));
    const stackId = content ? text(content, 'x00209056') : undefined;
    // TemporalPositionIndex is UL (binary) in every encoding.
    const temporal = content?.elements['x00209128']?.length === 4 ? content.uint32('x00209128') : undefined;
    frames.push({
      frameIndex: f,
      imagePositionPatient: ipp ?? vec3(numbers(ds, 'x00200032')),
      imageOrientationPatient: iop ?? orientation(numbers(ds, 'x00200037')),
      pixelSpacingMm: pixelSpacing ?? imagerSpacing,
      pixelSpacingSource: pixelSpacing ? 'PixelSpacing' : imagerSpacing ? 'ImagerPixelSpacing' : 'none',
      rescaleSlope: (transform && number(transform, 'x00281053')) ?? number(ds, 'x00281053') ?? 1,
      rescaleIntercept: (transform && number(transform, 'x00281052')) ?? number(ds, 'x00281052') ?? 0,
      stackId,
      temporalPositionIndex: temporal,
    });
  }
  return frames;
}
