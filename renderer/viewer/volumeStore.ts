// Volumes and label maps fetched once per id (binary, never JSON) and kept for reformatting; the cornerstone image
// loader 'medseg:' serves axial/coronal/sagittal slices cut from them on demand.
import * as cornerstone from 'cornerstone-core';
import { api } from '../api.js';
import type { BinaryBox, SegmentationInfo, VolumeInfo } from '../../shared/ipc/contract.js';
import { dtypeOf, isIntegerDtype, typedArrayOf } from '../../shared/domain/dtypes.js';
import type { VoxelArray } from '../../shared/domain/volume.js';
import { extractSlice, patientViewAxes, PLANES, type Plane, type PatientViewAxes } from '../../shared/domain/mpr.js';

export interface ViewerVolume {
  info: VolumeInfo;
  /** Modality values as stored on the server (probe reads these). */
  values: VoxelArray;
  /** Integer copy cornerstone's LUT renders from: modality = stored * slope + intercept. */
  stored: Int16Array;
  slope: number;
  intercept: number;
  axes: Record<Plane, PatientViewAxes>;
}

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
    job = (async () => {
      const [info, bin] = await Promise.all([api.call('volume.info', { seriesId }), api.fetchBinary('volume', seriesId)]);
      const values = typedArrayOf(bin.dtype, bin.buffer);
      const n = info.dims[0] * info.dims[1] * info.dims[2];
      if (values.length !== n) throw new Error(`volume ${seriesId}: ${values.length} voxels received, grid needs ${n}`);
      const axes = Object.fromEntries(PLANES.map((p) => [p, patientViewAxes(info, p)])) as Record<Plane, PatientViewAxes>;
      return { info, values, ...toStored(values, info.valueRange), axes };
    })();
    job.catch(() => volumes.delete(seriesId));
  }
  remember(volumes, seriesId, job, MAX_VOLUMES, (evicted) => ready.delete(evicted));
  return job;
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

export function imageIdFor(seriesId: number, plane: Plane, slice: number): string {
  return `medseg:${seriesId}:${plane}:${slice}`;
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
      extractSlice(vol.stored, vol.info.dims, ax, slice, pixels);
      let lo = 32767;
      let hi = -32768;
      for (let n = 0; n < pixels.length; n++) {
        const v = pixels[n];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const [vlo, vhi] = vol.info.valueRange;
      const image: Partial<cornerstone.Image> = {
        imageId,
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
