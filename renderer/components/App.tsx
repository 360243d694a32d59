// The workstation page: study browser and import on the left; the open series (three linked views, probe, overlays
// and analysis panels) in the middle and on the right, as one unit keyed by the series.
import { useCallback, useEffect, useMemo, useReducer, useState } from 'react';
import { api } from '../api.js';
import type { MethodOutput, PatientNode, SeriesNode } from '../../shared/ipc/contract.js';
import { initialUiState, uiReducer } from '../state/uiState.js';
import { StudyBrowser } from './StudyBrowser.js';
import { ImportPanel } from './ImportPanel.js';
import { OpenSeries } from './OpenSeries.js';
import { SHORTCUT_HELP, StatusBar } from './StatusBar.js';
import { ShortcutsOverlay } from './ShortcutsOverlay.js';
import { TimelineView } from './timeline/TimelineView.js';
import { loadViewerVolume } from '../viewer/volumeStore.js';

export function App() {
  const [ui, dispatch] = useReducer(uiReducer, initialUiState);
  const [info, setInfo] = useState<MethodOutput<'app.info'> | null>(null);
  const [patients, setPatients] = useState<PatientNode[]>([]);
  const [status, setStatus] = useState('');
  // the patient whose follow-up timeline replaces the open series (index into the catalog list: ids may repeat)
  const [timelineOf, setTimelineOf] = useState<number | null>(null);

  useEffect(() => {
    api.call('app.info', {}).then(setInfo, (e: unknown) => setStatus(String(e)));
  }, []);
  useEffect(() => {
    api.call('catalog.list', {}).then(
      (r) => setPatients(r.patients),
      (e: unknown) => setStatus(`Catalog: ${String(e)}`),
    );
  }, [ui.catalogVersion]);

  const series: SeriesNode | undefined = useMemo(
    () => patients.flatMap((p) => p.studies.flatMap((s) => s.series)).find((s) => s.seriesId === ui.seriesId),
    [patients, ui.seriesId],
  );
  const catalogChanged = useCallback(() => dispatch({ type: 'catalogChanged' }), []);
  // A status line is about the series it came from: it goes when another series opens.
  const selectSeries = useCallback(
    (seriesId: number) => {
      if (seriesId !== ui.seriesId) setStatus('');
      // Start opening the volume at the click, while the viewer renders (the viewer joins this load).
      loadViewerVolume(seriesId).catch(() => undefined);
      setTimelineOf(null);
      dispatch({ type: 'selectSeries', seriesId });
    },
    [ui.seriesId],
  );

  return (
    <div className="app">
      <ShortcutsOverlay />
      <aside className="left">
        <h2>medseg</h2>
        <ImportPanel canPick={info?.canPickPaths ?? false} onImported={catalogChanged} onStatus={setStatus} />
        <StudyBrowser patients={patients} selected={ui.seriesId} onSelect={selectSeries} onTimeline={setTimelineOf} />
      </aside>
      {timelineOf !== null && patients[timelineOf] ? (
        <TimelineView key={timelineOf} patient={patients[timelineOf]} onClose={() => setTimelineOf(null)} />
      ) : ui.seriesId !== null ? (
        // The one key of the page that names a series: everything of the previous series unmounts with it.
        <OpenSeries
          key={ui.seriesId}
          seriesId={ui.seriesId}
          series={series}
          ui={ui}
          dispatch={dispatch}
          status={status}
          onStatus={setStatus}
          onCatalogChanged={catalogChanged}
        />
      ) : (
        <>
          <main className="center">
            <div className="viewer-message">Select a series.</div>
            <StatusBar probe={null} status={status} />
          </main>
          <aside className="right">
            <div className="help muted">{SHORTCUT_HELP}</div>
          </aside>
        </>
      )}
    </div>
  );
}
