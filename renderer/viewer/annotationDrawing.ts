// Painting the angles, ROIs and text notes of a view's slice (and the shape being drawn) on its canvas, after
// cornerstone has drawn the image: voxel coordinates to canvas through the view's axes and cornerstone's transform.
import * as cornerstone from 'cornerstone-core';
import { ijkToDisplay, type PatientViewAxes } from '../../shared/domain/mpr.js';
import type { Vec3 } from '../../shared/domain/volume.js';
import type { DraftShape, PlacedAnnotation, ShapeKind } from './annotationTools.js';

const COLOUR = '#7cf29a';
const SELECTED_COLOUR = '#ff9d2e';
const DRAFT_COLOUR = '#ffe14d';

/** Text readable on any grey: a dark outline under the fill. */
function label(ctx: CanvasRenderingContext2D, lines: readonly string[], x: number, y: number, colour: string): void {
  ctx.font = '12px sans-serif';
  ctx.textAlign = 'left';
  ctx.lineWidth = 3;
  ctx.strokeStyle = 'rgba(0,0,0,0.85)';
  ctx.fillStyle = colour;
  lines.forEach((line, n) => {
    ctx.strokeText(line, x, y + n * 14);
    ctx.fillText(line, x, y + n * 14);
  });
}

/** The annotations on this view's slice, the selected one highlighted, and the shape being drawn. */
export function drawAnnotations(
  el: HTMLElement,
  ctx: CanvasRenderingContext2D,
  ax: PatientViewAxes,
  slice: number,
  list: readonly PlacedAnnotation[],
  selectedId: number | null,
  draft: DraftShape | null,
): void {
  const toCanvas = (ijk: Vec3): { x: number; y: number } => {
    const d = ijkToDisplay(ax, ijk);
    return cornerstone.pixelToCanvas(el, { x: d.col + 0.5, y: d.row + 0.5 } as cornerstone.PixelCoordinate);
  };
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.font = '12px sans-serif';
  const shapes: { kind: ShapeKind; pts: Vec3[]; lines: readonly string[]; colour: string; closed: boolean }[] = [];
  for (const a of list)
    if (a.plane === ax.plane && a.slice === slice)
      shapes.push({ kind: a.kind, pts: a.pointsIjk, lines: a.lines, colour: a.id === selectedId ? SELECTED_COLOUR : COLOUR, closed: true });
  if (draft && draft.plane === ax.plane && draft.slice === slice)
    shapes.push({ kind: draft.kind, pts: draft.pointsIjk, lines: draft.lines, colour: DRAFT_COLOUR, closed: false });
  for (const s of shapes) {
    const p = s.pts.map(toCanvas);
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    if (s.kind === 'text') {
      const a = p[0]!;
      ctx.arc(a.x, a.y, 2.5, 0, 2 * Math.PI);
      ctx.fill();
      label(ctx, s.lines, a.x + 6, a.y - 4, s.colour);
      continue;
    }
    if (s.kind === 'ellipse' && p.length === 2) {
      const [a, b] = p as [{ x: number; y: number }, { x: number; y: number }];
      ctx.ellipse((a.x + b.x) / 2, (a.y + b.y) / 2, Math.abs(a.x - b.x) / 2, Math.abs(a.y - b.y) / 2, 0, 0, 2 * Math.PI);
      ctx.stroke();
      label(ctx, s.lines, Math.max(a.x, b.x) + 6, Math.min(a.y, b.y) + 10, s.colour);
      continue;
    }
    p.forEach((q, n) => (n === 0 ? ctx.moveTo(q.x, q.y) : ctx.lineTo(q.x, q.y)));
    if (s.kind === 'freehand') {
      if (s.closed) ctx.closePath();
      ctx.stroke();
      label(ctx, s.lines, Math.max(...p.map((q) => q.x)) + 6, Math.min(...p.map((q) => q.y)) + 10, s.colour);
      continue;
    }
    // Angle: both arms, the points, and an arc at the vertex (the second point).
    ctx.stroke();
    for (const q of p) ctx.fillRect(q.x - 2, q.y - 2, 4, 4);
    if (p.length === 3) {
      const [a, v, c] = p as [{ x: number; y: number }, { x: number; y: number }, { x: number; y: number }];
      const r = Math.min(18, Math.hypot(a.x - v.x, a.y - v.y) / 3, Math.hypot(c.x - v.x, c.y - v.y) / 3);
      const ta = Math.atan2(a.y - v.y, a.x - v.x);
      const tc = Math.atan2(c.y - v.y, c.x - v.x);
      // The arc through the inside of the angle (the shorter way round).
      let d = tc - ta;
      while (d > Math.PI) d -= 2 * Math.PI;
      while (d < -Math.PI) d += 2 * Math.PI;
      ctx.beginPath();
      ctx.arc(v.x, v.y, r, ta, ta + d, d < 0);
      ctx.stroke();
      // The figure inside the angle, just beyond the arc on its bisector (where the arms leave room).
      const mid = ta + d / 2;
      const lx = v.x + Math.cos(mid) * (r + 6);
      const ly = v.y + Math.sin(mid) * (r + 6) + (Math.sin(mid) > 0 ? 10 : 0);
      label(ctx, s.lines, Math.cos(mid) >= 0 ? lx : lx - ctx.measureText(s.lines[0] ?? '').width - 4, ly, s.colour);
    }
  }
  ctx.restore();
}
