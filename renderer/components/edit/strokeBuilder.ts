// Turns presses on a view into edit strokes: brush/eraser drags become one swept path (with a live preview), fill,
// erase-region and delete-instance are single clicks. Settings are read when a press starts, through a getter, so
// changing the radius or label does not rebuild the tool the views hold.
import type { EditState } from '../../../shared/ipc/contract-edit.js';
import type { EditStroke, VoxelPlane } from '../../../shared/domain/editing/strokes.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { drawBrushPreview, type EditPointerTool, type EditPointerView } from '../../viewer/editPointer.js';

export type EditTool = 'navigate' | 'brush' | 'eraser' | 'fill' | 'eraseRegion' | 'deleteInstance';

/** What a stroke is made with; owned by the edit panel, read at each press. */
export interface BrushSettings {
  tool: EditTool;
  radiusMm: number;
  shape: 'disc' | 'sphere';
  thresholdOn: boolean;
  huLo: number;
  huHi: number;
  activeLabel: number;
  /** Paint only over this label (confine the brush to an organ); null: anywhere. */
  onlyOverLabel: number | null;
}

export const DEFAULT_BRUSH: BrushSettings = {
  tool: 'navigate',
  radiusMm: 5,
  shape: 'disc',
  thresholdOn: false,
  huLo: -100,
  huHi: 200,
  activeLabel: 0,
  onlyOverLabel: null,
};

/** The editing plane whose fixed voxel axis is the view's slice axis (views reformat by direction, edits by index). */
const PLANE_OF_AXIS: Record<number, VoxelPlane> = { 0: 'sagittal', 1: 'coronal', 2: 'axial' };
const MAX_PATH = 10_000;

/** The last two slices painted on one plane: what "interpolate between the last two" offers. */
export class PaintedSlices {
  plane: VoxelPlane = 'axial';
  slices: number[] = [];
  remember(plane: VoxelPlane, slice: number): void {
    const kept = this.plane === plane ? this.slices.filter((s) => s !== slice) : [];
    this.plane = plane;
    this.slices = [...kept, slice].slice(-2);
  }
}

function intensityRange(s: BrushSettings, state: EditState): { intensityRange?: { lo: number; hi: number } } {
  return s.thresholdOn && state.hasImageValues ? { intensityRange: { lo: Math.min(s.huLo, s.huHi), hi: Math.max(s.huLo, s.huHi) } } : {};
}

/**
 * The pointer tool for the current tool choice, or null for navigation (presses then move the crosshair).
 * `send` queues one stroke; `current` returns the settings and the open session at the moment it is called.
 */
export function buildStrokeTool(
  tool: EditTool,
  current: () => { settings: BrushSettings; state: EditState | null },
  send: (what: string, stroke: EditStroke) => void,
  painted: PaintedSlices,
): EditPointerTool | null {
  if (tool === 'navigate') return null;
  let view: EditPointerView | null = null;
  let path: Vec3[] = [];
  let last: { x: number; y: number } | null = null;
  let colour = '#fff';
  return {
    outlineRadiusMm() {
      const { settings: s, state } = current();
      return state && (s.tool === 'brush' || s.tool === 'eraser') ? s.radiusMm : null;
    },
    begin(v, at) {
      const { settings: s, state } = current();
      if (!state) return false;
      const plane = PLANE_OF_AXIS[v.axes.sliceAxis];
      const seed = at.ijk.map((x) => Math.round(x)) as Vec3;
      if (s.tool === 'fill' || s.tool === 'eraseRegion') {
        const fill = s.tool === 'fill';
        if (fill && s.activeLabel === 0) return false;
        send(fill ? 'Fill' : 'Erase region', {
          kind: 'fill',
          mode: fill ? 'paint' : 'erase',
          label: fill ? s.activeLabel : 0,
          plane,
          seedIjk: seed,
          ...intensityRange(s, state),
        });
        if (fill) painted.remember(plane, v.slice);
        view = null;
        return true;
      }
      if (s.tool === 'deleteInstance') {
        send('Delete instance', { kind: 'deleteInstance', seedIjk: seed });
        view = null;
        return true;
      }
      if (s.tool === 'navigate' || (s.tool === 'brush' && s.activeLabel === 0)) return false;
      view = v;
      path = [at.ijk];
      last = at.pixel;
      const info = state.labels.find((l) => l.value === s.activeLabel);
      colour = s.tool === 'eraser' || !info ? '#ffffff' : `rgb(${info.colorRgb.join(',')})`;
      drawBrushPreview(v, [at.pixel], s.radiusMm, colour);
      return true;
    },
    move(at) {
      if (!view || !last) return;
      const prev = path[path.length - 1];
      // Samples closer than a quarter voxel add nothing to the swept shape.
      if (Math.hypot(at.ijk[0] - prev[0], at.ijk[1] - prev[1], at.ijk[2] - prev[2]) < 0.25) return;
      if (path.length >= MAX_PATH) return;
      path.push(at.ijk);
      drawBrushPreview(view, [last, at.pixel], current().settings.radiusMm, colour);
      last = at.pixel;
    },
    end() {
      if (!view) return;
      const { settings: s, state } = current();
      const plane = PLANE_OF_AXIS[view.axes.sliceAxis];
      const erase = s.tool === 'eraser';
      send(erase ? 'Erase' : 'Brush', {
        kind: 'brush',
        mode: erase ? 'erase' : 'paint',
        label: erase ? 0 : s.activeLabel,
        pathIjk: path,
        radiusMm: s.radiusMm,
        shape: s.shape,
        plane,
        ...(state ? intensityRange(s, state) : {}),
        ...(!erase && s.onlyOverLabel !== null ? { onlyOverLabel: s.onlyOverLabel } : {}),
      });
      if (!erase && s.shape === 'disc') painted.remember(plane, view.slice);
      view = null;
      last = null;
      path = [];
    },
  };
}
