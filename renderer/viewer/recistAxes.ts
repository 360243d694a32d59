// Draws a lesion's RECIST long and short axes (end points in LPS from the measurement) on the views whose shown
// slice holds them, and records where they were drawn on the element (data-recist-*) for checks and tests.
import * as cornerstone from 'cornerstone-core';
import { ijkToDisplay, type PatientViewAxes } from '../../shared/domain/mpr.js';
import { lpsToIjk, type Vec3, type VolumeGeometry } from '../../shared/domain/volume.js';

/** The axes of the lesion the user picked in the measure panel. */
export interface RecistOverlay {
  /** Which lesion (label value and stable number): a new pick of the same lesion redraws nothing new. */
  labelValue: number;
  instanceId: number;
  longLps: [Vec3, Vec3];
  /** null when the lesion has no short axis (one voxel wide). */
  shortLps: [Vec3, Vec3] | null;
}

export const RECIST_LONG_COLOUR = '#ffd000';
export const RECIST_SHORT_COLOUR = '#ff40ff';

/** A segment's end points in canvas pixels when both lie on `slice` of this view (within half a voxel), else null. */
function onSlice(
  el: HTMLElement,
  g: VolumeGeometry,
  ax: PatientViewAxes,
  slice: number,
  seg: [Vec3, Vec3],
): [cornerstone.CanvasCoordinate, cornerstone.CanvasCoordinate] | null {
  const ends = seg.map((lps) => ijkToDisplay(ax, lpsToIjk(g, lps)));
  if (ends.some((d) => Math.abs(d.slice - slice) > 0.5)) return null;
  // Display (col, row) is a voxel index; its centre is at +0.5 in cornerstone's pixel coordinates.
  const [a, b] = ends.map((d) => cornerstone.pixelToCanvas(el, { x: d.col + 0.5, y: d.row + 0.5 } as cornerstone.PixelCoordinate));
  return [a, b];
}

/**
 * Draws the axes (canvas coordinates, identity transform) and sets data-recist-long / data-recist-short to
 * "x0,y0,x1,y1" in canvas pixels, or removes them when the axis is not on this slice.
 */
export function drawRecistAxes(
  el: HTMLElement,
  ctx: CanvasRenderingContext2D,
  g: VolumeGeometry,
  ax: PatientViewAxes,
  slice: number,
  recist: RecistOverlay | null | undefined,
): void {
  const parts: ['long' | 'short', [Vec3, Vec3] | null, string][] = [
    ['long', recist?.longLps ?? null, RECIST_LONG_COLOUR],
    ['short', recist?.shortLps ?? null, RECIST_SHORT_COLOUR],
  ];
  for (const [name, seg, colour] of parts) {
    const key = name === 'long' ? 'recistLong' : 'recistShort';
    const ends = seg ? onSlice(el, g, ax, slice, seg) : null;
    if (!ends) {
      delete el.dataset[key];
      continue;
    }
    const [a, b] = ends;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    // End ticks: small squares, so a very short axis is still visible.
    for (const p of [a, b]) ctx.fillRect(p.x - 2, p.y - 2, 4, 4);
    ctx.restore();
    el.dataset[key] = [a.x, a.y, b.x, b.y].map((v) => v.toFixed(1)).join(',');
  }
  if (recist) el.dataset.recistLesion = `${recist.labelValue}:${recist.instanceId}`;
  else delete el.dataset.recistLesion;
}
