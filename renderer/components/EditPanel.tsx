// Mask editing toolbar (issue 6): brush/eraser (mm radius, disc or sphere, optional HU range), fill/erase a region
// on the slice, delete an instance, interpolate, relabel, new label, undo/redo (Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y) and
// named versions. Strokes go to main through the method table; the views redraw from the label map main serves.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api.js';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import type { EditChange, EditState } from '../../shared/ipc/contract-edit.js';
import type { EditStroke, VoxelPlane } from '../../shared/domain/editing/strokes.js';
import type { Vec3 } from '../../shared/domain/volume.js';
import { drawBrushPreview, type EditPointerTool, type EditPointerView } from '../viewer/editPointer.js';
import { patchLabelMap } from '../viewer/volumeStore.js';

type Tool = 'navigate' | 'brush' | 'eraser' | 'fill' | 'eraseRegion' | 'deleteInstance';
const TOOLS: { tool: Tool; label: string; title: string }[] = [
  { tool: 'navigate', label: 'Nav', title: 'Left click moves the crosshair (no editing)' },
  { tool: 'brush', label: 'Brush', title: 'Paint the active label by dragging' },
  { tool: 'eraser', label: 'Eraser', title: 'Erase any label by dragging' },
  { tool: 'fill', label: 'Fill', title: 'Click: fill the connected region on this slice with the active label' },
  { tool: 'eraseRegion', label: 'Erase region', title: 'Click: erase the connected label region on this slice' },
  { tool: 'deleteInstance', label: 'Delete instance', title: 'Click: delete the 3D connected object under the pointer' },
];

interface Version {
  id: number;
  seq: number;
  name: string;
  createdAt: string;
}

/** The editing plane whose fixed voxel axis is the view's slice axis (views reformat by direction, edits by index). */
const PLANE_OF_AXIS: Record<number, VoxelPlane> = { 0: 'sagittal', 1: 'coronal', 2: 'axial' };
const MAX_PATH = 10_000;

export function EditPanel(props: {
  segmentations: SegmentationInfo[];
  onTool(tool: EditPointerTool | null): void;
  onChanged(): void;
  onStatus(s: string): void;
}) {
  const { segmentations, onTool, onChanged, onStatus } = props;
  const [segId, setSegId] = useState<number | null>(null);
  const [state, setState] = useState<EditState | null>(null);
  const [versions, setVersions] = useState<Version[]>([]);
  const [tool, setTool] = useState<Tool>('navigate');
  const [radiusMm, setRadiusMm] = useState(5);
  const [shape, setShape] = useState<'disc' | 'sphere'>('disc');
  const [thresholdOn, setThresholdOn] = useState(false);
  const [huLo, setHuLo] = useState(-100);
  const [huHi, setHuHi] = useState(200);
  const [activeLabel, setActiveLabel] = useState(0);
  const [relabelFrom, setRelabelFrom] = useState(0);
  const [relabelTo, setRelabelTo] = useState(0);
  const [interp, setInterp] = useState<{ plane: VoxelPlane; from: number; to: number }>({ plane: 'axial', from: 0, to: 0 });
  const [newLabel, setNewLabel] = useState({ name: '', colour: '#ff00ff', kind: 'lesion' as 'organ' | 'lesion' | 'other' });
  const [versionName, setVersionName] = useState('');
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const editedSlices = useRef<{ plane: VoxelPlane; slices: number[] }>({ plane: 'axial', slices: [] });

  // Default to the newest segmentation of the series; keep the choice while it exists.
  useEffect(() => {
    if (segId !== null && segmentations.some((l) => l.segmentationId === segId)) return;
    setSegId(segmentations.length ? segmentations[segmentations.length - 1].segmentationId : null);
  }, [segmentations, segId]);

  const fail = useCallback((what: string) => (err: unknown) => onStatus(`${what}: ${err instanceof Error ? err.message : String(err)}`), [onStatus]);

  const loadVersions = useCallback(
    (id: number) => api.call('edit.versions', { segmentationId: id }).then((r) => setVersions(r.versions), fail('Versions')),
    [fail],
  );

  useEffect(() => {
    setState(null);
    if (segId === null) return;
    let alive = true;
    api.call('edit.open', { segmentationId: segId }).then((s) => {
      if (!alive) return;
      setState(s);
      setActiveLabel((a) => (s.labels.some((l) => l.value === a) ? a : (s.labels[0]?.value ?? 0)));
      void loadVersions(segId);
    }, fail('Cannot edit'));
    return () => {
      alive = false;
    };
  }, [segId, fail, loadVersions]);

  /** Every call is queued so strokes, undo and redo reach main in the order the user made them. */
  const run = useCallback(<T,>(job: () => Promise<T>): Promise<T | undefined> => {
    const next = queue.current.then(job);
    queue.current = next.catch(() => undefined);
    return next.catch((err: unknown) => {
      fail('Edit refused')(err);
      return undefined;
    });
  }, [fail]);

  const applied = useCallback(
    (what: string, r: EditChange | undefined) => {
      if (!r) return;
      setState((s) => (s && s.segmentationId === r.segmentationId ? { ...s, version: r.version, canUndo: r.canUndo, canRedo: r.canRedo } : s));
      // Re-list: new voxel counts, and the views pick up the patched label map.
      if (r.changedVoxels > 0) onChanged();
      onStatus(`${what}: ${r.changedVoxels} voxels changed (version ${r.version}).`);
      void loadVersions(r.segmentationId);
    },
    [onChanged, onStatus, loadVersions],
  );

  /**
   * One edit as a queued job: the call, then the changed box fetched into the viewer's copy before the next edit
   * is sent, so patches apply in the order main applied the edits.
   */
  const change = useCallback(
    (what: string, call: () => Promise<EditChange>) =>
      run(async () => {
        const r = await call();
        if (r.changedBoundsIjk) await patchLabelMap(r.segmentationId, r.changedBoundsIjk);
        return r;
      }).then((r) => applied(what, r)),
    [run, applied],
  );

  const stroke = useCallback(
    (what: string, s: EditStroke) => {
      if (segId === null) return;
      void change(what, () => api.call('edit.stroke', { segmentationId: segId, stroke: s }));
    },
    [segId, change],
  );
  const undo = useCallback(() => {
    if (segId !== null) void change('Undo', () => api.call('edit.undo', { segmentationId: segId }));
  }, [segId, change]);
  const redo = useCallback(() => {
    if (segId !== null) void change('Redo', () => api.call('edit.redo', { segmentationId: segId }));
  }, [segId, change]);

  // Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y; text fields keep their own undo.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) undo();
      else if ((key === 'z' && e.shiftKey) || key === 'y') redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo, redo]);

  // The tool reads its settings when a press starts, so changing the radius does not rebuild it.
  const settings = useRef({ tool, radiusMm, shape, thresholdOn, huLo, huHi, activeLabel, state, stroke });
  settings.current = { tool, radiusMm, shape, thresholdOn, huLo, huHi, activeLabel, state, stroke };

  const pointerTool = useMemo<EditPointerTool | null>(() => {
    if (tool === 'navigate' || segId === null) return null;
    let view: EditPointerView | null = null;
    let path: Vec3[] = [];
    let last: { x: number; y: number } | null = null;
    let colour = '#fff';
    const rememberSlice = (plane: VoxelPlane, slice: number): void => {
      const e = editedSlices.current;
      const slices = e.plane === plane ? e.slices.filter((s) => s !== slice) : [];
      editedSlices.current = { plane, slices: [...slices, slice].slice(-2) };
    };
    return {
      begin(v, at) {
        const s = settings.current;
        if (!s.state) return false;
        const plane = PLANE_OF_AXIS[v.axes.sliceAxis];
        const seed = at.ijk.map((x) => Math.round(x)) as Vec3;
        const range = s.thresholdOn && s.state?.hasImageValues ? { intensityRange: { lo: Math.min(s.huLo, s.huHi), hi: Math.max(s.huLo, s.huHi) } } : {};
        if (s.tool === 'fill' || s.tool === 'eraseRegion') {
          if (s.tool === 'fill' && s.activeLabel === 0) return false;
          s.stroke(s.tool === 'fill' ? 'Fill' : 'Erase region', { kind: 'fill', mode: s.tool === 'fill' ? 'paint' : 'erase', label: s.tool === 'fill' ? s.activeLabel : 0, plane, seedIjk: seed, ...range });
          if (s.tool === 'fill') rememberSlice(plane, v.slice);
          view = null;
          return true;
        }
        if (s.tool === 'deleteInstance') {
          s.stroke('Delete instance', { kind: 'deleteInstance', seedIjk: seed });
          view = null;
          return true;
        }
        if (s.tool === 'brush' && s.activeLabel === 0) return false;
        view = v;
        path = [at.ijk];
        last = at.pixel;
        const info = s.state.labels.find((l) => l.value === s.activeLabel);
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
        drawBrushPreview(view, [last, at.pixel], settings.current.radiusMm, colour);
        last = at.pixel;
      },
      end() {
        if (!view) return;
        const s = settings.current;
        const plane = PLANE_OF_AXIS[view.axes.sliceAxis];
        const range = s.thresholdOn && s.state?.hasImageValues ? { intensityRange: { lo: Math.min(s.huLo, s.huHi), hi: Math.max(s.huLo, s.huHi) } } : {};
        const erase = s.tool === 'eraser';
        s.stroke(erase ? 'Erase' : 'Brush', {
          kind: 'brush',
          mode: erase ? 'erase' : 'paint',
          label: erase ? 0 : s.activeLabel,
          pathIjk: path,
          radiusMm: s.radiusMm,
          shape: s.shape,
          plane,
          ...range,
        });
        if (!erase && s.shape === 'disc') rememberSlice(plane, view.slice);
        view = null;
        last = null;
        path = [];
      },
    };
  }, [tool, segId]);

  useEffect(() => {
    onTool(pointerTool);
  }, [pointerTool, onTool]);
  useEffect(() => () => onTool(null), [onTool]);

  if (segmentations.length === 0) return <div className="edit-panel muted" data-testid="edit-panel">Editing: add a segmentation first.</div>;
  const labels = state?.labels ?? [];
  const labelOptions = labels.map((l) => (
    <option key={l.value} value={l.value}>
      {l.value} {l.name}
    </option>
  ));
  const seg = segmentations.find((l) => l.segmentationId === segId);

  return (
    <div className="edit-panel" data-testid="edit-panel">
      <h3>Edit mask</h3>
      <label>
        segmentation{' '}
        <select data-testid="edit-segmentation" value={segId ?? ''} onChange={(e) => setSegId(Number(e.target.value))}>
          {segmentations.map((l) => (
            <option key={l.segmentationId} value={l.segmentationId}>
              {l.name} ({l.source})
            </option>
          ))}
        </select>
      </label>
      <div className="edit-state" data-testid="edit-state" data-version={state?.version ?? ''} data-ready={state ? 'yes' : 'no'}>
        {state ? `version ${state.version}` : 'opening…'} {seg ? <span className="muted">· every stroke is saved</span> : null}
      </div>
      <div className="edit-tools">
        {TOOLS.map((t) => (
          <button key={t.tool} title={t.title} data-testid={`edit-tool-${t.tool}`} className={tool === t.tool ? 'on' : ''} onClick={() => setTool(t.tool)}>
            {t.label}
          </button>
        ))}
      </div>
      <label>
        label{' '}
        <select data-testid="edit-label" value={activeLabel} onChange={(e) => setActiveLabel(Number(e.target.value))}>
          {labelOptions}
        </select>
      </label>
      <label>
        radius{' '}
        <input data-testid="edit-radius" type="number" min={0.5} max={100} step={0.5} value={radiusMm} onChange={(e) => setRadiusMm(Math.max(0.5, Number(e.target.value) || 0.5))} /> mm
      </label>
      <label>
        <select data-testid="edit-shape" value={shape} onChange={(e) => setShape(e.target.value as 'disc' | 'sphere')}>
          <option value="disc">2D disc</option>
          <option value="sphere">3D sphere</option>
        </select>
      </label>
      <label title={state && !state.hasImageValues ? 'The image values are not available for this segmentation' : ''}>
        <input type="checkbox" data-testid="edit-threshold" checked={thresholdOn} disabled={!state?.hasImageValues} onChange={(e) => setThresholdOn(e.target.checked)} /> only HU{' '}
        <input className="num" type="number" value={huLo} onChange={(e) => setHuLo(Number(e.target.value))} data-testid="edit-hu-lo" /> to{' '}
        <input className="num" type="number" value={huHi} onChange={(e) => setHuHi(Number(e.target.value))} data-testid="edit-hu-hi" />
      </label>
      <div className="edit-row">
        <button data-testid="edit-undo" disabled={!state?.canUndo} onClick={undo} title="Ctrl+Z">
          Undo
        </button>
        <button data-testid="edit-redo" disabled={!state?.canRedo} onClick={redo} title="Ctrl+Shift+Z or Ctrl+Y">
          Redo
        </button>
      </div>
      <details>
        <summary data-testid="edit-more">Interpolate · relabel · new label</summary>
        <div className="edit-row">
          interpolate{' '}
          <select value={interp.plane} onChange={(e) => setInterp({ ...interp, plane: e.target.value as VoxelPlane })}>
            <option value="axial">k (axial)</option>
            <option value="coronal">j (coronal)</option>
            <option value="sagittal">i (sagittal)</option>
          </select>
          <input className="num" type="number" min={0} value={interp.from} onChange={(e) => setInterp({ ...interp, from: Number(e.target.value) })} data-testid="edit-interp-from" />
          <input className="num" type="number" min={0} value={interp.to} onChange={(e) => setInterp({ ...interp, to: Number(e.target.value) })} data-testid="edit-interp-to" />
          <button
            title="Use the last two slices painted"
            onClick={() => {
              const e = editedSlices.current;
              if (e.slices.length === 2) setInterp({ plane: e.plane, from: Math.min(...e.slices), to: Math.max(...e.slices) });
            }}
          >
            last two
          </button>
          <button data-testid="edit-interpolate" disabled={activeLabel === 0} onClick={() => stroke('Interpolate', { kind: 'interpolate', label: activeLabel, plane: interp.plane, fromSlice: interp.from, toSlice: interp.to })}>
            Interpolate
          </button>
        </div>
        <div className="edit-row">
          relabel{' '}
          <select value={relabelFrom} onChange={(e) => setRelabelFrom(Number(e.target.value))} data-testid="edit-relabel-from">
            <option value={0}>from…</option>
            {labelOptions}
          </select>
          →
          <select value={relabelTo} onChange={(e) => setRelabelTo(Number(e.target.value))} data-testid="edit-relabel-to">
            <option value={0}>background</option>
            {labelOptions}
          </select>
          <button data-testid="edit-relabel" disabled={relabelFrom === 0 || relabelFrom === relabelTo} onClick={() => stroke('Relabel', { kind: 'relabel', fromLabel: relabelFrom, toLabel: relabelTo })}>
            Move
          </button>
        </div>
        <form
          className="edit-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (segId === null) return;
            const hex = newLabel.colour.replace('#', '');
            const colorRgb: [number, number, number] = [0, 2, 4].map((o) => parseInt(hex.slice(o, o + 2), 16)) as [number, number, number];
            void run(() => api.call('edit.createLabel', { segmentationId: segId, label: { name: newLabel.name.trim(), colorRgb, kind: newLabel.kind } })).then((l) => {
              if (!l) return;
              setState((s) => (s ? { ...s, labels: [...s.labels, l] } : s));
              setActiveLabel(l.value);
              setNewLabel({ ...newLabel, name: '' });
              onChanged();
              onStatus(`New label ${l.value} "${l.name}".`);
            });
          }}
        >
          <input placeholder="new label name" value={newLabel.name} onChange={(e) => setNewLabel({ ...newLabel, name: e.target.value })} data-testid="edit-new-label-name" />
          <input type="color" value={newLabel.colour} onChange={(e) => setNewLabel({ ...newLabel, colour: e.target.value })} data-testid="edit-new-label-colour" />
          <select value={newLabel.kind} onChange={(e) => setNewLabel({ ...newLabel, kind: e.target.value as 'organ' | 'lesion' | 'other' })}>
            <option value="organ">organ</option>
            <option value="lesion">lesion</option>
            <option value="other">other</option>
          </select>
          <button type="submit" disabled={!newLabel.name.trim()} data-testid="edit-new-label">
            Add
          </button>
        </form>
      </details>
      <div className="versions">
        <form
          className="edit-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (segId === null) return;
            void run(() => api.call('edit.nameVersion', { segmentationId: segId, name: versionName.trim() })).then((v) => {
              if (!v) return;
              setVersionName('');
              onStatus(`Version "${v.name}" named.`);
              void loadVersions(segId);
            });
          }}
        >
          <input placeholder="name this version (e.g. reviewed by …)" value={versionName} onChange={(e) => setVersionName(e.target.value)} data-testid="edit-version-name" />
          <button type="submit" disabled={!versionName.trim()} data-testid="edit-name-version">
            Name
          </button>
        </form>
        <ul className="version-list" data-testid="edit-versions">
          {[...versions].reverse().map((v) => (
            <li key={v.id} className={v.seq === state?.version ? 'current' : ''}>
              {v.name} <span className="muted">#{v.seq}</span>{' '}
              <button onClick={() => segId !== null && void change(`Back to "${v.name}"`, () => api.call('edit.revertTo', { segmentationId: segId, versionId: v.id }))}>
                go back
              </button>
            </li>
          ))}
          <li>
            original <span className="muted">as stored</span>{' '}
            <button data-testid="edit-revert-original" onClick={() => segId !== null && void change('Back to the original', () => api.call('edit.revertTo', { segmentationId: segId, versionId: 0 }))}>
              go back
            </button>
          </li>
        </ul>
      </div>
    </div>
  );
}
