// The pointer side of mask editing in a view: screen -> continuous voxel (ijk) through the view's cornerstone
// transform and reformat axes, and a transient brush preview on the view's canvas while dragging (not the truth:
// the label map redraws from the server once the stroke is committed).
import * as cornerstone from 'cornerstone-core';
import { displayToIjk, type Plane, type PatientViewAxes } from '../../shared/domain/mpr.js';
import type { Vec3 } from '../../shared/domain/volume.js';

/** One pointer position on a view: continuous voxel coordinates (voxel centres at integers) and image pixel. */
export interface EditPointerSample {
  ijk: Vec3;
  pixel: { x: number; y: number };
}

export interface EditPointerView {
  element: HTMLElement;
  plane: Plane;
  axes: PatientViewAxes;
  slice: number;
}

/** A tool that takes left-button presses on the views (pan, window/level and scrolling keep working). */
export interface EditPointerTool {
  /** false: the press is not the tool's (the view picks the crosshair as usual). */
  begin(view: EditPointerView, at: EditPointerSample): boolean;
  move(at: EditPointerSample): void;
  end(): void;
  /** Radius (mm) of the outline shown under the cursor before painting (brush, eraser); null: no outline. */
  outlineRadiusMm?(): number | null;
}

/**
 * The pointer under a page position, or null off the image. The slice axis is exactly the view's slice; the
 * in-plane axes are continuous: pixel x covers [col, col + 1) and its centre col + 0.5 is voxel centre col.
 */
export function sampleAt(el: HTMLElement, ax: PatientViewAxes, slice: number, pageX: number, pageY: number): EditPointerSample | null {
  if (!cornerstone.getEnabledElement(el).image) return null;
  const p = cornerstone.pageToPixel(el, pageX, pageY);
  if (p.x < 0 || p.y < 0 || p.x >= ax.width || p.y >= ax.height) return null;
  return { ijk: displayToIjk(ax, p.x - 0.5, p.y - 0.5, slice), pixel: { x: p.x, y: p.y } };
}

/** Draws the path swept by a round brush of radiusMm onto the view's canvas, in image pixel units. */
export function drawBrushPreview(view: EditPointerView, path: readonly { x: number; y: number }[], radiusMm: number, colour: string): void {
  const canvas = view.element.querySelector('canvas');
  const ctx = canvas?.getContext('2d');
  if (!ctx || path.length === 0) return;
  const enabled = cornerstone.getEnabledElement(view.element);
  ctx.save();
  cornerstone.setToPixelCoordinateSystem(enabled, ctx);
  // Pixels are columnSpacing × rowSpacing mm: scale so one unit is one mm in both directions.
  ctx.scale(1 / view.axes.columnSpacingMm, 1 / view.axes.rowSpacingMm);
  ctx.globalAlpha = 0.5;
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = 2 * radiusMm;
  const mm = (p: { x: number; y: number }): [number, number] => [p.x * view.axes.columnSpacingMm, p.y * view.axes.rowSpacingMm];
  ctx.beginPath();
  const [x0, y0] = mm(path[0]);
  if (path.length === 1) {
    ctx.arc(x0, y0, radiusMm, 0, 2 * Math.PI);
    ctx.fill();
  } else {
    ctx.moveTo(x0, y0);
    for (const p of path.slice(1)) ctx.lineTo(...mm(p));
    ctx.stroke();
  }
  ctx.restore();
}
