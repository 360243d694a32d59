// UI state of the workstation: ids and flags only (which series, which overlays, how they are drawn). Voxel
// buffers live in viewer/volumeStore, never here.
export interface UiState {
  seriesId: number | null;
  overlayVisible: boolean;
  overlayOpacity: number;
  overlayMode: 'fill' | 'outline';
  /** `${segmentationId}:${labelValue}` the user hid. */
  hiddenLabels: ReadonlySet<string>;
  /** Bumped after an import or a new label map so lists reload. */
  catalogVersion: number;
}

export type UiAction =
  | { type: 'selectSeries'; seriesId: number }
  | { type: 'toggleOverlay' }
  | { type: 'setOpacity'; opacity: number }
  | { type: 'setMode'; mode: 'fill' | 'outline' }
  | { type: 'toggleLabel'; key: string }
  /** One click for a whole label map: hide (or show) every one of these label keys. */
  | { type: 'setLabelsHidden'; keys: readonly string[]; hidden: boolean }
  | { type: 'catalogChanged' };

export const initialUiState: UiState = {
  seriesId: null,
  overlayVisible: true,
  overlayOpacity: 0.5,
  overlayMode: 'fill',
  hiddenLabels: new Set(),
  catalogVersion: 0,
};

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'selectSeries':
      return { ...state, seriesId: action.seriesId, hiddenLabels: new Set() };
    case 'toggleOverlay':
      return { ...state, overlayVisible: !state.overlayVisible };
    case 'setOpacity':
      return { ...state, overlayOpacity: Math.min(1, Math.max(0, action.opacity)) };
    case 'setMode':
      return { ...state, overlayMode: action.mode };
    case 'toggleLabel': {
      const hidden = new Set(state.hiddenLabels);
      if (hidden.has(action.key)) hidden.delete(action.key);
      else hidden.add(action.key);
      return { ...state, hiddenLabels: hidden };
    }
    case 'setLabelsHidden': {
      const hidden = new Set(state.hiddenLabels);
      for (const key of action.keys) {
        if (action.hidden) hidden.add(key);
        else hidden.delete(key);
      }
      return { ...state, hiddenLabels: hidden };
    }
    case 'catalogChanged':
      return { ...state, catalogVersion: state.catalogVersion + 1 };
  }
}
