// One reformatted view (axial, coronal or sagittal) on a cornerstone element: scroll, pick (crosshair), pan, zoom,
// right-drag window/level, probe; draws the label overlays, the crosshair and a scale bar after each render.
import { useEffect, useLayoutEffect, useRef, useState, type MutableRefObject } from 'react';
import * as cornerstone from 'cornerstone-core';
import { displayToIjk, edgeLetters, ijkToDisplay, slicePositionMm, type Plane } from '../../shared/domain/mpr.js';
import type { Vec3 } from '../../shared/domain/volume.js';
import { imageIdFor, type MedsegImage, type ViewerLabelMap, type ViewerVolume } from './volumeStore.js';
import { drawOverlays, type OverlayStyle } from './overlay.js';
import { sampleAt, type EditPointerTool } from './editPointer.js';
import type { Voi } from '../../shared/domain/windowing.js';
import { releasePanelFocus } from './keyRouting.js';
import { drawRecistAxes, type RecistOverlay } from './recistAxes.js';
import { continuousIjkAt, drawRulers, type Ruler } from './rulers.js';
import type { DraftShape, DrawTool, PlacedAnnotation, ShapeKind } from './annotationTools.js';
import { drawAnnotations } from './annotationDrawing.js';
import { thinClosedOutline } from '../../shared/domain/reading/polyline.js';
import { polygonArea2d } from '../../shared/domain/reading/annotations.js';

export type { Voi } from '../../shared/domain/windowing.js';

export interface ViewControls {
  zoom(factor: number): void;
  reset(): void;
}

export interface MprViewProps {
  seriesId: number;
  plane: Plane;
  vol: ViewerVolume;
  /** Changes as slices of a loading volume arrive (0 once complete): the slice is drawn again. */
  generation: number;
  crosshair: Vec3;
  voi: Voi;
  labelMaps: readonly ViewerLabelMap[];
  overlay: OverlayStyle;
  showCrosshair: boolean;
  /** mm positions are hidden when the geometry is unsafe. */
  physicalAllowed: boolean;
  active: boolean;
  controls: MutableRefObject<Partial<Record<Plane, ViewControls>>>;
  onPick(ijk: Vec3): void;
  onScroll(plane: Plane, delta: number): void;
  onWindow(dWidth: number, dCenter: number): void;
  onProbe(ijk: Vec3 | null): void;
  onActivate(plane: Plane): void;
  /** Mask editing: when set, a left press (without shift) goes to the tool instead of picking the crosshair. */
  editTool?: EditPointerTool | null;
  /** RECIST axes of the lesion picked in the measure panel, drawn where its slice is shown. */
  recist?: RecistOverlay | null;
  /** Rulers to draw where their slice is shown. */
  rulers?: readonly Ruler[];
  /**
   * The drawing tool of left presses (null: navigate): a ruler drag goes to onRuler at release; angle (three
   * clicks), ellipse (drag), freehand (press-trace-release) and text (click, type, Enter) go to onAnnotation. Esc
   * cancels the shape being drawn.
   */
  drawTool?: DrawTool | null;
  onRuler?(plane: Plane, slice: number, aIjk: Vec3, bIjk: Vec3): void;
  /** Length text of a ruler being drawn. */
  rulerText?(aIjk: Vec3, bIjk: Vec3): string;
  /** Angle text of an angle being drawn (vertex b). */
  angleText?(aIjk: Vec3, bIjk: Vec3, cIjk: Vec3): string;
  /** Stored angles, ROIs and text notes, drawn where their slice is shown; the selected one highlighted. */
  annotations?: readonly PlacedAnnotation[];
  selectedAnnotation?: number | null;
  onAnnotation?(kind: ShapeKind, pointsIjk: Vec3[], text?: string): void;
}

/** Traced freehand outlines are thinned to this distance (voxels) from the trace. */
const FREEHAND_TOLERANCE_VOXELS = 0.25;

const CROSSHAIR_COLOUR = '#50c8ff';
const SCALE_STEPS_MM = [1, 2, 5, 10, 20, 50, 100, 200, 500];

export function MprView(props: MprViewProps) {
  const { plane, vol, seriesId } = props;
  const ax = vol.axes[plane];
  const slice = props.crosshair[ax.sliceAxis];
  const elementRef = useRef<HTMLDivElement>(null);
  const latest = useRef(props);
  latest.current = props;
  const shown = useRef<{ seriesId: number; fitted: boolean }>({ seriesId: -1, fitted: false });
  const draftRuler = useRef<Ruler | null>(null);
  /** The angle, ellipse or freehand outline being drawn, and the clicks of an angle so far. */
  const draftShape = useRef<DraftShape | null>(null);
  const angleClicks = useRef<{ slice: number; points: Vec3[] } | null>(null);
  /** A text note being typed: its anchor and where its field sits in the view (CSS pixels). */
  const [textDraft, setTextDraft] = useState<{ ijk: Vec3; x: number; y: number } | null>(null);
  const textDone = useRef(false);
  const textInput = useRef<HTMLInputElement>(null);
  const cancelDrawing = (): void => {
    const el = elementRef.current;
    const had = draftShape.current || angleClicks.current || draftRuler.current;
    draftShape.current = null;
    angleClicks.current = null;
    draftRuler.current = null;
    textDone.current = true;
    setTextDraft(null);
    if (had && el && cornerstone.getEnabledElement(el).image) cornerstone.updateImage(el);
  };
  const cancelRef = useRef(cancelDrawing);
  cancelRef.current = cancelDrawing;
  // Esc cancels what is being drawn; so does switching tools.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') cancelRef.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => cancelRef.current(), [props.drawTool]);
  /** The brush outline under the cursor (CSS pixels in the view; an ellipse on anisotropic pixels). */
  const [outline, setOutline] = useState<{ x: number; y: number; w: number; h: number } | null>(null);
  const trackOutline = (e: React.MouseEvent): void => {
    const el = elementRef.current;
    const r = props.editTool?.outlineRadiusMm?.() ?? null;
    if (!el || r === null || !cornerstone.getEnabledElement(el).image) return setOutline(null);
    const o = cornerstone.pixelToCanvas(el, { x: 0, y: 0 } as cornerstone.PixelCoordinate);
    const c = cornerstone.pixelToCanvas(el, { x: 1, y: 0 } as cornerstone.PixelCoordinate);
    const d = cornerstone.pixelToCanvas(el, { x: 0, y: 1 } as cornerstone.PixelCoordinate);
    // Canvas pixels to CSS pixels (the canvas may be backed at device resolution).
    const canvas = el.querySelector('canvas');
    const css = canvas && canvas.width > 0 ? canvas.clientWidth / canvas.width : 1;
    const rect = (el.parentElement ?? el).getBoundingClientRect();
    setOutline({
      x: e.clientX - rect.left,
      y: e.clientY - rect.top,
      w: (2 * r * Math.hypot(c.x - o.x, c.y - o.y) * css) / ax.columnSpacingMm,
      h: (2 * r * Math.hypot(d.x - o.x, d.y - o.y) * css) / ax.rowSpacingMm,
    });
  };

  // Enable once (a layout effect: it must run before the slice layout effect below); draw overlays, crosshair and
  // scale bar on every render of this element.
  useLayoutEffect(() => {
    const el = elementRef.current;
    if (!el) return;
    cornerstone.enable(el);
    const onRendered = (evt: Event): void => {
      const p = latest.current;
      const detail = (evt as CustomEvent<{ canvasContext: CanvasRenderingContext2D; image: cornerstone.Image }>).detail;
      const ctx = detail.canvasContext;
      const a = p.vol.axes[p.plane];
      const s = p.crosshair[a.sliceAxis];
      // The image on screen may lag the props by one load: draw what matches the image actually shown.
      if (detail.image.imageId !== imageIdFor(p.seriesId, p.plane, s, p.generation)) return;
      drawOverlays(el, ctx, p.vol, p.plane, s, p.labelMaps, p.overlay);
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      if (p.showCrosshair) drawCrosshair(el, ctx, ijkToDisplay(a, p.crosshair));
      // With unsafe geometry the spacing is not known: a scale bar would state a guess as a fact.
      if (p.physicalAllowed) drawScaleBar(el, ctx, a.columnSpacingMm);
      ctx.restore();
      // After the crosshair, which runs through the long axis' midpoint after a jump to a lesion. Axes are
      // positions in mm: never drawn on a grid whose geometry is unsafe.
      drawRecistAxes(el, ctx, p.vol.info, a, s, p.physicalAllowed ? p.recist : null);
      const draft = draftRuler.current;
      drawRulers(el, ctx, a, s, draft ? [...(p.rulers ?? []), draft] : (p.rulers ?? []));
      drawAnnotations(el, ctx, a, s, p.annotations ?? [], p.selectedAnnotation ?? null, draftShape.current);
      el.dataset.renderedImageId = detail.image.imageId;
      // Whether every pixel drawn is received data (false: slices still loading are drawn blank).
      el.dataset.renderedComplete = String((detail.image as MedsegImage).medsegComplete !== false);
      // Which segmentations this drawing includes: tests wait for it instead of guessing when an overlay has landed.
      el.dataset.renderedSegmentations = p.labelMaps.map((m) => m.summary.segmentationId).join(',');
    };
    el.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
    const resize = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientHeight > 0 && cornerstone.getEnabledElement(el).image) cornerstone.resize(el, true);
    });
    resize.observe(el);
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      if (e.ctrlKey) zoomBy(el, e.deltaY < 0 ? 1.1 : 1 / 1.1);
      else latest.current.onScroll(latest.current.plane, e.deltaY > 0 ? 1 : -1);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      resize.disconnect();
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
      cornerstone.disable(el);
    };
  }, []);

  useEffect(() => {
    const el = elementRef.current;
    if (!el) return;
    const own: ViewControls = {
      zoom: (f) => zoomBy(el, f),
      reset: () => {
        if (!cornerstone.getEnabledElement(el).image) return;
        cornerstone.fitToWindow(el);
        const vp = cornerstone.getViewport(el);
        if (vp) cornerstone.setViewport(el, { ...vp, translation: { x: 0, y: 0 } });
      },
    };
    const registry = props.controls.current;
    registry[plane] = own;
    // A layout without this view unmounts it: its controls must not outlive its (disabled) element.
    return () => {
      if (registry[plane] === own) delete registry[plane];
    };
  }, [plane, props.controls]);

  // Show the slice: swap the image, keep zoom/pan/W-L; fit on the first image of a series. A layout effect, so a
  // cached slice is displayed before the next paint (a passive effect would cost one extra frame per scroll step).
  useLayoutEffect(() => {
    const el = elementRef.current;
    if (!el) return;
    let alive = true;
    const imageId = imageIdFor(seriesId, plane, slice, props.generation);
    cornerstone.loadAndCacheImage(imageId).then(
      (image) => {
        if (!alive) return;
        // A freshly enabled element (first mount, or StrictMode's re-enable in development) has no viewport yet:
        // it needs our W/L and a fit, not cornerstone's defaults.
        const first = shown.current.seriesId !== seriesId || !cornerstone.getEnabledElement(el).image;
        const voi = latest.current.voi;
        cornerstone.displayImage(el, image, first ? { voi: { ...voi }, pixelReplication: true, scale: undefined } : undefined);
        if (first) {
          shown.current = { seriesId, fitted: true };
          cornerstone.fitToWindow(el);
        }
        el.dataset.slice = String(slice);
      },
      (err: unknown) => console.error(`cannot show ${imageId}`, err),
    );
    return () => {
      alive = false;
    };
  }, [seriesId, plane, slice, props.generation]);

  useEffect(() => {
    const el = elementRef.current;
    if (!el || !cornerstone.getEnabledElement(el).image) return;
    const vp = cornerstone.getViewport(el);
    if (vp) cornerstone.setViewport(el, { ...vp, voi: { ...props.voi } });
  }, [props.voi.windowWidth, props.voi.windowCenter]);

  // Overlay, crosshair or label changes need a redraw of the same image.
  useLayoutEffect(() => {
    const el = elementRef.current;
    if (el && cornerstone.getEnabledElement(el).image) cornerstone.updateImage(el);
  }, [props.crosshair, props.labelMaps, props.overlay, props.showCrosshair, props.recist, props.rulers, props.annotations, props.selectedAnnotation]);

  const pixelAt = (e: { pageX: number; pageY: number }): Vec3 | null => {
    const el = elementRef.current;
    if (!el || !cornerstone.getEnabledElement(el).image) return null;
    const p = cornerstone.pageToPixel(el, e.pageX, e.pageY);
    const col = Math.floor(p.x);
    const row = Math.floor(p.y);
    if (col < 0 || row < 0 || col >= ax.width || row >= ax.height) return null;
    return displayToIjk(ax, col, row, slice);
  };

  const onMouseDown = (e: React.MouseEvent): void => {
    const el = elementRef.current;
    if (!el) return;
    e.preventDefault();
    releasePanelFocus();
    props.onActivate(plane);
    let mode: 'window' | 'pan' | 'pick' | 'edit' | 'ruler' | 'shape' =
      e.button === 2 ? 'window' : e.button === 1 || (e.button === 0 && e.shiftKey) ? 'pan' : 'pick';
    const tool = props.editTool;
    const drawTool = mode === 'pick' && cornerstone.getEnabledElement(el).image ? (props.drawTool ?? null) : null;
    const drawStart = drawTool ? clampToGrid(continuousIjkAt(el, ax, slice, e.pageX, e.pageY)) : null;
    const rulerStart = drawTool === 'ruler' ? drawStart : null;
    if (rulerStart) mode = 'ruler';
    if (drawStart && drawTool === 'angle') return addAngleClick(el, drawStart);
    if (drawStart && drawTool === 'text') {
      // A click while a note is open finishes that note rather than starting another.
      if (textDraft) return commitText(textInput.current?.value ?? '');
      const rect = (el.parentElement ?? el).getBoundingClientRect();
      textDone.current = false;
      setTextDraft({ ijk: drawStart, x: e.clientX - rect.left, y: e.clientY - rect.top });
      return;
    }
    const shapeKind = drawStart && (drawTool === 'ellipse' || drawTool === 'freehand') ? drawTool : null;
    if (shapeKind) mode = 'shape';
    /** The freehand trace: continuous voxel points, one per canvas pixel or so of mouse travel. */
    const trace: Vec3[] = drawStart ? [drawStart] : [];
    let lastTraced = { x: e.pageX, y: e.pageY };
    if (mode === 'pick' && tool) {
      const at = sampleAt(el, ax, slice, e.pageX, e.pageY);
      if (at && tool.begin({ element: el, plane, axes: ax, slice }, at)) mode = 'edit';
    }
    if (mode === 'pick') {
      const ijk = pixelAt(e);
      if (ijk) props.onPick(ijk);
    }
    let last = { x: e.pageX, y: e.pageY };
    const move = (m: MouseEvent): void => {
      const dx = m.pageX - last.x;
      const dy = m.pageY - last.y;
      last = { x: m.pageX, y: m.pageY };
      if (mode === 'edit') {
        const at = sampleAt(el, ax, slice, m.pageX, m.pageY);
        if (at) tool?.move(at);
      } else if (mode === 'ruler' && rulerStart) {
        const end = continuousIjkAt(el, ax, slice, m.pageX, m.pageY);
        const text = latest.current.rulerText?.(rulerStart, end) ?? '';
        draftRuler.current = { id: -1, plane, slice, aIjk: rulerStart, bIjk: end, text };
        cornerstone.updateImage(el);
      } else if (mode === 'shape' && drawStart && shapeKind) {
        const end = clampToGrid(continuousIjkAt(el, ax, slice, m.pageX, m.pageY));
        if (shapeKind === 'freehand' && Math.hypot(m.pageX - lastTraced.x, m.pageY - lastTraced.y) >= 1) {
          trace.push(end);
          lastTraced = { x: m.pageX, y: m.pageY };
        }
        draftShape.current = { kind: shapeKind, plane, slice, pointsIjk: shapeKind === 'ellipse' ? [drawStart, end] : [...trace], lines: [] };
        cornerstone.updateImage(el);
      } else if (mode === 'window') latest.current.onWindow(dx * 2, dy * 2);
      else if (mode === 'pan') {
        const vp = cornerstone.getViewport(el);
        if (vp) cornerstone.setViewport(el, { ...vp, translation: { x: vp.translation.x + dx / vp.scale, y: vp.translation.y + dy / vp.scale } });
      } else {
        const ijk = pixelAt(m);
        if (ijk) latest.current.onPick(ijk);
      }
    };
    const up = (u: MouseEvent): void => {
      if (mode === 'edit') tool?.end();
      if (mode === 'ruler' && rulerStart) {
        draftRuler.current = null;
        const end = continuousIjkAt(el, ax, slice, u.pageX, u.pageY);
        if (end.some((v, n) => Math.abs(v - rulerStart[n]) > 0.5)) latest.current.onRuler?.(plane, slice, rulerStart, end);
        else cornerstone.updateImage(el);
      }
      if (mode === 'shape' && drawStart && shapeKind) {
        draftShape.current = null;
        const end = clampToGrid(continuousIjkAt(el, ax, slice, u.pageX, u.pageY));
        const points = shapeKind === 'ellipse' ? ellipseCorners(drawStart, end) : thinnedOutline([...trace, end]);
        if (points) latest.current.onAnnotation?.(shapeKind, points);
        cornerstone.updateImage(el);
      }
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };

  /** Keeps a point on the grid (the API refuses points beyond half a voxel outside it). */
  function clampToGrid(p: Vec3): Vec3 {
    return p.map((x, q) => Math.min(vol.info.dims[q]! - 0.5, Math.max(-0.5, x))) as Vec3;
  }

  /** An ellipse needs a box at least a voxel wide both ways; a freehand outline at least 3 points around some area. */
  function ellipseCorners(a: Vec3, b: Vec3): Vec3[] | null {
    return Math.abs(a[ax.colAxis] - b[ax.colAxis]) >= 1 && Math.abs(a[ax.rowAxis] - b[ax.rowAxis]) >= 1 ? [a, b] : null;
  }

  function thinnedOutline(trace: Vec3[]): Vec3[] | null {
    const flat = trace.map((p) => [p[ax.colAxis], p[ax.rowAxis]] as [number, number]);
    const kept = thinClosedOutline(flat, FREEHAND_TOLERANCE_VOXELS).map((n) => trace[n]!);
    return kept.length >= 3 && polygonArea2d(kept.map((p) => [p[ax.colAxis], p[ax.rowAxis]])) >= 1 ? kept : null;
  }

  function addAngleClick(el: HTMLElement, at: Vec3): void {
    const clicks = angleClicks.current && angleClicks.current.slice === slice ? angleClicks.current : { slice, points: [] };
    clicks.points.push(at);
    if (clicks.points.length === 3) {
      angleClicks.current = null;
      draftShape.current = null;
      latest.current.onAnnotation?.('angle', clicks.points);
    } else {
      angleClicks.current = clicks;
      draftShape.current = { kind: 'angle', plane, slice, pointsIjk: [...clicks.points], lines: [] };
    }
    cornerstone.updateImage(el);
  }

  /** The angle's arms follow the cursor between clicks. */
  function followAngle(e: React.MouseEvent): void {
    const el = elementRef.current;
    const clicks = angleClicks.current;
    if (!el || !clicks || clicks.slice !== slice || !cornerstone.getEnabledElement(el).image) return;
    const at = clampToGrid(continuousIjkAt(el, ax, slice, e.pageX, e.pageY));
    const pts = [...clicks.points, at];
    const lines = pts.length === 3 ? [latest.current.angleText?.(pts[0]!, pts[1]!, pts[2]!) ?? ''] : [];
    draftShape.current = { kind: 'angle', plane, slice, pointsIjk: pts, lines };
    cornerstone.updateImage(el);
  }

  const commitText = (value: string): void => {
    if (textDone.current || !textDraft) return;
    textDone.current = true;
    const text = value.trim();
    setTextDraft(null);
    if (text) latest.current.onAnnotation?.('text', [textDraft.ijk], text);
  };

  const letters = edgeLetters(vol.info, ax);
  const pos = slicePositionMm(vol.info, ax, slice);
  return (
    <div className={`view${props.active ? ' active' : ''}`} data-plane={plane}>
      <div
        ref={elementRef}
        className="cs-element"
        data-testid={`view-${plane}`}
        onMouseDown={onMouseDown}
        onMouseMove={(e) => {
          props.onProbe(pixelAt(e));
          trackOutline(e);
          followAngle(e);
        }}
        style={props.drawTool ? { cursor: 'crosshair' } : undefined}
        onMouseLeave={() => {
          props.onProbe(null);
          setOutline(null);
        }}
        onMouseEnter={() => props.onActivate(plane)}
        onContextMenu={(e) => e.preventDefault()}
      />
      {outline && (
        <div
          className="brush-outline"
          data-testid={`brush-outline-${plane}`}
          style={{
            position: 'absolute',
            left: outline.x - outline.w / 2,
            top: outline.y - outline.h / 2,
            width: outline.w,
            height: outline.h,
            border: '1px solid #ffe14d',
            borderRadius: '50%',
            pointerEvents: 'none',
            boxSizing: 'border-box',
          }}
        />
      )}
      {textDraft && (
        <input
          className="annotation-text-input"
          data-testid={`annotation-text-input-${plane}`}
          ref={textInput}
          autoFocus
          placeholder="note, Enter"
          maxLength={2000}
          style={{ position: 'absolute', left: textDraft.x, top: textDraft.y - 10, zIndex: 3 }}
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === 'Enter') commitText(e.currentTarget.value);
            else if (e.key === 'Escape') cancelDrawing();
          }}
          onBlur={(e) => commitText(e.currentTarget.value)}
        />
      )}
      {/* Orientation letters only where the orientation is known (not for unsafe geometry). */}
      {props.physicalAllowed && (
        <>
          <div className="letter top">{letters.top}</div>
          <div className="letter bottom">{letters.bottom}</div>
          <div className="letter left">{letters.left}</div>
          <div className="letter right">{letters.right}</div>
        </>
      )}
      <div className="view-info" data-testid={`info-${plane}`}>
        <span className="plane-name">{plane}</span>{' '}
        <span data-testid={`slice-${plane}`}>
          {slice + 1}/{ax.sliceCount}
        </span>
        {props.physicalAllowed ? (
          <span>
            {' '}
            {pos.coordinate} {pos.mm.toFixed(1)} mm
          </span>
        ) : (
          <span> (position in mm unavailable)</span>
        )}
        <span className="wl">
          {' '}
          W {Math.round(props.voi.windowWidth)} L {Math.round(props.voi.windowCenter)}
        </span>
      </div>
    </div>
  );
}

function zoomBy(el: HTMLElement, factor: number): void {
  const vp = cornerstone.getViewport(el);
  if (vp) cornerstone.setViewport(el, { ...vp, scale: Math.min(50, Math.max(0.05, vp.scale * factor)) });
}

/** Lines through the crosshair voxel centre, with a gap so the voxel itself stays visible. */
function drawCrosshair(el: HTMLElement, ctx: CanvasRenderingContext2D, d: { col: number; row: number }): void {
  const c = cornerstone.pixelToCanvas(el, { x: d.col + 0.5, y: d.row + 0.5 } as cornerstone.PixelCoordinate);
  const gap = 10;
  const { width, height } = ctx.canvas;
  ctx.lineWidth = 1;
  ctx.strokeStyle = CROSSHAIR_COLOUR;
  ctx.globalAlpha = 0.8;
  ctx.beginPath();
  ctx.moveTo(0, c.y);
  ctx.lineTo(c.x - gap, c.y);
  ctx.moveTo(c.x + gap, c.y);
  ctx.lineTo(width, c.y);
  ctx.moveTo(c.x, 0);
  ctx.lineTo(c.x, c.y - gap);
  ctx.moveTo(c.x, c.y + gap);
  ctx.lineTo(c.x, height);
  ctx.stroke();
  ctx.globalAlpha = 1;
}

function drawScaleBar(el: HTMLElement, ctx: CanvasRenderingContext2D, columnSpacingMm: number): void {
  const a = cornerstone.pixelToCanvas(el, { x: 0, y: 0 } as cornerstone.PixelCoordinate);
  const b = cornerstone.pixelToCanvas(el, { x: 1, y: 0 } as cornerstone.PixelCoordinate);
  const pxPerMm = Math.hypot(b.x - a.x, b.y - a.y) / columnSpacingMm;
  const { width, height } = ctx.canvas;
  const mm = [...SCALE_STEPS_MM].reverse().find((s) => s * pxPerMm <= width * 0.3);
  if (!mm) return;
  const len = mm * pxPerMm;
  const x1 = width - 16;
  const y = height - 30; // above the slice-info line
  ctx.strokeStyle = '#ffffff';
  ctx.fillStyle = '#ffffff';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x1 - len, y - 4);
  ctx.lineTo(x1 - len, y);
  ctx.lineTo(x1, y);
  ctx.lineTo(x1, y - 4);
  ctx.stroke();
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'right';
  ctx.fillText(mm >= 10 ? `${mm / 10} cm` : `${mm} mm`, x1, y - 6);
}
