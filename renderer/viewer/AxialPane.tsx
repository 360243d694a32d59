// One study's axial slice drawn on a canvas for side-by-side comparison: the slice is chosen by the caller (linked
// scrolling by LPS z); the wheel and arrow keys ask for the next or previous slice. Voxel order on screen (i right,
// j down): for the usual axial stack that is the radiological view.
import { useEffect, useRef, useState } from 'react';
import { defaultWindow, windowBoundsOf } from '../../shared/domain/windowing.js';
import { loadViewerVolume, type ViewerVolume } from './volumeStore.js';

export function AxialPane({
  seriesId,
  slice,
  onVolume,
  onStep,
  testId,
}: {
  seriesId: number;
  slice: number;
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
    for (let n = 0; n < nx * ny; n++) {
      const g = Math.round(Math.max(0, Math.min(1, (vol.values[base + n] - lo) / (hi - lo || 1))) * 255);
      img.data[4 * n] = g;
      img.data[4 * n + 1] = g;
      img.data[4 * n + 2] = g;
      img.data[4 * n + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [vol, slice]);

  if (error) return <div className="warn">{error}</div>;
  return (
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
  );
}
