// Everything on screen that belongs to the open series: the views, the probe, its label maps and every panel that
// works on them. App mounts ONE of these per series (keyed by the series id), so switching series unmounts all of
// it at once: no panel, list, edit session, preview or probe of one series can stay on screen under another.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../api.js';
import type { SegmentationInfo, SeriesNode } from '../../shared/ipc/contract.js';
import type { UiAction, UiState } from '../state/uiState.js';
import { useAnalysisState } from '../state/analysisState.js';
import { intensityUnitFor } from '../../shared/domain/intensityUnit.js';
import { Viewer, type ProbeReading } from '../viewer/Viewer.js';
import type { EditPointerTool } from '../viewer/editPointer.js';
import { GeometryBanner } from './GeometryBadge.js';
import { OverlayPanel } from './OverlayPanel.js';
import { ExportPanel } from './ExportPanel.js';
import { EditPanel } from './EditPanel.js';
import { AnalysisPanels } from './AnalysisPanels.js';
import { SHORTCUT_HELP, StatusBar } from './StatusBar.js';

export function OpenSeries(props: {
  seriesId: number;
  series: SeriesNode | undefined;
  ui: UiState;
  dispatch(a: UiAction): void;
  status: string;
  onStatus(s: string): void;
  onCatalogChanged(): void;
}) {
  const { seriesId, series, ui, dispatch, status, onStatus, onCatalogChanged } = props;
  const [labelMaps, setLabelMaps] = useState<SegmentationInfo[]>([]);
  const [probe, setProbe] = useState<ProbeReading | null>(null);
  const [editTool, setEditTool] = useState<EditPointerTool | null>(null);
  const analysis = useAnalysisState(seriesId);
  // The unit of this series' voxel values: HU only for CT (MR signal is never labelled HU).
  const intensityUnit = intensityUnitFor(series?.modality ?? '');

  // Reloaded after every catalog change (new map, edit, import); only maps of this series are ever kept.
  useEffect(() => {
    let alive = true;
    api.call('segmentations.list', { seriesId }).then(
      (r) => alive && setLabelMaps(r.segmentations.filter((l) => l.seriesId === seriesId)),
      (e: unknown) => alive && onStatus(`Label maps: ${String(e)}`),
    );
    return () => {
      alive = false;
    };
  }, [seriesId, ui.catalogVersion, onStatus]);

  const overlay = useMemo(
    () => ({ visible: ui.overlayVisible, opacity: ui.overlayOpacity, mode: ui.overlayMode, hidden: ui.hiddenLabels }),
    [ui.overlayVisible, ui.overlayOpacity, ui.overlayMode, ui.hiddenLabels],
  );
  const toggleOverlay = useCallback(() => dispatch({ type: 'toggleOverlay' }), [dispatch]);

  return (
    <>
      <main className="center" data-series-id={seriesId}>
        {series && <GeometryBanner geometry={series.geometry} />}
        <Viewer
          seriesId={seriesId}
          segmentations={labelMaps}
          overlay={overlay}
          onToggleOverlay={toggleOverlay}
          onProbe={setProbe}
          onStatus={onStatus}
          editTool={editTool}
          analysis={analysis.viewerHooks}
        />
        <StatusBar probe={probe} status={status} />
      </main>
      <aside className="right" data-testid="series-panels" data-series-id={seriesId}>
        <EditPanel labelMaps={labelMaps} intensityUnit={intensityUnit} onTool={setEditTool} onChanged={onCatalogChanged} onStatus={onStatus} />
        <OverlayPanel seriesId={seriesId} segmentations={labelMaps} ui={ui} dispatch={dispatch} onAdded={onCatalogChanged} onStatus={onStatus} />
        <ExportPanel segmentations={labelMaps} onStatus={onStatus} />
        <AnalysisPanels
          seriesId={seriesId}
          segmentations={labelMaps}
          intensityUnit={intensityUnit}
          analysis={analysis}
          onAdded={onCatalogChanged}
          onStatus={onStatus}
        />
        <div className="help muted">{SHORTCUT_HELP}</div>
      </aside>
    </>
  );
}
