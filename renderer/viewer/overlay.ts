// Label-map overlay for one view: the label slice cut with the same reformat as the image, coloured from the label
// table (fill or outline), cached as a small canvas in image-pixel units and drawn through cornerstone's transform.
import * as cornerstone from 'cornerstone-core';
import { extractSlice, type Plane } from '../../shared/domain/mpr.js';
import type { ViewerLabelMap, ViewerVolume } from './volumeStore.js';

export type OverlayMode = 'fill' | 'outline';

export interface OverlayStyle {
  visible: boolean;
  opacity: number;
  mode: OverlayMode;
  /** `${segmentationId}:${value}` of labels the user hid. */
  hidden: ReadonlySet<string>;
}

const lutCache = new Map<string, Uint32Array>();
const sliceCache = new Map<string, HTMLCanvasElement>();
const MAX_CACHED_SLICES = 400;

// Edits replace a label map's array and may add labels: cached slices and LUTs are keyed by the array and the
// table they were built from, so a stale canvas is never drawn after an edit.
const arrayIds = new WeakMap<object, number>();
let nextArrayId = 1;
const shownGeneration = new Map<number, string>();
function arrayId(a: object): number {
  let n = arrayIds.get(a);
  if (n === undefined) {
    n = nextArrayId++;
    arrayIds.set(a, n);
  }
  return n;
}

function styleKey(style: OverlayStyle, segId: number): string {
  return `${style.mode}|${[...style.hidden]
    .filter((h) => h.startsWith(`${segId}:`))
    .sort()
    .join(',')}`;
}

/** Packed RGBA per label value (little-endian: 0xAABBGGRR), alpha 0 for background and hidden labels. */
function lutFor(lm: ViewerLabelMap, style: OverlayStyle, key: string): Uint32Array {
  const cacheKey = `${lm.summary.segmentationId}|${lm.summary.labels.map((l) => `${l.value}:${l.colorRgb.join(',')}`).join(';')}|${key}`;
  let lut = lutCache.get(cacheKey);
  if (!lut) {
    lut = new Uint32Array(lm.labels instanceof Uint8Array ? 256 : 65536);
    for (const l of lm.summary.labels) {
      if (style.hidden.has(`${lm.summary.segmentationId}:${l.value}`)) continue;
      const [r, g, b] = l.colorRgb;
      lut[l.value] = (0xff << 24) | (b << 16) | (g << 8) | r;
    }
    lutCache.set(cacheKey, lut);
  }
  return lut;
}

function sliceCanvas(lm: ViewerLabelMap, vol: ViewerVolume, plane: Plane, slice: number, style: OverlayStyle): HTMLCanvasElement {
  const key = styleKey(style, lm.summary.segmentationId);
  const gen = `${lm.summary.segmentationId}#${arrayId(lm.labels)}#${arrayId(lm.summary)}`;
  const segPrefix = `${lm.summary.segmentationId}#`;
  if (shownGeneration.get(lm.summary.segmentationId) !== gen) {
    // A new generation of this label map (after an edit): the old slices will not be drawn again.
    for (const k of [...sliceCache.keys()]) if (k.startsWith(segPrefix)) sliceCache.delete(k);
    shownGeneration.set(lm.summary.segmentationId, gen);
  }
  const cacheKey = `${gen}|${plane}|${slice}|${key}`;
  const hit = sliceCache.get(cacheKey);
  if (hit) return hit;
  const ax = vol.axes[plane];
  const { width, height } = ax;
  const labels = lm.labels instanceof Uint8Array ? new Uint8Array(width * height) : new Uint16Array(width * height);
  extractSlice(lm.labels, vol.info.dims, ax, slice, labels);
  const lut = lutFor(lm, style, key);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const img = ctx.createImageData(width, height);
  const out = new Uint32Array(img.data.buffer);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const n = r * width + c;
      const v = labels[n];
      if (v === 0) continue;
      if (style.mode === 'outline') {
        // A pixel is on the outline when a 4-neighbour (or the slice border) carries another label.
        const inside =
          c > 0 && c < width - 1 && r > 0 && r < height - 1 && labels[n - 1] === v && labels[n + 1] === v && labels[n - width] === v && labels[n + width] === v;
        if (inside) continue;
      }
      out[n] = lut[v];
    }
  }
  ctx.putImageData(img, 0, 0);
  if (sliceCache.size >= MAX_CACHED_SLICES) sliceCache.delete(sliceCache.keys().next().value as string);
  sliceCache.set(cacheKey, canvas);
  return canvas;
}

/** Draws every label map onto the view's canvas after cornerstone rendered the image (event IMAGE_RENDERED). */
export function drawOverlays(
  element: HTMLElement,
  ctx: CanvasRenderingContext2D,
  vol: ViewerVolume,
  plane: Plane,
  slice: number,
  labelMaps: readonly ViewerLabelMap[],
  style: OverlayStyle,
): void {
  if (!style.visible || labelMaps.length === 0) return;
  const enabled = cornerstone.getEnabledElement(element);
  ctx.save();
  cornerstone.setToPixelCoordinateSystem(enabled, ctx);
  ctx.imageSmoothingEnabled = false; // label edges must stay on voxel boundaries
  ctx.globalAlpha = style.opacity;
  for (const lm of labelMaps) ctx.drawImage(sliceCanvas(lm, vol, plane, slice, style), 0, 0);
  ctx.restore();
}
