// Volumes and label maps fetched once per id (binary, never JSON) and kept for reformatting; the cornerstone image
// loader 'medseg:' serves axial/coronal/sagittal slices cut from them on demand.
import * as cornerstone from 'cornerstone-core';
import { api } from '../api.js';
import type { BinaryBox, SegmentationInfo, VolumeInfo } from '../../shared/ipc/contract.js';
import { dtypeOf, isIntegerDtype, typedArrayOf } from '../../shared/domain/dtypes.js';
import type { VoxelArray } from '../../shared/domain/volume.js';
import { extractSlice, patientViewAxes, PLANES, type Plane, type PatientViewAxes } from '../../shared/domain/mpr.js';
import { extractArrivedSlice } from '../../shared/domain/progressive/arrivedSlices.js';

export interface ViewerVolume {
  info: VolumeInfo;
  /** Modality values as stored on the server (probe reads these). */
  values: VoxelArray;
  /** Integer copy cornerstone's LUT renders from: modality = stored * slope + intercept. */
  stored: Int16Array;
  slope: number;
  intercept: number;
  axes: Record<Plane, PatientViewAxes>;
  /** While the series is still arriving slice by slice (null once complete: then `values` is the whole volume). */
  loading: VolumeLoading | null;
}

export interface VolumeLoading {
  /** loaded[k] = 1 once axial slice k holds its data; views draw every other slice as BLANK_STORED. */
  loaded: Uint8Array;
  count: number;
  total: number;
  /** The slice shown first (the first one the server decodes). */
  firstSlice: number;
  /** Axial slices a view showed before they arrived, fetched next (the latest first): scrolling ahead does not wait. */
  wanted: number[];
  /** requested[k] = 1 once slice k has been asked of the server. */
  requested: Uint8Array;
}

/** What a slice not yet received holds: below every window, so it is drawn black, never another slice's pixels. */
export const BLANK_STORED = -32768;

export interface ViewerLabelMap {
  summary: SegmentationInfo;
  labels: Uint8Array | Uint16Array;
}

/** Map any value range onto int16 exactly when it already fits, else linearly (floats, wide integers). */
function toStored(values: VoxelArray, range: [number, number]): { stored: Int16Array; slope: number; intercept: number } {
  if (values instanceof Int16Array) return { stored: values, slope: 1, intercept: 0 };
  const [lo, hi] = range;
  const integral = isIntegerDtype(dtypeOf(values));
  if (integral && lo >= -32768 && hi <= 32767) return { stored: Int16Array.from(values), slope: 1, intercept: 0 };
  const slope = hi > lo ? (hi - lo) / 60000 : 1;
  const intercept = lo + 30000 * slope;
  const stored = new Int16Array(values.length);
  for (let n = 0; n < values.length; n++) stored[n] = Math.round((values[n] - intercept) / slope);
  return { stored, slope, intercept };
}

// A 512×512×300 CT is 150 MB here: keep the two most recent volumes (the open one and the one before) and a few
// label maps; reformatted slices are cheap to cut again, so cornerstone's slice cache is kept small too.
const MAX_VOLUMES = 2;
const MAX_LABEL_MAPS = 8;
const SLICE_CACHE_BYTES = 256 * 1024 * 1024;
const volumes = new Map<number, Promise<ViewerVolume>>();
const labelMaps = new Map<number, Promise<ViewerLabelMap>>();

/** Least-recently-used bookkeeping: `key` becomes the newest entry; the oldest beyond `max` are dropped. */
function remember<T>(cache: Map<number, T>, key: number, value: T, max: number, onEvict?: (key: number) => void): void {
  cache.delete(key);
  cache.set(key, value);
  while (cache.size > max) {
    const oldest = cache.keys().next().value as number;
    cache.delete(oldest);
    onEvict?.(oldest);
  }
}

export function loadViewerVolume(seriesId: number): Promise<ViewerVolume> {
  let job = volumes.get(seriesId);
  if (!job) {
    job = openViewerVolume(seriesId);
    job.catch(() => volumes.delete(seriesId));
  }
  remember(volumes, seriesId, job, MAX_VOLUMES, (evicted) => ready.delete(evicted));
  return job;
}

const volumeListeners = new Map<number, Set<(vol: ViewerVolume) => void>>();

/** Calls back as slices of a loading volume arrive (throttled) and once with the complete volume. */
export function watchViewerVolume(seriesId: number, listener: (vol: ViewerVolume) => void): () => void {
  const set = volumeListeners.get(seriesId) ?? new Set();
  set.add(listener);
  volumeListeners.set(seriesId, set);
  return () => set.delete(listener);
}

function notifyVolume(vol: ViewerVolume): void {
  for (const l of volumeListeners.get(vol.info.seriesId) ?? []) l(vol);
}

function axesOf(info: VolumeInfo): Record<Plane, PatientViewAxes> {
  return Object.fromEntries(PLANES.map((p) => [p, patientViewAxes(info, p)])) as Record<Plane, PatientViewAxes>;
}

/** The whole volume in one response (resampled stacks, and the fallback for non-int16 data). */
async function loadWholeVolume(seriesId: number): Promise<ViewerVolume> {
  const [info, bin] = await Promise.all([api.call('volume.info', { seriesId }), api.fetchBinary('volume', seriesId)]);
  const values = typedArrayOf(bin.dtype, bin.buffer);
  const n = info.dims[0] * info.dims[1] * info.dims[2];
  if (values.length !== n) throw new Error(`volume ${seriesId}: ${values.length} voxels received, grid needs ${n}`);
  return { info, values, ...toStored(values, info.valueRange), axes: axesOf(info), loading: null };
}

/**
 * Series with fewer slices arrive whole (one response) before progressive display would pay off: under a few
 * seconds even for 512² slices, and without the redraws. Larger ones open slice by slice.
 */
export const PROGRESSIVE_MIN_SLICES = 128;

/** Slices in flight at once: enough to keep the server's decoders busy, few enough to keep the order. */
const SLICE_FETCHES = 6;

/**
 * Opens a series with its grid first: resolves once the first slice is here, then fills the other slices in the
 * server's order (spread over the range first) and finally swaps in the complete volume's info (value range).
 */
async function openViewerVolume(seriesId: number): Promise<ViewerVolume> {
  const opened = await api.call('volume.open', { seriesId });
  const [nx, ny, nz] = opened.dims;
  if (!opened.progressive || nz < PROGRESSIVE_MIN_SLICES || opened.slicesReady === nz || opened.sliceOrder.length !== nz) return loadWholeVolume(seriesId);
  const sliceLen = nx * ny;
  const fetchSlice = async (k: number): Promise<Int16Array | null> => {
    const bin = await api.fetchBinary('volume-slice', seriesId, undefined, k);
    // Values beyond int16 need the whole volume's scaling: give up on progressive display.
    if (bin.dtype !== 'int16') return null;
    const slice = new Int16Array(bin.buffer);
    if (slice.length !== sliceLen) throw new Error(`slice ${k} of series ${seriesId}: ${slice.length} voxels, the grid needs ${sliceLen}`);
    return slice;
  };
  const firstSlice = opened.sliceOrder[0];
  const firstFetch = fetchSlice(firstSlice);
  // Allocated while the first slice is on its way, and never filled: slices not yet here stay untouched zero pages
  // (views draw them blank without reading them: extractArrivedSlice); touching 250 MB first took seconds before the first image.
  const stored = new Int16Array(sliceLen * nz);
  const loaded = new Uint8Array(nz);
  const first = await firstFetch;
  if (!first) return loadWholeVolume(seriesId);
  stored.set(first, firstSlice * sliceLen);
  loaded[firstSlice] = 1;
  let lo = 32767;
  let hi = -32768;
  for (let p = 0; p < first.length; p++) ((lo = Math.min(lo, first[p])), (hi = Math.max(hi, first[p])));
  const info: VolumeInfo = {
    seriesId,
    modality: opened.modality,
    dims: opened.dims,
    spacingMm: opened.spacingMm,
    originLps: opened.originLps,
    directionLps: opened.directionLps,
    dtype: 'int16',
    // provisional (the first slice's); the complete volume's range replaces it
    valueRange: [lo, hi],
    geometry: opened.geometry,
  };
  const requested = new Uint8Array(nz);
  requested[firstSlice] = 1;
  const loading: VolumeLoading = { loaded, count: 1, total: nz, firstSlice, wanted: [], requested };
  const vol: ViewerVolume = { info, values: stored, stored, slope: 1, intercept: 0, axes: axesOf(info), loading };
  ready.set(seriesId, vol);
  void fillVolume(vol, opened.sliceOrder.slice(1), fetchSlice);
  return vol;
}

async function fillVolume(vol: ViewerVolume, order: number[], fetchSlice: (k: number) => Promise<Int16Array | null>): Promise<void> {
  const seriesId = vol.info.seriesId;
  const loading = vol.loading as VolumeLoading;
  const sliceLen = vol.info.dims[0] * vol.info.dims[1];
  let next = 0;
  let fallback = false;
  let pending: ReturnType<typeof setTimeout> | null = null;
  const announce = (): void => {
    // at most ~12 redraws a second while slices pour in
    pending ??= setTimeout(() => {
      pending = null;
      if (ready.get(seriesId) === vol) notifyVolume(vol);
    }, 80);
  };
  // the slice a view waits for first, else the server's order
  const take = (): number | undefined => {
    while (loading.wanted.length > 0) {
      const k = loading.wanted.pop() as number;
      if (!loading.requested[k]) return k;
    }
    while (next < order.length) {
      const k = order[next++];
      if (!loading.requested[k]) return k;
    }
    return undefined;
  };
  const worker = async (): Promise<void> => {
    for (let k = take(); k !== undefined && !fallback; k = take()) {
      loading.requested[k] = 1;
      const slice = await fetchSlice(k);
      if (!slice) {
        fallback = true;
        return;
      }
      vol.stored.set(slice, k * sliceLen);
      loading.loaded[k] = 1;
      loading.count++;
      announce();
    }
  };
  let done: ViewerVolume;
  try {
    await Promise.all(Array.from({ length: SLICE_FETCHES }, worker));
    if (fallback) done = await loadWholeVolume(seriesId);
    else {
      // The same build the slices came from: the range of the complete volume, no second decode.
      const info = await api.call('volume.info', { seriesId });
      done = { ...vol, info, axes: axesOf(info), loading: null };
    }
  } catch (err) {
    console.error(`series ${seriesId}: loading stopped`, err);
    return;
  }
  if (pending) clearTimeout(pending);
  if (ready.get(seriesId) !== vol) return;
  ready.set(seriesId, done);
  volumes.set(seriesId, Promise.resolve(done));
  notifyVolume(done);
}

/** What a window may be computed from: the whole volume, or while it arrives, the first slice received (only). */
export function arrivedValues(vol: ViewerVolume): VoxelArray {
  if (!vol.loading) return vol.values;
  const sliceLen = vol.info.dims[0] * vol.info.dims[1];
  const k = vol.loading.firstSlice;
  return vol.values.subarray(k * sliceLen, (k + 1) * sliceLen);
}

/** FNV-1a of a loaded volume's voxel bytes (tests compare it with the server's and an independent reader's). */
export function volumeDigest(seriesId: number): string | null {
  const vol = ready.get(seriesId);
  if (!vol || vol.loading) return null;
  const v = vol.values;
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let h = 0x811c9dc5;
  for (let n = 0; n < bytes.length; n++) h = Math.imul(h ^ bytes[n], 0x01000193);
  return `${v.length}:${(h >>> 0).toString(16)}`;
}

export function loadViewerLabelMap(summary: SegmentationInfo, expectedVoxels: number): Promise<ViewerLabelMap> {
  let job = labelMaps.get(summary.segmentationId);
  if (!job) {
    job = (async () => {
      const bin = await api.fetchBinary('labelmap', summary.segmentationId);
      const labels = bin.dtype === 'uint8' || bin.dtype === 'uint16' ? (typedArrayOf(bin.dtype, bin.buffer) as Uint8Array | Uint16Array) : null;
      if (!labels) throw new Error(`label map ${summary.segmentationId}: unexpected dtype ${bin.dtype}`);
      if (labels.length !== expectedVoxels) throw new Error(`label map ${summary.segmentationId} does not match the series grid`);
      return { summary, labels };
    })();
    job.catch(() => labelMaps.delete(summary.segmentationId));
  }
  remember(labelMaps, summary.segmentationId, job, MAX_LABEL_MAPS);
  // The caller's summary is the newest (an edit may have added a label and its colour).
  return job.then((m) => (m.summary === summary ? m : { ...m, summary }));
}

/** Drops a label map the server has changed (an edit): the next loadViewerLabelMap fetches it again. */
export function forgetLabelMap(segmentationId: number): void {
  labelMaps.delete(segmentationId);
}

/**
 * After an edit: fetch only the changed box from the server and put it into a copy of the cached map (a new array,
 * so overlays keyed by the array redraw). Callers run edits and patches in order; anything unexpected (map not
 * loaded, size or type mismatch, fetch error) drops the cached map instead, so the next load fetches it whole.
 */
export async function patchLabelMap(segmentationId: number, box: BinaryBox): Promise<void> {
  const job = labelMaps.get(segmentationId);
  if (!job) return;
  try {
    const current = await job;
    const bin = await api.fetchBinary('labelmap', segmentationId, box);
    const nx = box.maxIjk[0] - box.minIjk[0] + 1;
    const ny = box.maxIjk[1] - box.minIjk[1] + 1;
    const nz = box.maxIjk[2] - box.minIjk[2] + 1;
    const region = bin.dtype === dtypeOf(current.labels) ? (typedArrayOf(bin.dtype, bin.buffer) as Uint8Array | Uint16Array) : null;
    const dims = ready.get(current.summary.seriesId)?.info.dims;
    if (!region || region.length !== nx * ny * nz || !dims || dims[0] * dims[1] * dims[2] !== current.labels.length || labelMaps.get(segmentationId) !== job) {
      throw new Error('region does not fit the cached label map');
    }
    const labels = current.labels.slice();
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++) {
        const to = box.minIjk[0] + dims[0] * (box.minIjk[1] + j + dims[1] * (box.minIjk[2] + k));
        labels.set(region.subarray(nx * (j + ny * k), nx * (j + ny * k) + nx), to);
      }
    labelMaps.set(segmentationId, Promise.resolve({ summary: current.summary, labels }));
  } catch {
    labelMaps.delete(segmentationId);
  }
}

const ready = new Map<number, ViewerVolume>();

/** generation: how much of a loading volume the image shows (a new id redraws it as slices arrive). */
export function imageIdFor(seriesId: number, plane: Plane, slice: number, generation = 0): string {
  return generation > 0 ? `medseg:${seriesId}:${plane}:${slice}:${generation}` : `medseg:${seriesId}:${plane}:${slice}`;
}

/** Image of a slice that has not arrived yet (the e2e tests check such slices are drawn blank). */
export interface MedsegImage extends cornerstone.Image {
  /** false: some or all of its pixels are slices not yet received (drawn as BLANK_STORED). */
  medsegComplete: boolean;
}

/** Registers the 'medseg:' image loader once; volumes must be loaded (loadViewerVolume) before their ids are asked for. */
let registered = false;
export function registerVolumeImageLoader(): void {
  if (registered) return;
  registered = true;
  cornerstone.imageCache.setMaximumSizeBytes(SLICE_CACHE_BYTES);
  cornerstone.registerImageLoader('medseg', (imageId: string) => ({
    promise: (async (): Promise<cornerstone.Image> => {
      const [, sid, plane, sl] = imageId.split(':');
      const seriesId = Number(sid);
      const vol = ready.get(seriesId) ?? (await loadViewerVolume(seriesId));
      ready.set(seriesId, vol);
      const ax = vol.axes[plane as Plane];
      const slice = Number(sl);
      if (!ax || !Number.isInteger(slice) || slice < 0 || slice >= ax.sliceCount) throw new Error(`bad image id ${imageId}`);
      const pixels = new Int16Array(ax.width * ax.height);
      if (vol.loading) {
        extractArrivedSlice(vol.stored, vol.info.dims, ax, slice, vol.loading.loaded, BLANK_STORED, pixels);
        // an axial slice shown before it arrived is fetched next
        if (ax.sliceAxis === 2 && !vol.loading.requested[slice]) vol.loading.wanted.push(slice);
      } else extractSlice(vol.stored, vol.info.dims, ax, slice, pixels);
      let lo = 32767;
      let hi = -32768;
      for (let n = 0; n < pixels.length; n++) {
        const v = pixels[n];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const [vlo, vhi] = vol.info.valueRange;
      const complete = !vol.loading || (ax.sliceAxis === 2 ? vol.loading.loaded[slice] === 1 : vol.loading.count === vol.loading.total);
      const image: Partial<MedsegImage> = {
        imageId,
        medsegComplete: complete,
        minPixelValue: lo,
        maxPixelValue: hi,
        slope: vol.slope,
        intercept: vol.intercept,
        windowCenter: (vlo + vhi) / 2,
        windowWidth: Math.max(1, vhi - vlo),
        getPixelData: () => pixels as unknown as number[],
        rows: ax.height,
        columns: ax.width,
        height: ax.height,
        width: ax.width,
        color: false,
        rgba: false,
        invert: false,
        columnPixelSpacing: ax.columnSpacingMm,
        rowPixelSpacing: ax.rowSpacingMm,
        sizeInBytes: pixels.byteLength,
      };
      return image as cornerstone.Image;
    })(),
  }));
}
