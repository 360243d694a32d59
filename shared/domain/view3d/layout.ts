// Which views the viewer shows: the 1×1, 1×3 and 2×2 layouts, the view maximised by a double-click, and cine stepping.
import type { Plane } from '../mpr.js';

export type ViewId = Plane | '3d';
export type LayoutId = '1x1' | '1x3' | '2x2';
export const LAYOUTS: readonly LayoutId[] = ['1x1', '1x3', '2x2'];

/**
 * The views on screen, in reading order. A maximised view is shown alone whatever the layout; 1×1 shows the active
 * view; 1×3 the three planes; 2×2 the three planes and the 3D view.
 */
export function visibleViews(layout: LayoutId, active: ViewId, maximised: ViewId | null): ViewId[] {
  if (maximised) return [maximised];
  if (layout === '1x1') return [active];
  if (layout === '1x3') return ['axial', 'coronal', 'sagittal'];
  return ['axial', 'coronal', 'sagittal', '3d'];
}

/** Grid columns and rows of a layout for n visible views. */
export function gridShape(n: number): { columns: number; rows: number } {
  if (n <= 1) return { columns: 1, rows: 1 };
  if (n <= 3) return { columns: n, rows: 1 };
  return { columns: 2, rows: Math.ceil(n / 2) };
}

/** Double-click: maximise the view, or restore the layout when it is the maximised one already. */
export function toggleMaximised(current: ViewId | null, clicked: ViewId): ViewId | null {
  return current === clicked ? null : clicked;
}

export const CINE_FPS_MIN = 1;
export const CINE_FPS_MAX = 60;

export function clampFps(fps: number): number {
  if (!Number.isFinite(fps)) return 10;
  return Math.min(CINE_FPS_MAX, Math.max(CINE_FPS_MIN, Math.round(fps)));
}

/** Cine: the next slice, wrapping from the last back to the first (a loop through the stack, as on a scanner console). */
export function nextCineSlice(slice: number, sliceCount: number): number {
  if (sliceCount <= 0) return 0;
  return (slice + 1) % sliceCount;
}
