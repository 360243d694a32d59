// Angle, ellipse and freehand ROI and text notes on the 2D views: the tools, which plane and slice a stored
// annotation lies on, and the figures it shows (exactly as annotations.create returned them: a null figure shows the
// API's note, never a number). Painting them is annotationDrawing.ts (cornerstone); this part runs in Node tests.
import { PLANES, type PatientViewAxes, type Plane } from '../../shared/domain/mpr.js';
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
