// Reads the image size a compressed frame declares (JPEG family SOF, JPEG-LS SOF55, JPEG 2000 / HTJ2K SIZ) so a
// frame that claims another size than the DICOM header is refused before a codec allocates for it.

export interface CodestreamGeometry {
  width: number;
  /** 0 when a JPEG stream defers the height to a DNL marker. */
  height: number;
  components: number;
}

const isSof = (m: number): boolean => (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xf7;

/** JPEG, JPEG lossless and JPEG-LS: the first start-of-frame header before the first scan; undefined when absent. */
export function jpegGeometry(b: Uint8Array): CodestreamGeometry | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = (b[i + 2] << 8) | b[i + 3];
    if (isSof(marker)) {
      if (i + 10 > b.length) return undefined;
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8], components: b[i + 9] };
    }
    if (length < 2) return undefined;
    i += 2 + length;
  }
  return undefined;
}

/** JPEG 2000 and HTJ2K: the SIZ segment that follows SOC (also found inside a JP2 wrapper's first bytes). */
export function j2kGeometry(b: Uint8Array): CodestreamGeometry | undefined {
  const limit = Math.min(b.length - 42, 4096);
  for (let i = 0; i <= limit; i++) {
    if (b[i] === 0xff && b[i + 1] === 0x4f && b[i + 2] === 0xff && b[i + 3] === 0x51) {
      const u32 = (o: number): number => b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
      const s = i + 4; // Lsiz at s, Rsiz at s + 2, Xsiz at s + 4 …
      const width = u32(s + 4) - u32(s + 12);
      const height = u32(s + 8) - u32(s + 16);
      const components = (b[s + 36] << 8) | b[s + 37];
      return { width, height, components };
    }
  }
  return undefined;
}
