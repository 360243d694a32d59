// The line under the views: the probe reading (value, LPS mm, voxel) of the open series and the last status message.
import type { ProbeReading } from '../viewer/Viewer.js';

export function StatusBar({ probe, status }: { probe: ProbeReading | null; status: string }) {
  return (
    <footer className="statusbar">
      <span data-testid="probe">
        {probe ? (
          <>
            <span data-testid="probe-value">{Number.isInteger(probe.value) ? probe.value : probe.value.toFixed(2)}</span> {probe.unit}{' '}
            <span data-testid="probe-lps">
              {probe.lpsMm ? `LPS (${probe.lpsMm.map((v) => v.toFixed(1)).join(', ')}) mm` : 'LPS unavailable (unsafe geometry)'}
            </span>{' '}
            <span className="muted" data-testid="probe-ijk">
              voxel [{probe.ijk.join(', ')}]
            </span>{' '}
            <span data-testid="probe-label">
              {probe.labels.map((l) => (
                <span key={l.map} title={l.map}>
                  <span className="swatch" style={{ background: `rgb(${l.colorRgb.join(',')})` }} /> {l.name}{' '}
                </span>
              ))}
            </span>
          </>
        ) : (
          <span className="muted">move over an image to read values</span>
        )}
      </span>
      <span className="status" data-testid="status">
        {status}
      </span>
    </footer>
  );
}

export const SHORTCUT_HELP =
  'wheel/↑↓/PgUp/PgDn scroll · click crosshair · right-drag W/L · shift/middle-drag pan · ctrl+wheel or +/- zoom · 1 soft tissue 2 lung 3 bone 4 brain 5 liver · R reset · space overlay · X crosshair · C cine · L layout · M A E F T draw (ruler, angle, ellipse, freehand, text) · ? all shortcuts';
