// The linked views of one series: three planes and the 3D view in a 1×1, 1×3 or 2×2 layout (double-click maximises a
// view), shared crosshair and window/level, cine, keyboard habits of radiology viewers (arrows/PageUp/PageDown
// scroll, 1-5 presets, R reset, space overlay, +/- zoom, X crosshair, C cine, L layout), probe and overlays.
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { PLANES, patientViewAxes, type Plane } from '../../shared/domain/mpr.js';
import { api } from '../api.js';
import type { AnnotationWire } from '../../shared/ipc/contract-annotations.js';
import { ijkToLps, type Vec3 } from '../../shared/domain/volume.js';
import { clampFps, gridShape, LAYOUTS, nextCineSlice, toggleMaximised, visibleViews, type LayoutId, type ViewId } from '../../shared/domain/view3d/layout.js';
import { voxelForSurfacePick } from '../../shared/domain/view3d/pickVoxel.js';
import { rulerLengthMm, rulerText } from '../../shared/domain/reading/ruler.js';
import { angleDegrees } from '../../shared/domain/reading/annotations.js';
import type { Ruler } from './rulers.js';
import { annotationFocusIjk, DRAW_TOOLS, listLine, placeAnnotation, type DrawTool, type PlacedAnnotation } from './annotationTools.js';
import { useSurfaceMeshes } from '../viewer3d/surfaceSource.js';
import type { ScenePick, SurfaceStyle } from '../viewer3d/scene.js';

// vtk.js is most of the renderer's code: it loads (from our own origin) only when a 3D view first appears.
const View3d = lazy(() => import('../viewer3d/View3d.js').then((m) => ({ default: m.View3d })));
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import { MprView, type ViewControls, type Voi } from './MprView.js';
import {
  loadViewerLabelMap,
  loadViewerVolume,
  registerVolumeImageLoader,
  volumeDigest,
  watchViewerVolume,
  arrivedValues,
  type ViewerLabelMap,
  type ViewerVolume,
} from './volumeStore.js';
import { CT_PRESETS, defaultWindow, windowPresetsFor } from '../../shared/domain/windowing.js';
import type { OverlayStyle } from './overlay.js';
import { useAnalysisLayers, type ViewerAnalysisHooks } from './analysisLayers.js';
import type { EditPointerTool } from './editPointer.js';
import { keyBelongsToViews } from './keyRouting.js';
import { ResectionPanel, type CutClicks } from './ResectionPanel.js';
import { lpsToIjk } from '../../shared/domain/volume.js';
import { planeBoxPolygon, planeSliceSegment } from '../../shared/domain/planning/planePose.js';
import type { CutPlane } from '../../shared/domain/planning/resection.js';

export type { OverlayStyle } from './overlay.js';

export interface ProbeReading {
  ijk: Vec3;
  value: number;
  lpsMm: Vec3 | null;
  unit: string;
  /** The labels under the cursor, one per shown label map that has one there (name of the label, name of the map). */
  labels: { name: string; map: string; colorRgb: [number, number, number] }[];
}

export interface ViewerProps {
  seriesId: number;
  segmentations: readonly SegmentationInfo[];
  overlay: OverlayStyle;
  onToggleOverlay(): void;
  onProbe(reading: ProbeReading | null): void;
  onStatus(text: string): void;
  /** Analysis panels: classical-tool preview layer, jump to a point, voxel picks (region-grow seeds). */
  analysis?: ViewerAnalysisHooks;
  /** Mask editing tool for left presses on the views (null: navigate). */
  editTool?: EditPointerTool | null;
}

export function Viewer({ seriesId, segmentations, overlay, onToggleOverlay, onProbe, onStatus, editTool, analysis }: ViewerProps) {
  const [vol, setVol] = useState<ViewerVolume | null>(null);
  // Slices received so far while the volume loads progressively (redraws the views as data arrives).
  const [slicesLoaded, setSlicesLoaded] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [crosshair, setCrosshair] = useState<Vec3>([0, 0, 0]);
  const [voi, setVoi] = useState<Voi>(CT_PRESETS[0].voi);
  const [active, setActive] = useState<ViewId>('axial');
  const [layout, setLayout] = useState<LayoutId>('1x3');
  const [maximised, setMaximised] = useState<ViewId | null>(null);
  const [cinePlaying, setCinePlaying] = useState(false);
  const [cineFps, setCineFps] = useState(10);
  const [drawTool, setDrawTool] = useState<DrawTool | null>(null);
  const [rulers, setRulers] = useState<Ruler[]>([]);
  /** Stored annotations other than rulers (angles, ROIs, text): drawn on their slice and listed with their figures. */
  const [otherAnnotations, setOtherAnnotations] = useState<AnnotationWire[]>([]);
  const [selectedAnnotation, setSelectedAnnotation] = useState<number | null>(null);
  const [surfaceStyles, setSurfaceStyles] = useState<ReadonlyMap<string, SurfaceStyle>>(new Map());
  const [showCrosshair, setShowCrosshair] = useState(true);
  const [loadedMaps, setLoadedMaps] = useState<ViewerLabelMap[]>([]);
  const controls = useRef<Partial<Record<Plane, ViewControls>>>({});
  const [showResection, setShowResection] = useState(false);
  /** Clicks of a resection cut: a press (and its drag) sets one point, sealed on release. */
  const [cutClicks, setCutClicks] = useState<CutClicks | null>(null);
  const cutSealed = useRef(true);
  /** The resection panel's plane (3D quad in the organ's box, trace on the 2D views), region brush and region layer. */
  const [resectionCut, setResectionCut] = useState<{
    plane: CutPlane;
    keep: 'positive' | 'negative';
    boundsLps: { minLps: Vec3; maxLps: Vec3 } | null;
  } | null>(null);
  const [resectionTool, setResectionTool] = useState<EditPointerTool | null>(null);
  const [regionLayer, setRegionLayer] = useState<ViewerLabelMap | null>(null);
  // (state setters of functions need the updater form: a bare function would be called as one)
  const onResectionTool = useCallback((tool: EditPointerTool | null) => setResectionTool(() => tool), []);
  useEffect(() => {
    if (!cutClicks || cutClicks.points.length >= 2) return;
    const seal = (): void => {
      cutSealed.current = true;
    };
    window.addEventListener('mouseup', seal);
    return () => window.removeEventListener('mouseup', seal);
  }, [cutClicks]);

  // Stored annotations of the series (annotations.list): rulers are drawn on their slice, the others listed.
  useEffect(() => {
    if (!vol) return;
    let alive = true;
    api.call('annotations.list', { seriesId }).then(
      ({ annotations }) => {
        if (!alive) return;
        setRulers(annotations.filter((a) => a.kind === 'ruler').flatMap((a) => rulerOf(vol.info, a) ?? []));
        setOtherAnnotations(annotations.filter((a) => a.kind !== 'ruler'));
      },
      (err: unknown) => alive && onStatus(`Annotations not loaded: ${err instanceof Error ? err.message : String(err)}`),
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [vol, seriesId]);

  useEffect(() => {
    registerVolumeImageLoader();
    let alive = true;
    setVol(null);
    setError(null);
    const unwatch = watchViewerVolume(seriesId, (v) => {
      if (!alive) return;
      setSlicesLoaded(v.loading ? v.loading.count : v.info.dims[2]);
      setVol((shown) => (shown && shown !== v ? v : shown));
    });
    loadViewerVolume(seriesId).then(
      (v) => {
        if (!alive) return;
        // The first slice shown is the first one received; until the rest is here, window on that slice alone.
        const k = v.loading ? v.loading.firstSlice : Math.floor(v.info.dims[2] / 2);
        setCrosshair([Math.floor(v.info.dims[0] / 2), Math.floor(v.info.dims[1] / 2), k]);
        setVoi(defaultWindow(v.info.modality, arrivedValues(v)));
        setSlicesLoaded(v.loading ? v.loading.count : v.info.dims[2]);
        setVol(v);
      },
      (err: unknown) => alive && setError(err instanceof Error ? err.message : String(err)),
    );
    // For the e2e tests: a digest of the complete volume as this page holds it.
    (window as unknown as { medsegVolumeDigest?: (id: number) => string | null }).medsegVolumeDigest = volumeDigest;
    return () => {
      alive = false;
      unwatch();
    };
  }, [seriesId]);

  useEffect(() => {
    if (!vol) return;
    let alive = true;
    const n = vol.info.dims[0] * vol.info.dims[1] * vol.info.dims[2];
    Promise.all(segmentations.map((s) => loadViewerLabelMap(s, n))).then(
      (maps) => alive && setLoadedMaps(maps),
      (err: unknown) => alive && onStatus(`Overlay not shown: ${err instanceof Error ? err.message : String(err)}`),
    );
    return () => {
      alive = false;
    };
  }, [vol, segmentations, onStatus]);

  // Window presets follow the modality (HU presets mean nothing on MR signal); computed once per volume.
  // While slices arrive, the first slice stands for the volume (the others are not here, and must not be read).
  const presets = useMemo(() => (vol ? windowPresetsFor(vol.info.modality, arrivedValues(vol)) : []), [vol]);

  const scroll = useMemo(
    () => (plane: Plane, delta: number) => {
      if (!vol) return;
      const ax = vol.axes[plane];
      setCrosshair((c) => {
        const next: Vec3 = [c[0], c[1], c[2]];
        next[ax.sliceAxis] = Math.min(ax.sliceCount - 1, Math.max(0, c[ax.sliceAxis] + delta));
        return next;
      });
    },
    [vol],
  );

  // The plane that scrolls and plays: the active one, or axial while the 3D view is active.
  const activePlane: Plane = active === '3d' ? 'axial' : active;

  useEffect(() => {
    if (!vol || !cinePlaying) return;
    const ax = vol.axes[activePlane];
    const timer = window.setInterval(
      () =>
        setCrosshair((c) => {
          const next: Vec3 = [c[0], c[1], c[2]];
          next[ax.sliceAxis] = nextCineSlice(c[ax.sliceAxis], ax.sliceCount);
          return next;
        }),
      1000 / clampFps(cineFps),
    );
    return () => window.clearInterval(timer);
  }, [vol, cinePlaying, cineFps, activePlane]);

  useEffect(() => {
    if (!vol) return;
    const onKey = (e: KeyboardEvent): void => {
      if (!keyBelongsToViews(e)) return;
      const preset = presets.find((p) => p.key === e.key);
      if (preset) setVoi(preset.voi);
      else if (e.key === 'ArrowUp' || e.key === 'ArrowRight') scroll(activePlane, 1);
      else if (e.key === 'ArrowDown' || e.key === 'ArrowLeft') scroll(activePlane, -1);
      else if (e.key === 'PageUp') scroll(activePlane, 10);
      else if (e.key === 'PageDown') scroll(activePlane, -10);
      else if (e.key === 'r' || e.key === 'R') {
        setVoi(defaultWindow(vol.info.modality, arrivedValues(vol)));
        for (const p of PLANES) controls.current[p]?.reset();
      } else if (e.key === ' ') onToggleOverlay();
      else if (e.key === '+' || e.key === '=') controls.current[activePlane]?.zoom(1.25);
      else if (e.key === '-' || e.key === '_') controls.current[activePlane]?.zoom(0.8);
      else if (e.key === 'x' || e.key === 'X') setShowCrosshair((s) => !s);
      else if ((e.key === 'c' || e.key === 'C') && !e.ctrlKey && !e.metaKey) setCinePlaying((p) => !p);
      else if (!e.ctrlKey && !e.metaKey && !e.altKey && DRAW_TOOLS.some((t) => t.key === e.key.toUpperCase())) {
        const tool = DRAW_TOOLS.find((t) => t.key === e.key.toUpperCase())!.tool;
        setDrawTool((t) => (t === tool ? null : tool));
      } else if ((e.key === 'l' || e.key === 'L') && !e.ctrlKey && !e.metaKey) {
        setMaximised(null);
        setLayout((l) => LAYOUTS[(LAYOUTS.indexOf(l) + 1) % LAYOUTS.length]);
      } else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [vol, presets, activePlane, scroll, onToggleOverlay]);

  const analysisMaps = useAnalysisLayers(analysis, vol, loadedMaps, setCrosshair, onStatus);
  const shownMaps = useMemo(() => (regionLayer ? [...analysisMaps, regionLayer] : analysisMaps), [analysisMaps, regionLayer]);
  const cutPolygonLps = useMemo(
    () => (resectionCut?.boundsLps ? planeBoxPolygon(resectionCut.plane, resectionCut.boundsLps.minLps, resectionCut.boundsLps.maxLps) : null),
    [resectionCut],
  );
  const labelMapOf = useCallback((segmentationId: number) => loadedMaps.find((m) => m.summary.segmentationId === segmentationId)?.labels ?? null, [loadedMaps]);
  const views = visibleViews(layout, active, maximised);
  const physicalAllowedForSurfaces = vol !== null && vol.info.geometry.status !== 'unsafe';
  // Surfaces of the stored label maps only (not a classical tool's transient preview).
  const surfaces = useSurfaceMeshes(loadedMaps, physicalAllowedForSurfaces, views.includes('3d'));
  // A label hidden in the overlay legend (or its whole map) is hidden in 3D as well.
  const effectiveStyles = useMemo(() => {
    const m = new Map(surfaceStyles);
    for (const key of overlay.hidden) m.set(key, { ...(m.get(key) ?? { visible: true, opacity: 1 }), visible: false });
    return m;
  }, [surfaceStyles, overlay.hidden]);
  const placedAnnotations = useMemo(
    () => (vol ? otherAnnotations.flatMap((a) => placeAnnotation(vol.axes, a) ?? []) : []),
    // vol.axes is the same for every loading step of one series.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [vol?.axes, otherAnnotations],
  );
  const crosshairLps = useMemo(() => (vol ? ijkToLps(vol.info, crosshair) : null), [vol, crosshair]);
  const styleSurface = useCallback((key: string, style: SurfaceStyle) => setSurfaceStyles((m) => new Map(m).set(key, style)), []);
  const pickSurface = useCallback(
    (hit: ScenePick) => {
      if (!vol) return;
      const segmentationId = Number(hit.surfaceKey.split(':')[0]);
      const map = loadedMaps.find((m) => m.summary.segmentationId === segmentationId);
      if (!map) return;
      const ijk = voxelForSurfacePick(vol.info, map.labels, hit.labelValue, hit.pointLps);
      setCrosshair(ijk);
      analysis?.onPickVoxel?.(ijk);
    },
    [vol, loadedMaps, analysis],
  );

  if (error) return <div className="viewer-message error">Cannot show this series: {error}</div>;
  if (!vol) return <div className="viewer-message">Loading volume…</div>;

  const physicalAllowed = physicalAllowedForSurfaces;
  // The resection cut, drawn like a ruler on the slice it was clicked on (its trace is the plane's).
  const cutLine: Ruler | null =
    cutClicks && cutClicks.points.length === 2 && !resectionCut
      ? { id: -2, plane: cutClicks.plane, slice: cutClicks.points[0][cutClicks.sliceAxis], aIjk: cutClicks.points[0], bIjk: cutClicks.points[1], text: 'cut' }
      : null;
  // The panel's plane (moved and tilted) crosses each 2D view's current slice along a line.
  const cutTraces: Ruler[] = resectionCut
    ? PLANES.flatMap((plane, n) => {
        const sliceAxis = vol.axes[plane].sliceAxis;
        const slice = crosshair[sliceAxis];
        const seg = planeSliceSegment(vol.info, resectionCut.plane, sliceAxis, slice);
        return seg ? [{ id: -10 - n, plane, slice, aIjk: seg[0], bIjk: seg[1], text: 'cut' }] : [];
      })
    : [];
  const extraRulers = cutLine ? [cutLine, ...cutTraces] : cutTraces;
  const probe = (ijk: Vec3 | null): void => {
    if (!ijk) return onProbe(null);
    const [i, j, k] = ijk;
    // A slice still loading holds no value to read (BLANK_STORED is a placeholder, not a measurement).
    if (vol.loading && !vol.loading.loaded[k]) return onProbe(null);
    const n = i + vol.info.dims[0] * (j + vol.info.dims[1] * k);
    const value = vol.values[n];
    const labels: ProbeReading['labels'] = [];
    for (const m of shownMaps) {
      const v = m.labels[n];
      if (v === 0) continue;
      const info = m.summary.labels.find((l) => l.value === v);
      labels.push({ name: info?.name ?? `label ${v}`, map: m.summary.name, colorRgb: info?.colorRgb ?? [255, 255, 255] });
    }
    onProbe({ ijk, value, lpsMm: physicalAllowed ? ijkToLps(vol.info, ijk) : null, unit: vol.info.modality === 'CT' ? 'HU' : '', labels });
  };

  /** A click in the list: the annotation's view shows its slice (centred on it), and it is highlighted. */
  const goTo = (a: Pick<PlacedAnnotation, 'plane' | 'slice' | 'pointsIjk'>, id: number | null): void => {
    setActive(a.plane);
    setMaximised((m) => (m && m !== a.plane ? a.plane : m));
    setCrosshair(annotationFocusIjk(vol.axes, vol.info.dims, a));
    setSelectedAnnotation(id);
  };

  const generation = vol.loading ? slicesLoaded : 0;
  const shape = gridShape(views.length);
  const onDoubleClick = (view: ViewId): void => setMaximised((m) => toggleMaximised(m, view));
  return (
    <div className="viewer-area">
      <div className="viewer-toolbar" data-testid="viewer-toolbar">
        <span className="muted">layout</span>
        {LAYOUTS.map((l) => (
          <button
            key={l}
            type="button"
            className={l === layout && !maximised ? 'on' : ''}
            data-testid={`layout-${l}`}
            onClick={() => {
              setMaximised(null);
              setLayout(l);
            }}
          >
            {l.replace('x', '×')}
          </button>
        ))}
        <span className="muted">tools</span>
        {DRAW_TOOLS.map(({ tool, key, how }) => (
          <button
            key={tool}
            type="button"
            data-testid={`tool-${tool}`}
            className={drawTool === tool ? 'on' : ''}
            onClick={() => setDrawTool((t) => (t === tool ? null : tool))}
            title={`${tool}: ${how} (${key}; Esc cancels)`}
          >
            {tool}
          </button>
        ))}
        {loadedMaps.length > 0 && (
          <button type="button" data-testid="tool-resection" className={showResection ? 'on' : ''} onClick={() => setShowResection((v) => !v)}>
            resection
          </button>
        )}
        <span className="muted">cine</span>
        <button type="button" data-testid="cine-play" className={cinePlaying ? 'on' : ''} onClick={() => setCinePlaying((p) => !p)}>
          {cinePlaying ? 'pause' : 'play'}
        </button>
        <label>
          <input
            type="number"
            min={1}
            max={60}
            value={cineFps}
            data-testid="cine-fps"
            onChange={(e) => setCineFps(clampFps(Number(e.target.value)))}
            className="fps"
          />{' '}
          fps
        </label>
      </div>
      {vol.loading && (
        <div className="volume-loading" data-testid="volume-loading">
          Loading slices <progress data-testid="volume-progress" value={slicesLoaded} max={vol.loading.total} /> {slicesLoaded}/{vol.loading.total}
        </div>
      )}
      {showResection && loadedMaps.length > 0 && (
        <ResectionPanel
          grid={vol.info}
          segmentations={loadedMaps.map((m) => m.summary)}
          cut={cutClicks}
          onPickCut={() => {
            cutSealed.current = true;
            const plane = active === '3d' ? 'axial' : active;
            setCutClicks({ plane, sliceAxis: patientViewAxes(vol.info, plane).sliceAxis, points: [] });
          }}
          onGoTo={(lps) => setCrosshair(lpsToIjk(vol.info, lps).map((x, q) => Math.min(vol.info.dims[q] - 1, Math.max(0, Math.round(x)))) as Vec3)}
          labelMapOf={labelMapOf}
          onCutChange={setResectionCut}
          onPointerTool={onResectionTool}
          onRegionLayer={setRegionLayer}
        />
      )}
      {rulers.length > 0 && (
        <ul className="ruler-list" data-testid="ruler-list">
          {rulers.map((r) => (
            <li key={r.id} data-testid={`ruler-${r.id}`}>
              <span
                data-testid={`ruler-${r.id}-text`}
                className="annotation-jump"
                onClick={() => goTo({ plane: r.plane, slice: r.slice, pointsIjk: [r.aIjk, r.bIjk] }, null)}
              >
                {r.text}
              </span>{' '}
              <span className="muted">
                {r.plane} {r.slice + 1}
              </span>{' '}
              <button
                type="button"
                data-testid={`ruler-${r.id}-delete`}
                onClick={() =>
                  void api.call('annotations.delete', { annotationId: r.id }).then(
                    () => setRulers((list) => list.filter((x) => x.id !== r.id)),
                    (err: unknown) => onStatus(`Ruler not deleted: ${err instanceof Error ? err.message : String(err)}`),
                  )
                }
                title="delete"
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {otherAnnotations.length > 0 && (
        <ul className="ruler-list annotation-list" data-testid="annotation-list">
          {otherAnnotations.map((a) => {
            const placed = placedAnnotations.find((x) => x.id === a.annotationId);
            return (
              <li key={a.annotationId} data-testid={`annotation-${a.annotationId}`} className={a.annotationId === selectedAnnotation ? 'selected' : ''}>
                <span
                  data-testid={`annotation-${a.annotationId}-text`}
                  className="annotation-jump"
                  title={placed ? `${placed.plane} ${placed.slice + 1}: click to go there` : 'not on one slice of a view'}
                  onClick={() => placed && goTo(placed, placed.id)}
                >
                  {listLine(a)}
                </span>{' '}
                {placed && (
                  <span className="muted">
                    {placed.plane} {placed.slice + 1}
                  </span>
                )}{' '}
                <button
                  type="button"
                  data-testid={`annotation-${a.annotationId}-delete`}
                  onClick={() =>
                    void api.call('annotations.delete', { annotationId: a.annotationId }).then(
                      () => {
                        setOtherAnnotations((list) => list.filter((x) => x.annotationId !== a.annotationId));
                        setSelectedAnnotation((s) => (s === a.annotationId ? null : s));
                      },
                      (err: unknown) => onStatus(`Annotation not deleted: ${err instanceof Error ? err.message : String(err)}`),
                    )
                  }
                  title="delete"
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div
        className="viewer"
        data-testid="viewer"
        data-ww={voi.windowWidth}
        data-wc={voi.windowCenter}
        data-loading={vol.loading ? 'true' : 'false'}
        data-layout={maximised ? `max-${maximised}` : layout}
        data-views={views.join(',')}
        data-cine={cinePlaying ? 'playing' : 'paused'}
        data-crosshair={crosshair.join(',')}
        data-crosshair-lps={crosshairLps ? crosshairLps.join(',') : ''}
        style={{ gridTemplateColumns: `repeat(${shape.columns}, 1fr)`, gridTemplateRows: `repeat(${shape.rows}, 1fr)` }}
      >
        {views.map((view) =>
          view === '3d' ? (
            <div key="3d" className="view-cell" onDoubleClick={() => onDoubleClick('3d')}>
              {vol.loading ? (
                <div className="viewer-message" data-testid="view3d-waiting">
                  The 3D view opens when every slice has arrived.
                </div>
              ) : physicalAllowed ? (
                <Suspense fallback={<div className="viewer-message">Loading the 3D view…</div>}>
                  <View3d
                    vol={vol}
                    meshes={surfaces.meshes}
                    meshNote={surfaces.note}
                    styles={effectiveStyles}
                    onStyle={styleSurface}
                    crosshairLps={crosshairLps}
                    cutPolygonLps={cutPolygonLps}
                    cutKeptNormalLps={resectionCut ? (resectionCut.plane.normalLps.map((x) => (resectionCut.keep === 'positive' ? x : -x)) as Vec3) : null}
                    showCrosshair={showCrosshair}
                    onPick={pickSurface}
                    active={active === '3d'}
                    onActivate={() => setActive('3d')}
                  />
                </Suspense>
              ) : (
                <div className="viewer-message" data-testid="view3d-refused">
                  3D view unavailable: the geometry of this series is unsafe, so positions in mm are not known.
                </div>
              )}
            </div>
          ) : (
            <div key={view} className="view-cell" onDoubleClick={() => onDoubleClick(view)}>
              <MprView
                seriesId={seriesId}
                plane={view}
                vol={vol}
                generation={generation}
                crosshair={crosshair}
                voi={voi}
                labelMaps={shownMaps}
                overlay={overlay}
                showCrosshair={showCrosshair}
                physicalAllowed={physicalAllowed}
                active={active === view}
                controls={controls}
                onPick={(ijk) => {
                  setCrosshair(ijk);
                  if (cutClicks && cutClicks.points.length < 2) {
                    const sliceAxis = patientViewAxes(vol.info, view).sliceAxis;
                    const sealed = cutSealed.current;
                    cutSealed.current = false;
                    setCutClicks((c) => {
                      if (!c || c.points.length >= 2) return c;
                      // A click on another view starts the cut again on that view.
                      if (c.sliceAxis !== sliceAxis || (c.points.length > 0 && c.points[0][sliceAxis] !== ijk[sliceAxis]))
                        return { plane: view, sliceAxis, points: [ijk] };
                      return { plane: view, sliceAxis, points: sealed ? [...c.points, ijk] : [...c.points.slice(0, -1), ijk] };
                    });
                    return;
                  }
                  analysis?.onPickVoxel?.(ijk);
                }}
                onScroll={scroll}
                onWindow={(dw, dc) => setVoi((v) => ({ windowWidth: Math.max(1, v.windowWidth + dw), windowCenter: v.windowCenter + dc }))}
                onProbe={probe}
                onActivate={setActive}
                editTool={resectionTool ?? editTool}
                recist={analysis?.recist ?? null}
                rulers={extraRulers.length > 0 ? [...rulers, ...extraRulers] : rulers}
                drawTool={drawTool}
                annotations={placedAnnotations}
                selectedAnnotation={selectedAnnotation}
                angleText={(a, b, c) => angleText(angleDegrees(vol.info, vol.info.geometry, a, b, c))}
                onAnnotation={(kind, pointsIjk, text) =>
                  // Stored first; what is drawn and listed is what the service computed and kept.
                  void api.call('annotations.create', { seriesId, kind, pointsIjk, ...(text ? { text } : {}) }).then(
                    (a) => {
                      setOtherAnnotations((list) => [...list, a]);
                      setSelectedAnnotation(a.annotationId);
                    },
                    (err: unknown) => onStatus(`${kind} not stored: ${err instanceof Error ? err.message : String(err)}`),
                  )
                }
                rulerText={(a, b) => rulerText(rulerLengthMm(vol.info, vol.info.geometry, a, b))}
                onRuler={(plane, slice, aIjk, bIjk) =>
                  // Stored (annotations.create); the length shown is the one the service computed and kept.
                  void api.call('annotations.create', { seriesId, kind: 'ruler', pointsIjk: [aIjk, bIjk] }).then(
                    (a) => setRulers((list) => [...list, { id: a.annotationId, plane, slice, aIjk, bIjk, text: rulerText(a.result.lengthMm ?? null) }]),
                    (err: unknown) => onStatus(`Ruler not stored: ${err instanceof Error ? err.message : String(err)}`),
                  )
                }
              />
            </div>
          ),
        )}
      </div>
    </div>
  );
}

/** A stored ruler as the views draw it: the plane whose slice axis both ends share (null when none does). */
function rulerOf(info: ViewerVolume['info'], a: AnnotationWire): Ruler | null {
  const [aIjk, bIjk] = a.pointsIjk as [Vec3, Vec3];
  for (const plane of PLANES) {
    const axis = patientViewAxes(info, plane).sliceAxis;
    if (aIjk[axis] === bIjk[axis] && Number.isInteger(aIjk[axis]))
      return { id: a.annotationId, plane, slice: aIjk[axis], aIjk, bIjk, text: rulerText(a.result.lengthMm ?? null) };
  }
  return null;
}

/** How an angle labels itself: one decimal in degrees, or why there is no number. */
function angleText(deg: number | null): string {
  return deg === null ? 'angle unavailable (unsafe geometry)' : `${deg.toFixed(1)}°`;
}
