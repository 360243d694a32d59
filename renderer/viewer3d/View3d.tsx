// The 3D view cell: vtk.js scene of the open series (label surfaces, CT volume rendering, crosshair, orientation cube)
// with its own controls (volume preset, per-label visibility and opacity). A click that does not drag picks the
// front-most surface and hands its LPS point to the 2D views; a drag rotates (shift: pan, wheel: zoom).
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Vec3 } from '../../shared/domain/volume.js';
import { VOLUME_PRESETS, volumePresetById, type VolumePresetId } from '../../shared/domain/view3d/volumePresets.js';
import type { ViewerVolume } from '../viewer/volumeStore.js';
import { encodeMesh, type MeshFormat, type MeshSpace } from '../../shared/domain/mesh/meshFormats.js';
import { createScene3d, type Scene3d, type ScenePick, type SurfaceMesh, type SurfaceStyle } from './scene.js';

export interface View3dProps {
  vol: ViewerVolume;
  meshes: readonly SurfaceMesh[];
  /** Why there are no surfaces (loading, refused, failed), shown in the view. */
  meshNote: string | null;
  styles: ReadonlyMap<string, SurfaceStyle>;
  onStyle(key: string, style: SurfaceStyle): void;
  crosshairLps: Vec3 | null;
  /** The resection cut plane inside the organ's box (a translucent polygon), or null. */
  cutPolygonLps?: readonly Vec3[] | null;
  /** Unit normal pointing into the kept side (the remnant): drawn as a short line from the polygon's centre. */
  cutKeptNormalLps?: Vec3 | null;
  showCrosshair: boolean;
  onPick(pick: ScenePick): void;
  active: boolean;
  onActivate(): void;
}

/** Saves one surface as a file (the same encoder as `medseg mesh`), named after the label and the space. */
function downloadMesh(m: SurfaceMesh, format: MeshFormat, space: MeshSpace): void {
  const bytes = encodeMesh({ positions: m.pointsLps, triangles: m.triangles }, format, space, m.name);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${m.name.replace(/[^\w.-]+/g, '_')}-${space}.${format}`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A press that moves less than this (CSS px) before release is a click (pick), not a rotation. */
const CLICK_SLOP_PX = 4;
const SPIN_DEG_PER_FRAME = 2;

export function View3d(props: View3dProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const sceneRef = useRef<Scene3d | null>(null);
  const [preset, setPreset] = useState<VolumePresetId | 'off'>('off');
  const [showControls, setShowControls] = useState(true);
  const [spinning, setSpinning] = useState(false);
  const [exportFormat, setExportFormat] = useState<MeshFormat>('stl');
  const [exportSpace, setExportSpace] = useState<MeshSpace>('lps');
  const renders = useRef(0);
  const latest = useRef(props);
  latest.current = props;
  const { vol, meshes, styles } = props;

  const render = (): void => {
    const scene = sceneRef.current;
    const host = hostRef.current;
    if (!scene || !host) return;
    scene.render();
    renders.current += 1;
    host.dataset.renders = String(renders.current);
  };

  useLayoutEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const scene = createScene3d(host);
    sceneRef.current = scene;
    const observer = new ResizeObserver(() => {
      scene.resize();
      render();
    });
    observer.observe(host);
    // Every interactor render (rotation, zoom) counts, so tests and the bench can wait for frames.
    const onEnd = (): void => {
      renders.current += 1;
      host.dataset.renders = String(renders.current);
    };
    host.addEventListener('pointerup', onEnd);
    return () => {
      observer.disconnect();
      host.removeEventListener('pointerup', onEnd);
      scene.dispose();
      sceneRef.current = null;
    };
  }, []);

  useEffect(() => {
    const scene = sceneRef.current;
    if (!scene) return;
    scene.setVolume(vol.info, vol.stored, vol.slope, vol.intercept);
    scene.setVolumePreset(null);
    scene.resetCamera();
    render();
  }, [vol]);

  useEffect(() => {
    const scene = sceneRef.current;
    if (!scene) return;
    scene.setSurfaces(meshes);
    for (const m of meshes) scene.styleSurface(m.key, latest.current.styles.get(m.key) ?? { visible: true, opacity: 1 });
    scene.resetCamera();
    render();
    if (hostRef.current) hostRef.current.dataset.surfaces = meshes.map((m) => m.key).join(',');
  }, [meshes]);

  useEffect(() => {
    const scene = sceneRef.current;
    if (!scene) return;
    for (const m of meshes) scene.styleSurface(m.key, styles.get(m.key) ?? { visible: true, opacity: 1 });
    render();
  }, [styles, meshes]);

  useEffect(() => {
    const scene = sceneRef.current;
    if (!scene) return;
    scene.setVolumePreset(preset === 'off' ? null : (volumePresetById(preset) ?? null));
    render();
    if (hostRef.current) hostRef.current.dataset.volumePreset = preset;
  }, [preset, vol]);

  useEffect(() => {
    const scene = sceneRef.current;
    if (!scene) return;
    scene.setCrosshair(props.showCrosshair ? props.crosshairLps : null);
    render();
  }, [props.crosshairLps, props.showCrosshair, meshes]);

  useEffect(() => {
    const scene = sceneRef.current;
    if (!scene) return;
    const poly = props.cutPolygonLps ?? null;
    scene.setCutPolygon(poly && poly.length >= 3 ? poly : null, props.cutKeptNormalLps ?? null);
    render();
    if (hostRef.current) hostRef.current.dataset.cutPolygon = poly ? poly.map((p) => p.map((v) => v.toFixed(2)).join(',')).join(';') : '';
  }, [props.cutPolygonLps, props.cutKeptNormalLps?.join(',')]);

  // Turntable: 2° a frame about the view-up axis. The intervals between frames (not just the time in render(), since
  // the GL work may finish later) go into data-frame-ms-median / data-frames for the bench.
  useEffect(() => {
    if (!spinning) return;
    let handle = 0;
    let last = 0;
    const intervals: number[] = [];
    const frame = (t: number): void => {
      const scene = sceneRef.current;
      const host = hostRef.current;
      if (!scene || !host) return;
      if (last > 0) intervals.push(t - last);
      last = t;
      scene.rotate(SPIN_DEG_PER_FRAME);
      render();
      if (intervals.length > 0) {
        const recent = intervals.slice(-120).sort((a, b) => a - b);
        host.dataset.frames = String(intervals.length);
        host.dataset.frameMsMedian = recent[Math.floor(recent.length / 2)].toFixed(1);
      }
      handle = requestAnimationFrame(frame);
    };
    handle = requestAnimationFrame(frame);
    return () => cancelAnimationFrame(handle);
  }, [spinning]);

  const onMouseDown = (e: React.MouseEvent): void => {
    props.onActivate();
    if (e.button !== 0 || e.shiftKey) return;
    const start = { x: e.clientX, y: e.clientY };
    const up = (u: MouseEvent): void => {
      window.removeEventListener('mouseup', up);
      if (Math.hypot(u.clientX - start.x, u.clientY - start.y) > CLICK_SLOP_PX) return;
      const host = hostRef.current;
      const scene = sceneRef.current;
      if (!host || !scene) return;
      const r = host.getBoundingClientRect();
      const hit = scene.pick(u.clientX - r.left, u.clientY - r.top);
      host.dataset.lastPick = hit ? `${hit.surfaceKey}@${hit.pointLps.map((v) => v.toFixed(2)).join(',')}` : 'none';
      if (hit) latest.current.onPick(hit);
    };
    window.addEventListener('mouseup', up);
  };

  return (
    <div className={`view view-3d${props.active ? ' active' : ''}`} data-plane="3d">
      <div ref={hostRef} className="vtk-host" data-testid="view-3d" onMouseDown={onMouseDown} onContextMenu={(e) => e.preventDefault()} />
      <div className="view3d-bar">
        <button type="button" data-testid="view3d-controls-toggle" onClick={() => setShowControls((s) => !s)} title="show or hide the 3D controls">
          3D ▾
        </button>
        <button
          type="button"
          data-testid="view3d-reset"
          onClick={() => {
            sceneRef.current?.resetCamera();
            render();
          }}
          title="anterior view, everything in view"
        >
          reset
        </button>
        <button type="button" data-testid="view3d-spin" className={spinning ? 'on' : ''} onClick={() => setSpinning((v) => !v)} title="turntable rotation">
          spin
        </button>
      </div>
      {showControls && (
        <div className="view3d-controls" data-testid="view3d-controls" onMouseDown={(e) => e.stopPropagation()}>
          <label>
            volume{' '}
            <select
              value={preset}
              data-testid="view3d-preset"
              onChange={(e) => setPreset(e.target.value as VolumePresetId | 'off')}
              disabled={vol.info.modality !== 'CT'}
            >
              <option value="off">off</option>
              {VOLUME_PRESETS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label title="surface files for Slicer or a 3D printer; the coordinate system is written in the file">
            export{' '}
            <select value={exportFormat} data-testid="view3d-export-format" onChange={(e) => setExportFormat(e.target.value as MeshFormat)}>
              <option value="stl">STL</option>
              <option value="obj">OBJ</option>
              <option value="ply">PLY</option>
            </select>{' '}
            <select value={exportSpace} data-testid="view3d-export-space" onChange={(e) => setExportSpace(e.target.value as MeshSpace)}>
              <option value="lps">LPS</option>
              <option value="ras">RAS</option>
            </select>
          </label>
          {props.meshNote && (
            <div className="muted" data-testid="view3d-note">
              {props.meshNote}
            </div>
          )}
          <ul className="view3d-labels">
            {meshes.map((m) => {
              const style = styles.get(m.key) ?? { visible: true, opacity: 1 };
              return (
                <li key={m.key}>
                  <label>
                    <input
                      type="checkbox"
                      checked={style.visible}
                      data-testid={`view3d-visible-${m.key}`}
                      onChange={() => props.onStyle(m.key, { ...style, visible: !style.visible })}
                    />
                    <span className="swatch" style={{ background: `rgb(${m.colorRgb.join(',')})` }} /> {m.name}
                  </label>
                  <input
                    type="range"
                    min={0}
                    max={1}
                    step={0.05}
                    value={style.opacity}
                    data-testid={`view3d-opacity-${m.key}`}
                    title="opacity"
                    onChange={(e) => props.onStyle(m.key, { ...style, opacity: Number(e.target.value) })}
                  />
                  <button
                    type="button"
                    data-testid={`view3d-export-${m.key}`}
                    title={`save ${m.name} as ${exportFormat.toUpperCase()} in ${exportSpace.toUpperCase()}`}
                    onClick={() => downloadMesh(m, exportFormat, exportSpace)}
                  >
                    ⤓
                  </button>
                </li>
              );
            })}
          </ul>
        </div>
      )}
      <div className="view-info view3d-info" title="drag: rotate · shift-drag: pan · wheel: zoom · click a surface: go there · double-click: maximise">
        <span className="plane-name">3D</span>
      </div>
    </div>
  );
}
