// JPEG extended (ITU T.81 process 2/4: sequential Huffman DCT, 8 or 12-bit) for transfer syntax
// 1.2.840.10008.1.2.4.51, which no npm codec decodes. Sequential only; progressive and arithmetic are refused.
import { AppError } from '../../../shared/errors.js';

/** Sample precision from the first SOF marker, or 8 when none is found before the scan. */
export function jpegPrecision(jpeg: Uint8Array): number {
  let i = 2;
  while (i + 4 < jpeg.length) {
    if (jpeg[i] !== 0xff) return 8;
    const marker = jpeg[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = (jpeg[i + 2] << 8) | jpeg[i + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return jpeg[i + 4];
    if (marker === 0xda) return 8;
    i += 2 + len;
  }
  return 8;
}

// Zig-zag position k → natural (row-major) index in the 8×8 block.
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22,
  15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

// IDCT basis: COS[x * 8 + u] = C(u)/2 · cos((2x+1)uπ/16).
const COS = new Float64Array(64);
for (let x = 0; x < 8; x++) {
  for (let u = 0; u < 8; u++) COS[x * 8 + u] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
}

interface Huffman {
  /** maxCode[l] = largest code of length l (1..16), -1 when none. */
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Decoded samples, (blocksPerLine·8) × (blocksPerColumn·8). */
  plane: Int32Array;
  dcTable?: Huffman;
  acTable?: Huffman;
  pred: number;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxCode = new Int32Array(18).fill(-1);
  const minCode = new Int32Array(17);
  const valPtr = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1];
    if (n > 0) {
      valPtr[l] = k;
      minCode[l] = code;
      code += n;
      k += n;
      maxCode[l] = code - 1;
    }
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { maxCode, minCode, valPtr, values };
}

class BitReader {
  private bits = 0;
  private bitCount = 0;
  /** Set when a marker is met inside entropy-coded data: zeros are fed from then on (as libjpeg does). */
  marker = -1;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.bitCount <= 24) {
      let byte = 0;
      if (this.marker < 0 && this.pos < this.data.length) {
        byte = this.data[this.pos];
        if (byte === 0xff) {
          const next = this.data[this.pos + 1];
          if (next === 0x00) this.pos += 2;
          else {
            this.marker = next;
            byte = 0;
          }
        } else this.pos++;
      }
      this.bits = (this.bits << 8) | byte;
      this.bitCount += 8;
    }
  }

  bit(): number {
    if (this.bitCount === 0) this.fill();
    this.bitCount--;
    return (this.bits >>> this.bitCount) & 1;
  }

  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  decode(t: Huffman): number {
    let code = this.bit();
    let l = 1;
    while (code > t.maxCode[l]) {
      code = (code << 1) | this.bit();
      l++;
      if (l > 16) throw new Error('bad Huffman code');
    }
    return t.values[t.valPtr[l] + code - t.minCode[l]];
  }

  /** Skip to the next RSTn marker and clear the bit buffer. */
  restart(): void {
    this.bits = 0;
    this.bitCount = 0;
    if (this.marker < 0) {
      while (this.pos + 1 < this.data.length && !(this.data[this.pos] === 0xff && this.data[this.pos + 1] >= 0xd0 && this.data[this.pos + 1] <= 0xd7))
        this.pos++;
      this.pos += 2;
    } else if (this.marker >= 0xd0 && this.marker <= 0xd7) {
      this.pos += 2;
      this.marker = -1;
    }
  }
}

function extend(v: number, s: number): number {
  return s === 0 ? 0 : v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

/**
 * Decodes one JPEG (process 1, 2 or 4) image to interleaved samples (one Uint16 per sample, no colour
 * conversion). Throws AppError DECODE_FAILED / UNSUPPORTED_TRANSFER_SYNTAX naming `what`.
 */
export function decodeJpegExtended(jpeg: Uint8Array, what: string): Uint16Array {
  const fail = (why: string): AppError => new AppError('DECODE_FAILED', `${what}: the 12-bit JPEG data cannot be decoded (${why}).`);
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw fail('no JPEG start marker');
  const quant: (Int32Array | undefined)[] = [];
  const dcTables: (Huffman | undefined)[] = [];
  const acTables: (Huffman | undefined)[] = [];
  let frame:
    | { precision: number; rows: number; columns: number; components: Component[]; hMax: number; vMax: number; mcusPerLine: number; mcusPerColumn: number }
    | undefined;
  let restartInterval = 0;
  let i = 2;
  const u16 = (p: number): number => (jpeg[p] << 8) | jpeg[p + 1];

  while (i + 4 <= jpeg.length) {
    if (jpeg[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = jpeg[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd9) break;
    const len = u16(i + 2);
    const seg = i + 4;
    const end = i + 2 + len;
    if (end > jpeg.length) throw fail('a marker segment runs past the end of the data');
    switch (marker) {
      case 0xdb: {
        let p = seg;
        while (p < end) {
          const pq = jpeg[p] >> 4;
          const tq = jpeg[p] & 15;
          p++;
          const table = new Int32Array(64);
          for (let k = 0; k < 64; k++) {
            table[k] = pq ? u16(p) : jpeg[p];
            p += pq ? 2 : 1;
          }
          quant[tq] = table;
        }
        break;
      }
      case 0xc4: {
        let p = seg;
        while (p < end) {
          const tc = jpeg[p] >> 4;
          const th = jpeg[p] & 15;
          const counts = jpeg.subarray(p + 1, p + 17);
          const total = counts.reduce((a, b) => a + b, 0);
          const values = jpeg.slice(p + 17, p + 17 + total);
          (tc === 0 ? dcTables : acTables)[th] = buildHuffman(counts, values);
          p += 17 + total;
        }
        break;
      }
      case 0xdd:
        restartInterval = u16(seg);
        break;
      case 0xc0:
      case 0xc1: {
        const precision = jpeg[seg];
        const rows = u16(seg + 1);
        const columns = u16(seg + 3);
        const n = jpeg[seg + 5];
        if (rows === 0 || columns === 0 || n === 0) throw fail('the frame header gives no size');
        const comps: Component[] = [];
        for (let c = 0; c < n; c++) {
          const b = seg + 6 + c * 3;
          comps.push({
            id: jpeg[b],
            h: jpeg[b + 1] >> 4 || 1,
            v: jpeg[b + 1] & 15 || 1,
            tq: jpeg[b + 2],
            blocksPerLine: 0,
            blocksPerColumn: 0,
            plane: new Int32Array(0),
            pred: 0,
          });
        }
        const hMax = Math.max(...comps.map((c) => c.h));
        const vMax = Math.max(...comps.map((c) => c.v));
        const mcusPerLine = Math.ceil(columns / (8 * hMax));
        const mcusPerColumn = Math.ceil(rows / (8 * vMax));
        for (const c of comps) {
          c.blocksPerLine = mcusPerLine * c.h;
          c.blocksPerColumn = mcusPerColumn * c.v;
          c.plane = new Int32Array(c.blocksPerLine * 8 * c.blocksPerColumn * 8);
        }
        frame = { precision, rows, columns, components: comps, hMax, vMax, mcusPerLine, mcusPerColumn };
        break;
      }
      case 0xc2:
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw new AppError('UNSUPPORTED_TRANSFER_SYNTAX', `${what}: progressive, hierarchical or arithmetic-coded JPEG is not supported.`);
      case 0xda: {
        if (!frame) throw fail('a scan comes before the frame header');
        const ns = jpeg[seg];
        const scanComps: Component[] = [];
        for (let s = 0; s < ns; s++) {
          const id = jpeg[seg + 1 + s * 2];
          const tables = jpeg[seg + 2 + s * 2];
          const c = frame.components.find((x) => x.id === id);
          if (!c) throw fail(`the scan names component ${id}, which the frame does not have`);
          c.dcTable = dcTables[tables >> 4];
          c.acTable = acTables[tables & 15];
          if (!c.dcTable || !c.acTable) throw fail('a Huffman table used by the scan is missing');
          c.pred = 0;
          scanComps.push(c);
        }
        // Ss/Se/Ah/Al are ignored: a sequential scan always carries all 64 coefficients (some encoders write Se=0).
        i = decodeScan(jpeg, end, frame, scanComps, quant, restartInterval, fail);
        continue;
      }
      default:
        break; // APPn, COM, DNL …: nothing needed
    }
    i = end;
  }
  if (!frame) throw fail('no frame header');
  return assemble(frame);
}

function decodeScan(
  jpeg: Uint8Array,
  start: number,
  frame: { precision: number; rows: number; columns: number; hMax: number; vMax: number; components: Component[]; mcusPerLine: number; mcusPerColumn: number },
  comps: Component[],
  quant: (Int32Array | undefined)[],
  restartInterval: number,
  fail: (why: string) => AppError,
): number {
  const reader = new BitReader(jpeg, start);
  const coef = new Float64Array(64);
  const tmp = new Float64Array(64);
  const shift = 1 << (frame.precision - 1);
  const maxVal = (1 << frame.precision) - 1;
  const single = comps.length === 1;
  const c0 = comps[0];
  const total = frame.mcusPerLine * frame.mcusPerColumn;
  const decodeBlock = (c: Component, row: number, col: number): void => {
    const q = quant[c.tq];
    if (!q) throw fail('a quantisation table is missing');
    coef.fill(0);
    const t = reader.decode(c.dcTable as Huffman);
    c.pred += extend(reader.receive(t), t);
    coef[0] = c.pred * q[0];
    for (let k = 1; k < 64;) {
      const rs = reader.decode(c.acTable as Huffman);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) break;
      coef[ZIGZAG[k]] = extend(reader.receive(s), s) * q[k];
      k++;
    }
    // Separable inverse DCT (exact float), level shift, clamp.
    for (let y = 0; y < 8; y++) {
      for (let u = 0; u < 8; u++) {
        let sum = 0;
        for (let v = 0; v < 8; v++) sum += COS[y * 8 + v] * coef[v * 8 + u];
        tmp[y * 8 + u] = sum;
      }
    }
    const stride = c.blocksPerLine * 8;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        let sum = 0;
        for (let u = 0; u < 8; u++) sum += COS[x * 8 + u] * tmp[y * 8 + u];
        const v = Math.round(sum) + shift;
        c.plane[(row * 8 + y) * stride + col * 8 + x] = v < 0 ? 0 : v > maxVal ? maxVal : v;
      }
    }
  };

  let n = 0;
  try {
    if (single) {
      // Non-interleaved scan (T.81 A.2.2): only the blocks covering the component's own extent, row by row.
      const compCols = Math.ceil(Math.ceil((frame.columns * c0.h) / frame.hMax) / 8);
      const compRows = Math.ceil(Math.ceil((frame.rows * c0.v) / frame.vMax) / 8);
      const count = compCols * compRows;
      for (let b = 0; b < count; b++) {
        if (restartInterval && b > 0 && b % restartInterval === 0) {
          reader.restart();
          c0.pred = 0;
        }
        decodeBlock(c0, Math.floor(b / compCols), b % compCols);
        n++;
      }
    } else {
      for (let m = 0; m < total; m++) {
        if (restartInterval && m > 0 && m % restartInterval === 0) {
          reader.restart();
          for (const c of comps) c.pred = 0;
        }
        const mRow = Math.floor(m / frame.mcusPerLine);
        const mCol = m % frame.mcusPerLine;
        for (const c of comps) {
          for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) decodeBlock(c, mRow * c.v + v, mCol * c.h + h);
        }
        n++;
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw fail(`corrupt entropy-coded data after ${n} blocks`);
  }
  // Continue after the scan's data: find the next marker that is not a restart marker.
  let p = reader.pos;
  while (p + 1 < jpeg.length && !(jpeg[p] === 0xff && jpeg[p + 1] !== 0 && !(jpeg[p + 1] >= 0xd0 && jpeg[p + 1] <= 0xd7))) p++;
  return p;
}

function assemble(frame: { rows: number; columns: number; components: Component[]; hMax: number; vMax: number }): Uint16Array {
  const { rows, columns, components, hMax, vMax } = frame;
  const n = components.length;
  const out = new Uint16Array(rows * columns * n);
  components.forEach((c, ci) => {
    const stride = c.blocksPerLine * 8;
    const sx = c.h / hMax;
    const sy = c.v / vMax;
    for (let y = 0; y < rows; y++) {
      const py = Math.floor(y * sy);
      for (let x = 0; x < columns; x++) out[(y * columns + x) * n + ci] = c.plane[py * stride + Math.floor(x * sx)];
    }
  });
  return out;
}
