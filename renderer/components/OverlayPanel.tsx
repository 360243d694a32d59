// Label maps of the open series: legend with per-label show/hide, global opacity, fill/outline, and
// "add label map from NIfTI file" (the server resamples it onto the series grid and stores it).
import { useState } from 'react';
import { useMethod } from '../state/useMethod.js';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import type { UiAction, UiState } from '../state/uiState.js';

export function OverlayPanel(props: {
  seriesId: number;
  segmentations: SegmentationInfo[];
  ui: UiState;
  dispatch(a: UiAction): void;
  onAdded(): void;
  onStatus(s: string): void;
}) {
  const { ui, dispatch } = props;
  const [niftiPath, setNiftiPath] = useState('');
  const [tablePath, setTablePath] = useState('');
  const adding = useMethod('segmentations.addFromNifti', { onError: (m) => props.onStatus(`Label map not added: ${m}`) });
  const busy = adding.busy;

  const add = async (): Promise<void> => {
    const r = await adding.call({ seriesId: props.seriesId, path: niftiPath.trim(), ...(tablePath.trim() ? { labelTablePath: tablePath.trim() } : {}) });
    if (!r) return;
    props.onStatus(`Added label map "${r.name}" with ${r.labels.length} labels.`);
    props.onAdded();
  };

  return (
    <div className="overlay-panel" data-testid="overlay-panel">
      <h3>Overlays</h3>
      <label>
        <input type="checkbox" checked={ui.overlayVisible} onChange={() => dispatch({ type: 'toggleOverlay' })} data-testid="overlay-visible" /> show (space)
      </label>
      <label>
        opacity{' '}
        <input
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={ui.overlayOpacity}
          data-testid="overlay-opacity"
          onChange={(e) => dispatch({ type: 'setOpacity', opacity: Number(e.target.value) })}
        />
      </label>
      <label>
        <select value={ui.overlayMode} data-testid="overlay-mode" onChange={(e) => dispatch({ type: 'setMode', mode: e.target.value as 'fill' | 'outline' })}>
          <option value="fill">fill</option>
          <option value="outline">outline</option>
        </select>
      </label>
      {props.segmentations.map((lm) => {
        const keys = lm.labels.map((l) => `${lm.segmentationId}:${l.value}`);
        const allHidden = keys.length > 0 && keys.every((k) => ui.hiddenLabels.has(k));
        return (
          <div key={lm.segmentationId} className="labelmap">
            <div className="labelmap-name">
              {lm.name} <span className="muted">({lm.source})</span>{' '}
              <button
                type="button"
                data-testid={`hide-map-${lm.segmentationId}`}
                onClick={() => dispatch({ type: 'setLabelsHidden', keys, hidden: !allHidden })}
                title="hide or show every label of this map"
              >
                {allHidden ? 'show all' : 'hide all'}
              </button>
            </div>
            <ul className="legend" data-testid={`legend-${lm.segmentationId}`}>
              {lm.labels
                .filter((l) => (l.voxels ?? 1) > 0)
                .map((l) => {
                  const key = `${lm.segmentationId}:${l.value}`;
                  return (
                    <li key={key}>
                      <label>
                        <input type="checkbox" checked={!ui.hiddenLabels.has(key)} onChange={() => dispatch({ type: 'toggleLabel', key })} />
                        <span className="swatch" style={{ background: `rgb(${l.colorRgb.join(',')})` }} /> {l.name}
                      </label>
                    </li>
                  );
                })}
            </ul>
          </div>
        );
      })}
      <form
        className="add-nifti"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <input data-testid="nifti-path" placeholder="label map .nii.gz path" value={niftiPath} onChange={(e) => setNiftiPath(e.target.value)} />
        <input data-testid="label-table-path" placeholder="label table .csv (optional)" value={tablePath} onChange={(e) => setTablePath(e.target.value)} />
        <button type="submit" data-testid="add-nifti" disabled={busy || !niftiPath.trim()}>
          Add label map from NIfTI
        </button>
      </form>
    </div>
  );
}
