// Rulers on the 2D views: each lies on one plane and slice, ends in continuous voxel coordinates, and is drawn
// with its length (mm through the geometry gate) where that slice is shown.
import * as cornerstone from 'cornerstone-core';
import { ijkToDisplay, type PatientViewAxes, type Plane } from '../../shared/domain/mpr.js';
import type { Vec3 } from '../../shared/domain/volume.js';

export interface Ruler {
  id: number;
  plane: Plane;
  slice: number;
  aIjk: Vec3;
  bIjk: Vec3;
  /** Label text: the length in mm, or why there is none. */
  text: string;
}

const RULER_COLOUR = '#ffe14d';

/** Continuous voxel coordinates of a page position on a view (pixel centres at .5, as cornerstone draws them). */
export function continuousIjkAt(el: HTMLElement, ax: PatientViewAxes, slice: number, pageX: number, pageY: number): Vec3 {
  const p = cornerstone.pageToPixel(el, pageX, pageY);
  const ijk: Vec3 = [0, 0, 0];
  const col = p.x - 0.5;
  const row = p.y - 0.5;
  ijk[ax.colAxis] = ax.colFlip ? ax.width - 1 - col : col;
  ijk[ax.rowAxis] = ax.rowFlip ? ax.height - 1 - row : row;
  ijk[ax.sliceAxis] = slice;
  return ijk;
}

export function drawRulers(el: HTMLElement, ctx: CanvasRenderingContext2D, ax: PatientViewAxes, slice: number, rulers: readonly Ruler[]): void {
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  for (const r of rulers) {
    if (r.plane !== ax.plane || r.slice !== slice) continue;
    const toCanvas = (ijk: Vec3): cornerstone.CanvasCoordinate => {
      const d = ijkToDisplay(ax, ijk);
      return cornerstone.pixelToCanvas(el, { x: d.col + 0.5, y: d.row + 0.5 } as cornerstone.PixelCoordinate);
    };
    const a = toCanvas(r.aIjk);
    const b = toCanvas(r.bIjk);
    ctx.strokeStyle = RULER_COLOUR;
    ctx.fillStyle = RULER_COLOUR;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    for (const p of [a, b]) ctx.fillRect(p.x - 2, p.y - 2, 4, 4);
    ctx.font = '12px sans-serif';
    ctx.textAlign = 'left';
    ctx.fillText(r.text, Math.max(a.x, b.x) + 6, (a.y + b.y) / 2);
  }
  ctx.restore();
}
