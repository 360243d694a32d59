// JPEG extended (process 2/4, 12-bit Huffman DCT) — transfer syntax 1.2.840.10008.1.2.4.51 — for which no npm codec exists.
import { AppError } from '../../../shared/ipc/errors.js';

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

export function decodeJpegExtended(_jpeg: Uint8Array, what: string): Uint16Array {
  throw new AppError('UNSUPPORTED_TRANSFER_SYNTAX', `${what}: 12-bit lossy JPEG (JPEG extended) images cannot be decoded by this program yet.`);
}
