// The three linked views of one series: shared crosshair and window/level, keyboard habits of radiology viewers
// (arrows/PageUp/PageDown scroll, 1-5 presets, R reset, space overlay, +/- zoom, X crosshair), probe and overlays.
import { useEffect, useMemo, useRef, useState } from 'react';
import { PLANES, type Plane } from '../../shared/domain/mpr.js';
import { ijkToLps, type Vec3 } from '../../shared/domain/volume.js';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import { MprView, type ViewControls, type Voi } from './MprView.js';
import {
  loadViewerLabelMap,
  loadViewerVolume,
  registerVolumeImageLoader,
  volumeDigest,
  watchViewerVolume,
  type ViewerLabelMap,
  type ViewerVolume,
} from './volumeStore.js';
import { CT_PRESETS, defaultWindow } from '../../shared/domain/windowing.js';
import type { OverlayStyle } from './overlay.js';
import { useAnalysisLayers, type ViewerAnalysisHooks } from './analysisLayers.js';
import type { EditPointerTool } from './editPointer.js';
import { keyBelongsToViews } from './keyRouting.js';

export type { OverlayStyle } from './overlay.js';

export interface ProbeReading {
  ijk: Vec3;
  value: number;
  lpsMm: Vec3 | null;
  unit: string;
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
  const [active, setActive] = useState<Plane>('axial');
  const [showCrosshair, setShowCrosshair] = useState(true);
  const [loadedMaps, setLoadedMaps] = useState<ViewerLabelMap[]>([]);
  const controls = useRef<Partial<Record<Plane, ViewControls>>>({});

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
        const sliceLen = v.info.dims[0] * v.info.dims[1];
        // The first slice shown is the first one received; until the rest is here, window on that slice alone.
        const k = v.loading ? v.loading.firstSlice : Math.floor(v.info.dims[2] / 2);
        setCrosshair([Math.floor(v.info.dims[0] / 2), Math.floor(v.info.dims[1] / 2), k]);
        setVoi(defaultWindow(v.info.modality, v.loading ? v.values.subarray(k * sliceLen, (k + 1) * sliceLen) : v.values));
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

  useEffect(() => {
    if (!vol) return;
    const onKey = (e: KeyboardEvent): void => {
      if (!keyBelongsToViews(e)) return;
      const preset = CT_PRESETS.find((p) => p.key === e.key);
      if (preset) setVoi(preset.voi);
      else if (e.key === 'ArrowUp' || e.key === 'ArrowRight') scroll(active, 1);
      else if (e.key === 'ArrowDown' || e.key === 'ArrowLeft') scroll(active, -1);
      else if (e.key === 'PageUp') scroll(active, 10);
      else if (e.key === 'PageDown') scroll(active, -10);
      else if (e.key === 'r' || e.key === 'R') {
        setVoi(defaultWindow(vol.info.modality, vol.values));
        for (const p of PLANES) controls.current[p]?.reset();
      } else if (e.key === ' ') onToggleOverlay();
      else if (e.key === '+' || e.key === '=') controls.current[active]?.zoom(1.25);
      else if (e.key === '-' || e.key === '_') controls.current[active]?.zoom(0.8);
      else if (e.key === 'x' || e.key === 'X') setShowCrosshair((s) => !s);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [vol, active, scroll, onToggleOverlay]);

  const shownMaps = useAnalysisLayers(analysis, vol, loadedMaps, setCrosshair, onStatus);

  if (error) return <div className="viewer-message error">Cannot show this series: {error}</div>;
  if (!vol) return <div className="viewer-message">Loading volume…</div>;

  const physicalAllowed = vol.info.geometry.status !== 'unsafe';
  const probe = (ijk: Vec3 | null): void => {
    if (!ijk) return onProbe(null);
    const [i, j, k] = ijk;
    // A slice still loading holds no value to read (BLANK_STORED is a placeholder, not a measurement).
    if (vol.loading && !vol.loading.loaded[k]) return onProbe(null);
    const value = vol.values[i + vol.info.dims[0] * (j + vol.info.dims[1] * k)];
    onProbe({ ijk, value, lpsMm: physicalAllowed ? ijkToLps(vol.info, ijk) : null, unit: vol.info.modality === 'CT' ? 'HU' : '' });
  };

  const generation = vol.loading ? slicesLoaded : 0;
  return (
    <div className="viewer" data-testid="viewer" data-ww={voi.windowWidth} data-wc={voi.windowCenter} data-loading={vol.loading ? 'true' : 'false'}>
      {vol.loading && (
        <div className="volume-loading" data-testid="volume-loading">
          Loading slices <progress data-testid="volume-progress" value={slicesLoaded} max={vol.loading.total} /> {slicesLoaded}/{vol.loading.total}
        </div>
      )}
      {PLANES.map((plane) => (
        <MprView
          key={plane}
          seriesId={seriesId}
          plane={plane}
          vol={vol}
          generation={generation}
          crosshair={crosshair}
          voi={voi}
          labelMaps={shownMaps}
          overlay={overlay}
          showCrosshair={showCrosshair}
          physicalAllowed={physicalAllowed}
          active={active === plane}
          controls={controls}
          onPick={(ijk) => {
            setCrosshair(ijk);
            analysis?.onPickVoxel?.(ijk);
          }}
          onScroll={scroll}
          onWindow={(dw, dc) => setVoi((v) => ({ windowWidth: Math.max(1, v.windowWidth + dw), windowCenter: v.windowCenter + dc }))}
          onProbe={probe}
          onActivate={setActive}
          editTool={editTool}
          recist={analysis?.recist ?? null}
        />
      ))}
    </div>
  );
}
