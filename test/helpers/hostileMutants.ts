// Hostile mutants of real DICOM files, generated at test time: allocation bombs (huge frames, rows, columns,
// samples, bits, element/item/fragment lengths), nesting bombs, a deflate bomb, truncations and bad lengths.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import { DATA_DIR } from './paths.js';

export interface Mutant {
  name: string;
  bytes: Buffer;
  /** Codes the reader may answer with; 'ok' is never among them (every mutant is broken or a bomb). */
  expect: string[];
}

/** Little-endian sources covering explicit, implicit, multi-frame, RLE, JPEG 2000 and deflated encodings. */
export const MUTANT_SOURCES = [
  'pydicom_test_files_debian/CT_small.dcm',
  'dcm_qa_ts/2.dcm',
  'pydicom_data_selected/emri_small_RLE.dcm',
  'pydicom_data_selected/eCT_Supplemental.dcm',
  'pydicom_test_files_debian/JPEG2000.dcm',
  'pydicom_test_files_debian/image_dfl.dcm',
];

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UT', 'UN', 'UC', 'UR', 'SV', 'UV']);
// A cut can also leave a readable data set that simply has no pixel data left.
const INTEGER_CODES = ['TRUNCATED', 'DECODE_FAILED', 'RESOURCE_LIMIT', 'NOT_DICOM', 'NO_PIXEL_DATA'];

interface Layout {
  explicit: boolean;
  ds: dicomParser.DataSet;
}

function layout(bytes: Buffer): Layout {
  const ds = dicomParser.parseDicom(bytes);
  return { explicit: ds.string('x00020010')?.replace(/\0/g, '').trim() !== '1.2.840.10008.1.2', ds };
}

/** Offset and size of an element's length field. */
function lengthField(l: Layout, tag: string): { at: number; size: 2 | 4; start: number } {
  const el = l.ds.elements[tag];
  if (!el) throw new Error(`mutant source lacks ${tag}`);
  if (!l.explicit) return { at: el.dataOffset - 4, size: 4, start: el.dataOffset - 8 };
  const long = LONG_VRS.has(el.vr ?? '');
  return long ? { at: el.dataOffset - 4, size: 4, start: el.dataOffset - 12 } : { at: el.dataOffset - 2, size: 2, start: el.dataOffset - 8 };
}

function setUint16(bytes: Buffer, l: Layout, tag: string, value: number): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt16LE(value, l.ds.elements[tag].dataOffset);
  return out;
}

function setLength(bytes: Buffer, l: Layout, tag: string, value: number): Buffer {
  const out = Buffer.from(bytes);
  const f = lengthField(l, tag);
  if (f.size === 2) out.writeUInt16LE(Math.min(value, 0xffff), f.at);
  else out.writeUInt32LE(value, f.at);
  return out;
}

/** An IS element (0028,0008) NumberOfFrames, little endian, in the file's encoding. */
function framesElement(explicit: boolean, value: string): Buffer {
  const text = Buffer.from(value.length % 2 ? `${value} ` : value, 'latin1');
  const head = Buffer.alloc(explicit ? 8 : 8);
  head.writeUInt16LE(0x0028, 0);
  head.writeUInt16LE(0x0008, 2);
  if (explicit) {
    head.write('IS', 4, 'latin1');
    head.writeUInt16LE(text.length, 6);
  } else head.writeUInt32LE(text.length, 4);
  return Buffer.concat([head, text]);
}

/** NumberOfFrames replaced (or inserted before Rows) with `value`. */
function withFrames(bytes: Buffer, l: Layout, value: string): Buffer {
  const existing = l.ds.elements['x00280008'];
  const element = framesElement(l.explicit, value);
  if (existing) {
    const f = lengthField(l, 'x00280008');
    return Buffer.concat([bytes.subarray(0, f.start), element, bytes.subarray(existing.dataOffset + existing.length)]);
  }
  const rows = lengthField(l, 'x00280010');
  return Buffer.concat([bytes.subarray(0, rows.start), element, bytes.subarray(rows.start)]);
}

/** A well-formed private sequence nested `depth` levels deep (undefined lengths, all closed), appended at the end. */
function nestingBomb(bytes: Buffer, explicit: boolean, depth: number): Buffer {
  const level = Buffer.alloc(explicit ? 20 : 16);
  let o = 0;
  level.writeUInt16LE(0x0009, o);
  level.writeUInt16LE(0x1010, o + 2);
  if (explicit) {
    level.write('SQ', o + 4, 'latin1');
    level.writeUInt32LE(0xffffffff, o + 8);
    o += 12;
  } else {
    level.writeUInt32LE(0xffffffff, o + 4);
    o += 8;
  }
  level.writeUInt16LE(0xfffe, o);
  level.writeUInt16LE(0xe000, o + 2);
  level.writeUInt32LE(0xffffffff, o + 4);
  const close = Buffer.alloc(16);
  close.writeUInt16LE(0xfffe, 0);
  close.writeUInt16LE(0xe00d, 2); // item delimitation
  close.writeUInt16LE(0xfffe, 8);
  close.writeUInt16LE(0xe0dd, 10); // sequence delimitation
  return Buffer.concat([bytes, Buffer.alloc(level.length * depth, level), Buffer.alloc(close.length * depth, close)]);
}

/** The deflated source's meta header followed by a raw-deflate body that expands to `expandedBytes` of zeros. */
function deflateBomb(bytes: Buffer, expandedBytes: number): Buffer {
  const metaEnd = 144 + bytes.readUInt32LE(140);
  return Buffer.concat([bytes.subarray(0, metaEnd), deflateRawSync(Buffer.alloc(expandedBytes), { level: 9 })]);
}

/** Every mutant of one real file. */
export function mutantsOf(source: string): Mutant[] {
  const original = readFileSync(path.join(DATA_DIR, source));
  const deflated = original.toString('latin1', 128, 132) === 'DICM' && source.endsWith('image_dfl.dcm');
  if (deflated) {
    // Its body cannot be patched in place: the bombs are built around its meta header instead.
    return [
      { name: 'deflate bomb (96 MB of zeros)', bytes: deflateBomb(original, 96 * 1024 * 1024), expect: ['RESOURCE_LIMIT'] },
      { name: 'cut in the deflated body', bytes: original.subarray(0, Math.floor(original.length * 0.6)), expect: INTEGER_CODES },
    ];
  }
  const l = layout(original);
  const pixels = l.ds.elements['x7fe00010'];
  const encapsulated = Boolean(pixels.encapsulatedPixelData);
  const out: Mutant[] = [
    { name: 'NumberOfFrames 2147483647', bytes: withFrames(original, l, '2147483647'), expect: ['TRUNCATED'] },
    { name: 'NumberOfFrames 999999999999', bytes: withFrames(original, l, '999999999999'), expect: ['TRUNCATED'] },
    { name: 'Rows and Columns 65535', bytes: setUint16(setUint16(original, l, 'x00280010', 0xffff), l, 'x00280011', 0xffff), expect: INTEGER_CODES },
    { name: 'SamplesPerPixel 0', bytes: setUint16(original, l, 'x00280002', 0), expect: ['DECODE_FAILED'] },
    { name: 'SamplesPerPixel 65535', bytes: setUint16(original, l, 'x00280002', 0xffff), expect: ['DECODE_FAILED'] },
    { name: 'BitsAllocated 0', bytes: setUint16(original, l, 'x00280100', 0), expect: ['DECODE_FAILED'] },
    { name: 'BitsAllocated 65535', bytes: setUint16(original, l, 'x00280100', 0xffff), expect: ['DECODE_FAILED'] },
    { name: 'nesting bomb (30000 levels)', bytes: nestingBomb(original, l.explicit, 30_000), expect: ['RESOURCE_LIMIT'] },
    // Three bytes into the Rows element: mid-element, so never a clean (if shorter) data set.
    { name: 'cut inside the header', bytes: original.subarray(0, lengthField(l, 'x00280010').start + 3), expect: ['TRUNCATED', 'NOT_DICOM'] },
    { name: 'cut inside the pixel data', bytes: original.subarray(0, pixels.dataOffset + Math.floor(pixels.length / 3)), expect: INTEGER_CODES },
    { name: 'Modality length 0xFFFFFFF0', bytes: setLength(original, l, 'x00080060', 0xfffffff0), expect: INTEGER_CODES },
  ];
  if (!encapsulated) {
    out.push({ name: 'PixelData length 0xFFFFFFF0', bytes: setLength(original, l, 'x7fe00010', 0xfffffff0), expect: INTEGER_CODES });
  } else {
    const first = pixels.fragments![0];
    const fragmentBomb = Buffer.from(original);
    fragmentBomb.writeUInt32LE(0xfffffff0, first.position - 4);
    const offsetTableBomb = Buffer.from(original);
    offsetTableBomb.writeUInt32LE(0xfffffff0, pixels.dataOffset + 4);
    out.push(
      { name: 'fragment length 0xFFFFFFF0', bytes: fragmentBomb, expect: INTEGER_CODES },
      { name: 'offset table length 0xFFFFFFF0', bytes: offsetTableBomb, expect: INTEGER_CODES },
    );
  }
  return out;
}
