// The less frequent edits, folded away: interpolate the active label between two slices, move one label's voxels to
// another (relabel), and create a new label.
import { useState } from 'react';
import type { EditState } from '../../../shared/ipc/contract-edit.js';
import type { EditStroke, VoxelPlane } from '../../../shared/domain/editing/strokes.js';
import { CREATED_LABEL_KIND, LABEL_KINDS, type LabelKind } from '../../../shared/domain/labelTable.js';
import { LabelOptions } from './BrushControls.js';
import type { PaintedSlices } from './strokeBuilder.js';
import type { NewLabel } from './useEditSession.js';

function hexToRgb(hex: string): [number, number, number] {
  const h = hex.replace('#', '');
  return [0, 2, 4].map((o) => parseInt(h.slice(o, o + 2), 16)) as [number, number, number];
}

export function MoreEdits(props: {
  state: EditState | null;
  activeLabel: number;
  painted: PaintedSlices;
  onStroke(what: string, stroke: EditStroke): void;
  /** Resolves with the new label's value, or undefined when refused. */
  onCreateLabel(label: NewLabel): Promise<number | undefined>;
}) {
  const { activeLabel, onStroke } = props;
  const [relabelFrom, setRelabelFrom] = useState(0);
  const [relabelTo, setRelabelTo] = useState(0);
  const [interp, setInterp] = useState<{ plane: VoxelPlane; from: number; to: number }>({ plane: 'axial', from: 0, to: 0 });
  const [newLabel, setNewLabel] = useState<{ name: string; colour: string; kind: LabelKind }>({ name: '', colour: '#ff00ff', kind: CREATED_LABEL_KIND });
  const labels = props.state?.labels ?? [];

  return (
    <details>
      <summary data-testid="edit-more">Interpolate · relabel · new label</summary>
      <div className="edit-row">
        interpolate{' '}
        <select value={interp.plane} onChange={(e) => setInterp({ ...interp, plane: e.target.value as VoxelPlane })}>
          <option value="axial">k (axial)</option>
          <option value="coronal">j (coronal)</option>
          <option value="sagittal">i (sagittal)</option>
        </select>
        <input
          className="num"
          type="number"
          min={0}
          value={interp.from}
          onChange={(e) => setInterp({ ...interp, from: Number(e.target.value) })}
          data-testid="edit-interp-from"
        />
        <input
          className="num"
          type="number"
          min={0}
          value={interp.to}
          onChange={(e) => setInterp({ ...interp, to: Number(e.target.value) })}
          data-testid="edit-interp-to"
        />
        <button
          title="Use the last two slices painted"
          onClick={() => {
            const p = props.painted;
            if (p.slices.length === 2) setInterp({ plane: p.plane, from: Math.min(...p.slices), to: Math.max(...p.slices) });
          }}
        >
          last two
        </button>
        <button
          data-testid="edit-interpolate"
          disabled={activeLabel === 0}
          onClick={() => onStroke('Interpolate', { kind: 'interpolate', label: activeLabel, plane: interp.plane, fromSlice: interp.from, toSlice: interp.to })}
        >
          Interpolate
        </button>
      </div>
      <div className="edit-row">
        relabel{' '}
        <select value={relabelFrom} onChange={(e) => setRelabelFrom(Number(e.target.value))} data-testid="edit-relabel-from">
          <option value={0}>from…</option>
          <LabelOptions labels={labels} />
        </select>
        →
        <select value={relabelTo} onChange={(e) => setRelabelTo(Number(e.target.value))} data-testid="edit-relabel-to">
          <option value={0}>background</option>
          <LabelOptions labels={labels} />
        </select>
        <button
          data-testid="edit-relabel"
          disabled={relabelFrom === 0 || relabelFrom === relabelTo}
          onClick={() => onStroke('Relabel', { kind: 'relabel', fromLabel: relabelFrom, toLabel: relabelTo })}
        >
          Move
        </button>
      </div>
      <form
        className="edit-row"
        onSubmit={(e) => {
          e.preventDefault();
          void props.onCreateLabel({ name: newLabel.name.trim(), colorRgb: hexToRgb(newLabel.colour), kind: newLabel.kind }).then((value) => {
            if (value !== undefined) setNewLabel((n) => ({ ...n, name: '' }));
          });
        }}
      >
        <input
          placeholder="new label name"
          value={newLabel.name}
          onChange={(e) => setNewLabel({ ...newLabel, name: e.target.value })}
          data-testid="edit-new-label-name"
        />
        <input
          type="color"
          value={newLabel.colour}
          onChange={(e) => setNewLabel({ ...newLabel, colour: e.target.value })}
          data-testid="edit-new-label-colour"
        />
        <select value={newLabel.kind} onChange={(e) => setNewLabel({ ...newLabel, kind: e.target.value as LabelKind })} data-testid="edit-new-label-kind">
          {LABEL_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <button type="submit" disabled={!newLabel.name.trim()} data-testid="edit-new-label">
          Add
        </button>
      </form>
    </details>
  );
}
