// The editing toolbar: tool buttons, active label, brush radius and shape, the optional HU range, undo and redo.
import type { EditState } from '../../../shared/ipc/contract-edit.js';
import type { BrushSettings, EditTool } from './strokeBuilder.js';

const TOOLS: { tool: EditTool; label: string; title: string }[] = [
  { tool: 'navigate', label: 'Nav', title: 'Left click moves the crosshair (no editing)' },
  { tool: 'brush', label: 'Brush', title: 'Paint the active label by dragging' },
  { tool: 'eraser', label: 'Eraser', title: 'Erase any label by dragging' },
  { tool: 'fill', label: 'Fill', title: 'Click: fill the connected region on this slice with the active label' },
  { tool: 'eraseRegion', label: 'Erase region', title: 'Click: erase the connected label region on this slice' },
  { tool: 'deleteInstance', label: 'Delete instance', title: 'Click: delete the 3D connected object under the pointer' },
];

export function LabelOptions({ labels }: { labels: EditState['labels'] }) {
  return (
    <>
      {labels.map((l) => (
        <option key={l.value} value={l.value}>
          {l.value} {l.name}
        </option>
      ))}
    </>
  );
}

export function BrushControls(props: {
  intensityUnit: string;
  brush: BrushSettings;
  onBrush(patch: Partial<BrushSettings>): void;
  state: EditState | null;
  onUndo(): void;
  onRedo(): void;
}) {
  const { brush, onBrush, state } = props;
  return (
    <>
      <div className="edit-tools">
        {TOOLS.map((t) => (
          <button
            key={t.tool}
            title={t.title}
            data-testid={`edit-tool-${t.tool}`}
            className={brush.tool === t.tool ? 'on' : ''}
            onClick={() => onBrush({ tool: t.tool })}
          >
            {t.label}
          </button>
        ))}
      </div>
      <label>
        label{' '}
        <select data-testid="edit-label" value={brush.activeLabel} onChange={(e) => onBrush({ activeLabel: Number(e.target.value) })}>
          <LabelOptions labels={state?.labels ?? []} />
        </select>
      </label>
      <label>
        only over{' '}
        <select
          data-testid="edit-only-over"
          value={brush.onlyOverLabel ?? ''}
          onChange={(e) => onBrush({ onlyOverLabel: e.target.value === '' ? null : Number(e.target.value) })}
          title="The brush paints only voxels that hold this label now"
        >
          <option value="">any voxel</option>
          <option value="0">background</option>
          <LabelOptions labels={state?.labels ?? []} />
        </select>
      </label>
      <label>
        radius{' '}
        <input
          data-testid="edit-radius"
          type="number"
          min={0.5}
          max={100}
          step={0.5}
          value={brush.radiusMm}
          onChange={(e) => onBrush({ radiusMm: Math.max(0.5, Number(e.target.value) || 0.5) })}
        />{' '}
        mm
      </label>
      <label>
        <select data-testid="edit-shape" value={brush.shape} onChange={(e) => onBrush({ shape: e.target.value as 'disc' | 'sphere' })}>
          <option value="disc">2D disc</option>
          <option value="sphere">3D sphere</option>
        </select>
      </label>
      <label title={state && !state.hasImageValues ? 'The image values are not available for this segmentation' : ''}>
        <input
          type="checkbox"
          data-testid="edit-threshold"
          checked={brush.thresholdOn}
          disabled={!state?.hasImageValues}
          onChange={(e) => onBrush({ thresholdOn: e.target.checked })}
        />{' '}
        only {props.intensityUnit}{' '}
        <input className="num" type="number" value={brush.huLo} onChange={(e) => onBrush({ huLo: Number(e.target.value) })} data-testid="edit-hu-lo" /> to{' '}
        <input className="num" type="number" value={brush.huHi} onChange={(e) => onBrush({ huHi: Number(e.target.value) })} data-testid="edit-hu-hi" />
      </label>
      <div className="edit-row">
        <button data-testid="edit-undo" disabled={!state?.canUndo} onClick={props.onUndo} title="Ctrl+Z">
          Undo
        </button>
        <button data-testid="edit-redo" disabled={!state?.canRedo} onClick={props.onRedo} title="Ctrl+Shift+Z or Ctrl+Y">
          Redo
        </button>
      </div>
    </>
  );
}
