// Mask editing (issue 6): brush/eraser (mm radius, disc or sphere, optional HU range), fill/erase a region on the
// slice, delete an instance, interpolate, relabel, new label, undo/redo (Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y) and named
// versions. This file composes the parts: session and queue (edit/useEditSession), shortcuts (edit/useEditShortcuts),
// strokes from view presses (edit/strokeBuilder) and the sub-panels; the views redraw from the map main serves.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import type { EditPointerTool } from '../viewer/editPointer.js';
import { useEditSession, type NewLabel } from './edit/useEditSession.js';
import { useEditShortcuts } from './edit/useEditShortcuts.js';
import { DEFAULT_BRUSH, PaintedSlices, buildStrokeTool, type BrushSettings } from './edit/strokeBuilder.js';
import { BrushControls } from './edit/BrushControls.js';
import { MoreEdits } from './edit/MoreEdits.js';
import { VersionList } from './edit/VersionList.js';

export function EditPanel(props: {
  labelMaps: SegmentationInfo[];
  /** HU for CT, a.u. otherwise (the threshold brush's range is in it). */
  intensityUnit: string;
  onTool(tool: EditPointerTool | null): void;
  onChanged(): void;
  onStatus(s: string): void;
}) {
  const { labelMaps, onTool, onChanged, onStatus } = props;
  const session = useEditSession(labelMaps, onChanged, onStatus);
  const { segId, state, stroke } = session;
  const [brush, setBrush] = useState<BrushSettings>(DEFAULT_BRUSH);
  const [painted] = useState(() => new PaintedSlices());
  const onBrush = useCallback((patch: Partial<BrushSettings>) => setBrush((b) => ({ ...b, ...patch })), []);

  useEditShortcuts(session.undo, session.redo);

  // The active label must be one of the session's labels (the first one after opening another segmentation).
  useEffect(() => {
    if (state) setBrush((b) => (state.labels.some((l) => l.value === b.activeLabel) ? b : { ...b, activeLabel: state.labels[0]?.value ?? 0 }));
  }, [state]);

  // The views hold one tool per tool choice; it reads the latest settings and session at each press.
  const latest = useRef({ settings: brush, state });
  latest.current = { settings: brush, state };
  const pointerTool = useMemo(
    () => (segId === null ? null : buildStrokeTool(brush.tool, () => latest.current, stroke, painted)),
    [brush.tool, segId, stroke, painted],
  );
  useEffect(() => {
    onTool(pointerTool);
  }, [pointerTool, onTool]);
  useEffect(() => () => onTool(null), [onTool]);

  const createLabel = useCallback(
    async (label: NewLabel) => {
      const l = await session.createLabel(label);
      if (l) setBrush((b) => ({ ...b, activeLabel: l.value }));
      return l?.value;
    },
    [session.createLabel],
  );

  if (labelMaps.length === 0)
    return (
      <div className="edit-panel muted" data-testid="edit-panel">
        Editing: add a label map first.
      </div>
    );
  const seg = labelMaps.find((l) => l.segmentationId === segId);

  return (
    <div className="edit-panel" data-testid="edit-panel">
      <h3>Edit mask</h3>
      <label>
        segmentation{' '}
        <select data-testid="edit-segmentation" value={segId ?? ''} onChange={(e) => session.setSegId(Number(e.target.value))}>
          {labelMaps.map((l) => (
            <option key={l.segmentationId} value={l.segmentationId}>
              {l.name} ({l.source})
            </option>
          ))}
        </select>
      </label>
      <div className="edit-state" data-testid="edit-state" data-version={state?.version ?? ''} data-ready={state ? 'yes' : 'no'}>
        {state ? `version ${state.version}` : 'opening…'} {seg ? <span className="muted">· every stroke is saved</span> : null}
      </div>
      <BrushControls intensityUnit={props.intensityUnit} brush={brush} onBrush={onBrush} state={state} onUndo={session.undo} onRedo={session.redo} />
      <MoreEdits state={state} activeLabel={brush.activeLabel} painted={painted} onStroke={stroke} onCreateLabel={createLabel} />
      <VersionList versions={session.versions} currentVersion={state?.version ?? null} onName={session.nameVersion} onRevert={session.revertTo} />
    </div>
  );
}
