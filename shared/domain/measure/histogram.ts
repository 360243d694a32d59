// Fast per-label voxel counting over a label map: the hot loop behind volumes, bands and the bench.
// Label maps are mostly long runs of one value (background, organs): 8-bit maps are read four voxels at a
// time through a 32-bit view, and a run of equal words costs one compare per 4 voxels.

/** counts[v] = number of voxels with label v, for v in 0..maxLabel (array length maxLabel+1). */
export function labelHistogram(labels: Uint8Array | Uint16Array, maxLabel?: number): Float64Array {
  const size = maxLabel === undefined ? (labels instanceof Uint8Array ? 256 : 65536) : maxLabel + 1;
  const counts = new Float64Array(labels instanceof Uint8Array ? Math.max(size, 256) : Math.max(size, 65536));
  if (labels.length > 0) {
    if (labels instanceof Uint8Array) countUint8(labels, counts);
    else countUint16(labels, counts);
  }
  return size === counts.length ? counts : counts.slice(0, size);
}

/** Largest label value present (0 for an empty or all-background map). */
export function maxLabelValue(labels: Uint8Array | Uint16Array): number {
  const counts = labelHistogram(labels);
  for (let v = counts.length - 1; v > 0; v--) if (counts[v] > 0) return v;
  return 0;
}

function countUint8(labels: Uint8Array, counts: Float64Array): void {
  // A 32-bit view needs 4-byte alignment: the unaligned head and the tail are counted byte by byte.
  const head = Math.min(labels.length, (4 - (labels.byteOffset & 3)) & 3);
  const nWords = (labels.length - head) >>> 2;
  for (let i = 0; i < head; i++) counts[labels[i]]++;
  for (let i = head + nWords * 4; i < labels.length; i++) counts[labels[i]]++;
  if (nWords === 0) return;
  const words = new Uint32Array(labels.buffer, labels.byteOffset + head, nWords);
  // Words of four equal labels extend a run kept in a register (organs, background); mixed words (edges)
  // go to four separate histograms, one per byte lane, so consecutive increments do not wait on each other.
  const lane0 = new Float64Array(256);
  const lane1 = new Float64Array(256);
  const lane2 = new Float64Array(256);
  const lane3 = new Float64Array(256);
  let rep = -1; // no uint32 equals -1, so the first word always starts a run or counts as mixed
  let cur = 0;
  let run = 0;
  for (let w = 0; w < nWords; w++) {
    const x = words[w];
    if (x === rep) {
      run += 4;
      continue;
    }
    const a = x & 255;
    if (x === Math.imul(a, 0x01010101) >>> 0) {
      counts[cur] += run;
      cur = a;
      rep = x;
      run = 4;
      continue;
    }
    lane0[a]++;
    lane1[(x >>> 8) & 255]++;
    lane2[(x >>> 16) & 255]++;
    lane3[x >>> 24]++;
  }
  counts[cur] += run;
  for (let v = 0; v < 256; v++) counts[v] += lane0[v] + lane1[v] + lane2[v] + lane3[v];
}

function countUint16(labels: Uint16Array, counts: Float64Array): void {
  const head = Math.min(labels.length, (labels.byteOffset & 3) === 0 ? 0 : 1);
  let cur = labels[0];
  let run = 0;
  for (let i = 0; i < head; i++) run++;
  const nWords = (labels.length - head) >>> 1;
  const words = new Uint32Array(labels.buffer, labels.byteOffset + head * 2, nWords);
  let rep = ((cur << 16) | cur) >>> 0;
  for (let w = 0; w < nWords; w++) {
    const x = words[w];
    if (x === rep) {
      run += 2;
      continue;
    }
    for (let b = 0; b < 32; b += 16) {
      const y = (x >>> b) & 0xffff;
      if (y === cur) run++;
      else {
        counts[cur] += run;
        cur = y;
        run = 1;
      }
    }
    rep = ((cur << 16) | cur) >>> 0;
  }
  for (let i = head + nWords * 2; i < labels.length; i++) {
    const x = labels[i];
    if (x === cur) run++;
    else {
      counts[cur] += run;
      cur = x;
      run = 1;
    }
  }
  counts[cur] += run;
}

export interface IntensityHistogram {
  /** Left edge of bin b is loValue + b * binWidth; the last bin also holds hiValue. */
  loValue: number;
  binWidth: number;
  counts: Float64Array;
  /** Voxels of the label outside [loValue, hiValue]. */
  below: number;
  above: number;
}

/** Histogram of volume values (HU for CT) inside one label, e.g. for the measurement panel's plot. */
export function labelIntensityHistogram(
  labels: Uint8Array | Uint16Array,
  values: ArrayLike<number>,
  labelValue: number,
  range: { loValue: number; hiValue: number; bins: number },
): IntensityHistogram {
  const { loValue, hiValue, bins } = range;
  if (!(hiValue > loValue) || !Number.isInteger(bins) || bins < 1) throw new Error('histogram range or bin count is invalid');
  const binWidth = (hiValue - loValue) / bins;
  const counts = new Float64Array(bins);
  let below = 0;
  let above = 0;
  for (let p = 0; p < labels.length; p++) {
    if (labels[p] !== labelValue) continue;
    const v = values[p];
    if (v < loValue) below++;
    else if (v > hiValue) above++;
    else counts[Math.min(bins - 1, Math.floor((v - loValue) / binWidth))]++;
  }
  return { loValue, binWidth, counts, below, above };
}
