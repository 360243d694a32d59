// A DICOM Part 10 reader/writer on the element level for de-identification: every element keeps its raw value
// bytes, so what is not changed (pixel data above all, encapsulated fragments included) is written back byte for
// byte in the file's own transfer syntax (implicit/explicit VR, little/big endian, deflated).
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { AppError } from '../../../shared/errors.js';

export interface DicomElement {
  /** group << 16 | element */
  tag: number;
  /** From the file (explicit VR) or the data dictionary (implicit VR); 'UN' when unknown. */
  vr: string;
  /** Raw value bytes in the file's byte order (not for sequences or encapsulated pixel data). */
  value?: Uint8Array;
  items?: DicomElement[][];
  /** Encapsulated pixel data: everything after the element header up to and including the sequence delimiter. */
  encapsulated?: Uint8Array;
}

export interface DicomPart10 {
  preamble: Uint8Array;
  meta: DicomElement[];
  dataset: DicomElement[];
  transferSyntaxUid: string;
}

interface Encoding {
  explicit: boolean;
  little: boolean;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
export const PIXEL_DATA = 0x7fe00010;
const DEFLATED = '1.2.840.10008.1.2.1.99';

function encodingOf(ts: string): Encoding {
  if (ts === '1.2.840.10008.1.2') return { explicit: false, little: true };
  if (ts === '1.2.840.10008.1.2.2') return { explicit: true, little: false };
  return { explicit: true, little: true };
}

type DictEntry = { vr: string };
// dcmjs's data dictionary (PS3.6) gives implicit-VR elements their VR.
const DICTIONARY = (createRequire(import.meta.url)('dcmjs') as { data: { DicomMetaDictionary: { dictionary: Record<string, DictEntry> } } }).data
  .DicomMetaDictionary.dictionary;

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

/** The VR of an implicit-VR element by the data dictionary (repeating groups 50xx/60xx by their first group). */
export function dictionaryVr(tag: number): string {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (group & 1) return element <= 0xff && element >= 0x10 ? 'LO' : 'UN';
  if (element === 0) return 'UL';
  const base = (group & 0xff00) === 0x5000 || (group & 0xff00) === 0x6000 ? group & 0xff00 : group;
  const vr = DICTIONARY[`(${hex4(base)},${hex4(element)})`]?.vr ?? 'UN';
  if (vr === 'ox' || vr.startsWith('OB or')) return tag === PIXEL_DATA ? 'OW' : 'OB';
  if (vr.includes(' or ')) return vr.slice(0, 2);
  return vr.length === 2 ? vr : 'UN';
}

class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly view: DataView,
  ) {}
  u16(little: boolean): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, little);
    this.pos += 2;
    return v;
  }
  u32(little: boolean): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, little);
    this.pos += 4;
    return v;
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new AppError('TRUNCATED', `DICOM data ends inside an element (offset ${this.pos})`);
  }
}

function readTag(r: Reader, little: boolean): number {
  const g = r.u16(little);
  const e = r.u16(little);
  return ((g << 16) | e) >>> 0;
}

function readDataset(r: Reader, enc: Encoding, end: number, stopAtItemEnd: boolean, depth: number): DicomElement[] {
  if (depth > 32) throw new AppError('RESOURCE_LIMIT', 'DICOM sequences nested deeper than 32 levels');
  const out: DicomElement[] = [];
  while (r.pos < end) {
    // Zero padding after the top-level dataset (some writers pad files to a block size): the dataset has ended.
    if (depth === 0 && !stopAtItemEnd && r.bytes[r.pos] === 0 && r.bytes.subarray(r.pos, end).every((b) => b === 0)) break;
    const tag = readTag(r, enc.little);
    if (tag === ITEM_END) {
      r.u32(enc.little);
      if (stopAtItemEnd) return out;
      continue;
    }
    let vr: string;
    let length: number;
    let wasUn = false;
    if (enc.explicit) {
      vr = String.fromCharCode(...r.take(2));
      wasUn = vr === 'UN';
      if (!/^[A-Z]{2}$/.test(vr)) throw new AppError('NOT_DICOM', `bad VR at offset ${r.pos - 2}`);
      if (LONG_VRS.has(vr)) {
        r.take(2);
        length = r.u32(enc.little);
      } else {
        length = r.u16(enc.little);
      }
      // UN written by a reader that did not know the attribute: the dictionary's VR (same bytes in explicit VR
      // little endian; a sequence inside is implicit VR little endian, PS3.5 6.2.2).
      if (vr === 'UN' && enc.little && dictionaryVr(tag) !== 'UN') vr = dictionaryVr(tag);
    } else {
      vr = dictionaryVr(tag);
      length = r.u32(enc.little);
    }
    if (tag === PIXEL_DATA && length === UNDEFINED) {
      out.push({ tag, vr, encapsulated: readEncapsulated(r, enc) });
    } else if (vr === 'SQ' || length === UNDEFINED) {
      // An undefined-length UN is a sequence in implicit VR little endian (PS3.5 6.2.2).
      const itemEnc = vr === 'UN' || (enc.explicit && wasUn) ? { explicit: false, little: true } : enc;
      const seqEnd = length === UNDEFINED ? r.bytes.length : r.pos + length;
      out.push({ tag, vr: 'SQ', items: readItems(r, itemEnc, seqEnd, length === UNDEFINED, depth) });
    } else {
      out.push({ tag, vr, value: r.take(length) });
    }
  }
  if (stopAtItemEnd && end === r.bytes.length) throw new AppError('TRUNCATED', 'a sequence item has no end');
  return out;
}

function readItems(r: Reader, enc: Encoding, end: number, undefinedLength: boolean, depth: number): DicomElement[][] {
  const items: DicomElement[][] = [];
  while (r.pos < end) {
    const tag = readTag(r, enc.little);
    const length = r.u32(enc.little);
    if (tag === SEQ_END) return items;
    if (tag !== ITEM) throw new AppError('NOT_DICOM', `expected a sequence item at offset ${r.pos - 8}`);
    if (length === UNDEFINED) items.push(readDataset(r, enc, r.bytes.length, true, depth + 1));
    else {
      const itemEnd = r.pos + length;
      items.push(readDataset(r, enc, itemEnd, false, depth + 1));
      r.pos = itemEnd;
    }
  }
  if (undefinedLength) throw new AppError('TRUNCATED', 'a sequence has no end');
  return items;
}

function readEncapsulated(r: Reader, enc: Encoding): Uint8Array {
  const start = r.pos;
  for (;;) {
    const tag = readTag(r, enc.little);
    const length = r.u32(enc.little);
    if (tag === SEQ_END) return r.bytes.subarray(start, r.pos);
    if (tag !== ITEM) throw new AppError('NOT_DICOM', 'bad fragment in encapsulated pixel data');
    r.take(length);
  }
}

export function textOf(el: DicomElement | undefined): string {
  if (!el?.value) return '';
  return Buffer.from(el.value)
    .toString('latin1')
    .replace(/[\0 ]+$/, '');
}

export function findElement(ds: DicomElement[], tag: number): DicomElement | undefined {
  return ds.find((e) => e.tag === tag);
}

export function readPart10(bytes: Uint8Array): DicomPart10 {
  if (bytes.length < 132 || Buffer.from(bytes.subarray(128, 132)).toString('latin1') !== 'DICM')
    throw new AppError('NOT_DICOM', 'not a DICOM Part 10 file (no DICM prefix)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(bytes, view);
  r.pos = 132;
  const meta: DicomElement[] = [];
  const metaEnc = { explicit: true, little: true };
  while (r.pos + 4 <= bytes.length && view.getUint16(r.pos, true) === 0x0002) {
    const [el] = readDataset(r, metaEnc, r.pos + 1, false, 0); // reads exactly one element
    meta.push(el);
  }
  const transferSyntaxUid = textOf(findElement(meta, 0x00020010));
  if (!transferSyntaxUid) throw new AppError('NOT_DICOM', 'the file meta information has no transfer syntax');
  let body = bytes.subarray(r.pos);
  if (transferSyntaxUid === DEFLATED) {
    try {
      body = inflateRawSync(body);
    } catch (err) {
      throw new AppError('DECODE_FAILED', `deflated dataset does not inflate: ${(err as Error).message}`);
    }
  }
  const br = new Reader(body, new DataView(body.buffer, body.byteOffset, body.byteLength));
  const dataset = readDataset(br, encodingOf(transferSyntaxUid), body.length, false, 0);
  return { preamble: bytes.slice(0, 128), meta, dataset, transferSyntaxUid };
}

class Writer {
  chunks: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  header(tag: number, little: boolean, extra: (v: DataView) => void, n: number): void {
    const b = new Uint8Array(4 + n);
    const v = new DataView(b.buffer);
    v.setUint16(0, tag >>> 16, little);
    v.setUint16(2, tag & 0xffff, little);
    extra(new DataView(b.buffer, 4));
    this.push(b);
  }
  concat(): Uint8Array {
    return Buffer.concat(this.chunks, this.size);
  }
}

function writeElementHeader(w: Writer, tag: number, vr: string, length: number, enc: Encoding): void {
  if (!enc.explicit) return w.header(tag, enc.little, (v) => v.setUint32(0, length, enc.little), 4);
  if (LONG_VRS.has(vr)) {
    return w.header(
      tag,
      enc.little,
      (v) => {
        v.setUint8(0, vr.charCodeAt(0));
        v.setUint8(1, vr.charCodeAt(1));
        v.setUint32(4, length, enc.little);
      },
      8,
    );
  }
  if (length > 0xffff) throw new AppError('INVALID_INPUT', `value of VR ${vr} too long (${length} bytes)`);
  w.header(
    tag,
    enc.little,
    (v) => {
      v.setUint8(0, vr.charCodeAt(0));
      v.setUint8(1, vr.charCodeAt(1));
      v.setUint16(2, length, enc.little);
    },
    4,
  );
}

function writeDataset(w: Writer, ds: DicomElement[], enc: Encoding): void {
  for (const el of [...ds].sort((a, b) => a.tag - b.tag)) {
    if (el.encapsulated) {
      writeElementHeader(w, el.tag, el.vr, UNDEFINED, enc);
      w.push(el.encapsulated);
    } else if (el.items) {
      writeElementHeader(w, el.tag, 'SQ', UNDEFINED, enc);
      for (const item of el.items) {
        w.header(ITEM, enc.little, (v) => v.setUint32(0, UNDEFINED, enc.little), 4);
        writeDataset(w, item, enc);
        w.header(ITEM_END, enc.little, (v) => v.setUint32(0, 0, enc.little), 4);
      }
      w.header(SEQ_END, enc.little, (v) => v.setUint32(0, 0, enc.little), 4);
    } else {
      const value = el.value ?? new Uint8Array(0);
      writeElementHeader(w, el.tag, el.vr, value.length, enc);
      w.push(value);
    }
  }
}

export function writePart10(file: DicomPart10): Uint8Array {
  const metaBody = new Writer();
  const metaEnc = { explicit: true, little: true };
  writeDataset(
    metaBody,
    file.meta.filter((e) => e.tag !== 0x00020000),
    metaEnc,
  );
  const metaBytes = metaBody.concat();
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, metaBytes.length, true);
  const w = new Writer();
  w.push(file.preamble);
  w.push(Buffer.from('DICM', 'latin1'));
  writeDataset(w, [{ tag: 0x00020000, vr: 'UL', value: groupLength }], metaEnc);
  w.push(metaBytes);
  const body = new Writer();
  writeDataset(body, file.dataset, encodingOf(file.transferSyntaxUid));
  const bodyBytes = body.concat();
  w.push(file.transferSyntaxUid === DEFLATED ? deflateRawSync(bodyBytes) : bodyBytes);
  return w.concat();
}

/** A string value padded to even length as PS3.5 says (UI with NUL, other text with a space). */
export function encodeText(text: string, vr: string): Uint8Array {
  const pad = text.length % 2 === 1 ? (vr === 'UI' ? '\0' : ' ') : '';
  return Buffer.from(text + pad, 'latin1');
}
