// One study's axial slice drawn on a canvas for side-by-side comparison: the slice is chosen by the caller (linked
// scrolling by LPS z); the wheel and arrow keys ask for the next or previous slice. Voxel order on screen (i right,
// j down): for the usual axial stack that is the radiological view.
import { useEffect, useRef, useState } from 'react';
import { defaultWindow, windowBoundsOf } from '../../shared/domain/windowing.js';
import { lpsToIjk, type Vec3 } from '../../shared/domain/volume.js';
import { loadViewerVolume, type ViewerVolume } from './volumeStore.js';

export function AxialPane({
  seriesId,
  slice,
  onVolume,
  onStep,
  testId,
  markers = [],
}: {
  seriesId: number;
  slice: number;
  /** Lesions to ring where they cross the shown slice (centroid and long axis, LPS mm). */
  markers?: { id: string; centroidLps: Vec3; longAxisMm: number }[];
  onVolume(v: ViewerVolume): void;
  onStep(delta: number): void;
  testId: string;
}) {
  const [vol, setVol] = useState<ViewerVolume | null>(null);
  const [error, setError] = useState<string | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const onVolumeRef = useRef(onVolume);
  onVolumeRef.current = onVolume;

  useEffect(() => {
    let alive = true;
    setVol(null);
    setError(null);
    loadViewerVolume(seriesId).then(
      (v) => {
        if (!alive) return;
        setVol(v);
        onVolumeRef.current(v);
      },
      (e: unknown) => alive && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      alive = false;
    };
  }, [seriesId]);

  useEffect(() => {
    const c = canvas.current;
    if (!vol || !c) return;
    const [nx, ny, nz] = vol.info.dims;
    const k = Math.max(0, Math.min(nz - 1, slice));
    c.width = nx;
    c.height = ny;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const { lo, hi } = windowBoundsOf(defaultWindow(vol.info.modality, vol.values));
    const img = ctx.createImageData(nx, ny);
    const base = k * nx * ny;
    // a slice still arriving (progressive loading) is drawn black, never as its placeholder voxels
    const arrived = !vol.loading || vol.loading.loaded[k] === 1;
    for (let n = 0; n < nx * ny; n++) {
      const g = !arrived ? 0 : Math.round(Math.max(0, Math.min(1, (vol.values[base + n] - lo) / (hi - lo || 1))) * 255);
      img.data[4 * n] = g;
      img.data[4 * n + 1] = g;
      img.data[4 * n + 2] = g;
      img.data[4 * n + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [vol, slice]);

  if (error) return <div className="warn">{error}</div>;
  const dims = vol?.info.dims;
  const rings =
    vol && dims
      ? markers.flatMap((m) => {
          const [i, j, k] = lpsToIjk(vol.info, m.centroidLps);
          const halfSlices = m.longAxisMm / 2 / vol.info.spacingMm[2];
          if (Math.abs(k - slice) > halfSlices) return [];
          return [{ id: m.id, i, j, r: Math.max(1.5, m.longAxisMm / 2 / vol.info.spacingMm[0]) }];
        })
      : [];
  return (
    <div className="axial-pane-box">
      <canvas
        ref={canvas}
        className="axial-pane"
        data-testid={testId}
        tabIndex={0}
        onWheel={(e) => onStep(e.deltaY > 0 ? 1 : -1)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowUp' || e.key === 'PageUp') onStep(-1);
          else if (e.key === 'ArrowDown' || e.key === 'PageDown') onStep(1);
          else return;
          e.preventDefault();
        }}
      />
      {dims && (
        <svg className="axial-pane-marks" viewBox={`0 0 ${dims[0]} ${dims[1]}`} preserveAspectRatio="none" data-testid={`${testId}-marks`}>
          {rings.map((r) => (
            <g key={r.id} data-lesion={r.id}>
              <circle cx={r.i + 0.5} cy={r.j + 0.5} r={r.r + 1} className="lesion-ring" />
              <text x={r.i + r.r + 2} y={r.j} className="lesion-tag">
                {r.id}
              </text>
            </g>
          ))}
        </svg>
      )}
    </div>
  );
}
