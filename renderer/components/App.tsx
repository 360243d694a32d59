// The workstation page: study browser and import on the left, three linked views in the middle, overlays on the
// right, probe and status at the bottom.
import { useCallback, useEffect, useMemo, useReducer, useState } from 'react';
import { api } from '../api.js';
import type { SegmentationInfo, MethodOutput, PatientNode, SeriesNode } from '../../shared/ipc/contract.js';
import { initialUiState, uiReducer } from '../state/uiState.js';
import { Viewer, type ProbeReading } from '../viewer/Viewer.js';
import { StudyBrowser } from './StudyBrowser.js';
import { ImportPanel } from './ImportPanel.js';
import { OverlayPanel } from './OverlayPanel.js';
import { GeometryBanner } from './GeometryBadge.js';
import { EditPanel } from './EditPanel.js';
import { AnalysisPanels } from './AnalysisPanels.js';
import { useAnalysisState } from '../state/analysisState.js';
import type { EditPointerTool } from '../viewer/editPointer.js';

export function App() {
  const [ui, dispatch] = useReducer(uiReducer, initialUiState);
  const [info, setInfo] = useState<MethodOutput<'app.info'> | null>(null);
  const [patients, setPatients] = useState<PatientNode[]>([]);
  const [segmentations, setSegmentations] = useState<SegmentationInfo[]>([]);
  const [probe, setProbe] = useState<ProbeReading | null>(null);
  const analysis = useAnalysisState(ui.seriesId);
  const [status, setStatus] = useState('');
  const [editTool, setEditTool] = useState<EditPointerTool | null>(null);

  useEffect(() => {
    api.call('app.info', {}).then(setInfo, (e: unknown) => setStatus(String(e)));
  }, []);
  useEffect(() => {
    api.call('catalog.list', {}).then((r) => setPatients(r.patients), (e: unknown) => setStatus(`Catalog: ${String(e)}`));
  }, [ui.catalogVersion]);
  useEffect(() => {
    if (ui.seriesId === null) return;
    let alive = true;
    setSegmentations((old) => (old.every((l) => l.seriesId === ui.seriesId) ? old : []));
    api.call('segmentations.list', { seriesId: ui.seriesId }).then(
      (r) => alive && setSegmentations(r.segmentations),
      (e: unknown) => alive && setStatus(`Segmentations: ${String(e)}`),
    );
    return () => {
      alive = false;
    };
  }, [ui.seriesId, ui.catalogVersion]);

  const series: SeriesNode | undefined = useMemo(
    () => patients.flatMap((p) => p.studies.flatMap((s) => s.series)).find((s) => s.seriesId === ui.seriesId),
    [patients, ui.seriesId],
  );
  const overlay = useMemo(
    () => ({ visible: ui.overlayVisible, opacity: ui.overlayOpacity, mode: ui.overlayMode, hidden: ui.hiddenLabels }),
    [ui.overlayVisible, ui.overlayOpacity, ui.overlayMode, ui.hiddenLabels],
  );
  const toggleOverlay = useCallback(() => dispatch({ type: 'toggleOverlay' }), []);
  const catalogChanged = useCallback(() => dispatch({ type: 'catalogChanged' }), []);

  return (
    <div className="app">
      <aside className="left">
        <h2>medseg</h2>
        <ImportPanel canPick={info?.canPickPaths ?? false} onImported={catalogChanged} onStatus={setStatus} />
        <StudyBrowser patients={patients} selected={ui.seriesId} onSelect={(seriesId) => dispatch({ type: 'selectSeries', seriesId })} />
      </aside>
      <main className="center">
        {series && <GeometryBanner geometry={series.geometry} />}
        {ui.seriesId !== null ? (
          <Viewer
            key={ui.seriesId}
            seriesId={ui.seriesId}
            segmentations={segmentations}
            overlay={overlay}
            onToggleOverlay={toggleOverlay}
            onProbe={setProbe}
            onStatus={setStatus}
            editTool={editTool}
            analysis={analysis.viewerHooks}
          />
        ) : (
          <div className="viewer-message">Select a series.</div>
        )}
        <footer className="statusbar">
          <span data-testid="probe">
            {probe ? (
              <>
                <span data-testid="probe-value">{Number.isInteger(probe.value) ? probe.value : probe.value.toFixed(2)}</span> {probe.unit}{' '}
                <span data-testid="probe-lps">{probe.lpsMm ? `LPS (${probe.lpsMm.map((v) => v.toFixed(1)).join(', ')}) mm` : 'LPS unavailable (unsafe geometry)'}</span>{' '}
                <span className="muted" data-testid="probe-ijk">voxel [{probe.ijk.join(', ')}]</span>
              </>
            ) : (
              <span className="muted">move over an image to read values</span>
            )}
          </span>
          <span className="status" data-testid="status">
            {status}
          </span>
        </footer>
      </main>
      <aside className="right">
        {ui.seriesId !== null && <EditPanel key={ui.seriesId} segmentations={segmentations} onTool={setEditTool} onChanged={catalogChanged} onStatus={setStatus} />}
        {ui.seriesId !== null && (
          <OverlayPanel key={ui.seriesId} seriesId={ui.seriesId} segmentations={segmentations} ui={ui} dispatch={dispatch} onAdded={catalogChanged} onStatus={setStatus} />
        )}
        {ui.seriesId !== null && <AnalysisPanels key={ui.seriesId} seriesId={ui.seriesId} segmentations={segmentations} analysis={analysis} onAdded={catalogChanged} onStatus={setStatus} />}
        <div className="help muted">
          wheel/↑↓/PgUp/PgDn scroll · click crosshair · right-drag W/L · shift/middle-drag pan · ctrl+wheel or +/- zoom · 1 soft tissue 2 lung 3 bone 4 brain 5 liver · R reset · space overlay · X crosshair
        </div>
      </aside>
    </div>
  );
}
