// Viewer layouts, maximise and cine stepping (shared/domain/view3d/layout.ts).
import { describe, expect, it } from 'vitest';
import { clampFps, gridShape, nextCineSlice, toggleMaximised, visibleViews } from '../../../shared/domain/view3d/layout.js';

describe('viewer layouts', () => {
  it('1×1 shows the active view, 1×3 the three planes, 2×2 the planes and the 3D view', () => {
    expect(visibleViews('1x1', 'coronal', null)).toEqual(['coronal']);
    expect(visibleViews('1x1', '3d', null)).toEqual(['3d']);
    expect(visibleViews('1x3', '3d', null)).toEqual(['axial', 'coronal', 'sagittal']);
    expect(visibleViews('2x2', 'axial', null)).toEqual(['axial', 'coronal', 'sagittal', '3d']);
  });

  it('a maximised view is shown alone whatever the layout, and a second double-click restores the layout', () => {
    for (const layout of ['1x1', '1x3', '2x2'] as const) expect(visibleViews(layout, 'axial', 'sagittal')).toEqual(['sagittal']);
    expect(toggleMaximised(null, 'axial')).toBe('axial');
    expect(toggleMaximised('axial', 'axial')).toBeNull();
    expect(toggleMaximised('axial', '3d')).toBe('3d');
  });

  it('grid shapes: one cell, a row of up to three, two columns beyond', () => {
    expect(gridShape(1)).toEqual({ columns: 1, rows: 1 });
    expect(gridShape(3)).toEqual({ columns: 3, rows: 1 });
    expect(gridShape(4)).toEqual({ columns: 2, rows: 2 });
  });
});

describe('cine', () => {
  it('steps one slice and wraps from the last to the first', () => {
    expect(nextCineSlice(0, 20)).toBe(1);
    expect(nextCineSlice(18, 20)).toBe(19);
    expect(nextCineSlice(19, 20)).toBe(0);
    expect(nextCineSlice(0, 1)).toBe(0);
  });

  it('keeps the frame rate a whole number within 1..60 (typing garbage gives the default)', () => {
    expect(clampFps(0)).toBe(1);
    expect(clampFps(500)).toBe(60);
    expect(clampFps(12.4)).toBe(12);
    expect(clampFps(Number('abc'))).toBe(10);
  });
});
