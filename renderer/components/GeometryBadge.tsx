// Geometry status of a series as a small badge (ok / warning / unsafe) with the findings on hover, and the banner
// the viewer shows when mm and mL cannot be trusted.
import type { SeriesNode } from '../../shared/ipc/contract.js';

type Geometry = SeriesNode['geometry'];

export function GeometryBadge({ geometry }: { geometry: Geometry }) {
  const title = geometry.findings.length ? geometry.findings.map((f) => `${f.severity}: ${f.message}`).join('\n') : 'Geometry consistent';
  return (
    <span className={`badge badge-${geometry.status}`} title={title} data-testid="geometry-badge">
      {geometry.status}
    </span>
  );
}

export function GeometryBanner({ geometry }: { geometry: Geometry }) {
  if (geometry.status === 'ok') return null;
  return (
    <div className={`banner banner-${geometry.status}`} role="alert" data-testid="geometry-banner">
      {geometry.status === 'unsafe' ? 'UNSAFE GEOMETRY — distances, positions and volumes are not shown. ' : 'Geometry warning: '}
      {geometry.findings.map((f) => f.message).join(' · ')}
    </div>
  );
}
