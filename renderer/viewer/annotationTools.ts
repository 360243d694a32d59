// Angle, ellipse and freehand ROI and text notes on the 2D views: which plane and slice a stored annotation lies
// on, the figures it shows (exactly as annotations.create returned them: a null figure shows the API's note, never a
// number) and how it and the one being drawn are painted on a view's canvas.
import * as cornerstone from 'cornerstone-core';
import { ijkToDisplay, PLANES, type PatientViewAxes, type Plane } from '../../shared/domain/mpr.js';
import type { AnnotationKind, AnnotationWire } from '../../shared/ipc/contract-annotations.js';
import type { Vec3 } from '../../shared/domain/volume.js';

export type DrawTool = AnnotationKind;
export type ShapeKind = Exclude<AnnotationKind, 'ruler'>;

/** The drawing tools in toolbar order, their key and how they are drawn (the toolbar titles and the "?" overlay). */
export const DRAW_TOOLS: readonly { tool: DrawTool; key: string; how: string }[] = [
  { tool: 'ruler', key: 'M', how: 'drag from end to end (mm)' },
  { tool: 'angle', key: 'A', how: 'three clicks, the vertex second (degrees)' },
  { tool: 'ellipse', key: 'E', how: 'drag corner to corner (mean ± SD, min/max, area)' },
  { tool: 'freehand', key: 'F', how: 'press, trace the outline, release (closed, points thinned)' },
  { tool: 'text', key: 'T', how: 'click, type, Enter' },
];

/** A stored annotation (not a ruler) where the views draw it. */
export interface PlacedAnnotation {
  id: number;
  kind: ShapeKind;
  plane: Plane;
  slice: number;
  pointsIjk: Vec3[];
  text: string | null;
  /** What is written next to it: its figures or the note saying why there are none. */
  lines: string[];
}

/** The shape being drawn on one view (with the cursor as its moving point). */
export interface DraftShape {
  kind: 'angle' | 'ellipse' | 'freehand';
  plane: Plane;
  slice: number;
  pointsIjk: Vec3[];
  lines: string[];
}

/**
 * The plane and slice an annotation lies on: an ROI's is the one its statistics were taken on; an angle or a text
 * note lies on the plane whose slice coordinate all its points share exactly (as picked on that view), else rounded.
 * Null when no plane holds it (it is still listed).
 */
export function placeAnnotation(axes: Record<Plane, PatientViewAxes>, a: AnnotationWire): PlacedAnnotation | null {
  if (a.kind === 'ruler') return null;
  const pts = a.pointsIjk as Vec3[];
  const base = { id: a.annotationId, kind: a.kind, pointsIjk: pts, text: a.text, lines: figureLines(a) };
  const roi = a.result.roi;
  if (roi) {
    const plane = PLANES.find((p) => axes[p].sliceAxis === roi.sliceAxis);
    return plane ? { ...base, plane, slice: roi.sliceIndex } : null;
  }
  const exact = PLANES.find((p) => {
    const s = pts[0]![axes[p].sliceAxis];
    return Number.isInteger(s) && pts.every((q) => q[axes[p].sliceAxis] === s);
  });
  const plane = exact ?? PLANES.find((p) => pts.every((q) => Math.round(q[axes[p].sliceAxis]) === Math.round(pts[0]![axes[p].sliceAxis])));
  return plane ? { ...base, plane, slice: Math.round(pts[0]![axes[plane].sliceAxis]) } : null;
}

const unitSuffix = (unit: string): string => (unit === 'HU' ? ' HU' : '');

/** The figures drawn next to an annotation on the image, one per line. */
export function figureLines(a: AnnotationWire): string[] {
  const note = a.result.note ?? 'unavailable';
  if (a.kind === 'angle') return [a.result.angleDeg == null ? `angle: ${note}` : `${a.result.angleDeg.toFixed(1)}°`];
  if (a.kind === 'text') return [a.text ?? ''];
  const r = a.result.roi;
  if (!r) return [];
  const u = unitSuffix(r.unit);
  const lines =
    r.mean == null
      ? ['no voxel centre inside']
      : [`mean ${r.mean.toFixed(1)} ± ${(r.sd ?? 0).toFixed(1)}${u}`, `min ${r.min ?? ''} / max ${r.max ?? ''}${u}`, `${r.voxelCount} voxels`];
  lines.push(r.areaMm2 == null ? `area: ${note}` : `${r.areaMm2.toFixed(1)} mm²`);
  return lines;
}

/** One line for the annotation list. */
export function listLine(a: AnnotationWire): string {
  const note = a.result.note ?? 'unavailable';
  if (a.kind === 'angle') return a.result.angleDeg == null ? `angle: ${note}` : `angle ${a.result.angleDeg.toFixed(1)}°`;
  if (a.kind === 'text') return `“${a.text ?? ''}”`;
  const r = a.result.roi;
  if (!r) return a.kind;
  const u = unitSuffix(r.unit);
  const area = r.areaMm2 == null ? `area: ${note}` : `${r.areaMm2.toFixed(1)} mm²`;
  const mean = r.mean == null ? 'no voxel inside' : `mean ${r.mean.toFixed(1)} ± ${(r.sd ?? 0).toFixed(1)}${u}`;
  const range = r.mean == null ? '' : `, min ${r.min} / max ${r.max}${u}`;
  return `${a.kind} ROI: ${mean}, ${area} (${r.voxelCount} voxels${range})`;
}

/** Where the list jumps to: the annotation's slice, in-plane at the middle of its points (voxel indices). */
export function annotationFocusIjk(axes: Record<Plane, PatientViewAxes>, dims: Vec3, a: Pick<PlacedAnnotation, 'plane' | 'slice' | 'pointsIjk'>): Vec3 {
  const mid = [0, 1, 2].map((q) => a.pointsIjk.reduce((s, p) => s + p[q]!, 0) / a.pointsIjk.length);
  mid[axes[a.plane].sliceAxis] = a.slice;
  return mid.map((x, q) => Math.min(dims[q]! - 1, Math.max(0, Math.round(x)))) as Vec3;
}

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
