// Volume over time for one label: a point per measured study with its partial-volume band as an error bar, and the
// change against the previous study in mL and %, flagged when it lies within the two bands' overlap (not a real change).
import type { TimelineStudyView } from '../../../shared/ipc/contract-timeline.js';

export interface VolumePoint {
  date: string;
  caseKey: string;
  volumeMl: number;
  volumeMlLower: number;
  volumeMlUpper: number;
  changeMl: number | null;
  changePercent: number | null;
  withinBands: boolean | null;
}

/** Per label name, its points in time order (studies without a current measurement take no part). */
export function volumeSeries(timepoints: TimelineStudyView[]): Map<string, VolumePoint[]> {
  const out = new Map<string, VolumePoint[]>();
  for (const t of timepoints) {
    if (t.error || !t.labels) continue;
    for (const l of t.labels) {
      const list = out.get(l.name) ?? [];
      list.push({ date: t.studyDate, caseKey: t.caseKey, ...l });
      out.set(l.name, list);
    }
  }
  return out;
}

const W = 520;
const H = 240;
const PAD = { left: 80, right: 80, top: 16, bottom: 56 };

export function formatChange(p: VolumePoint): string {
  if (p.changeMl === null) return 'baseline';
  const sign = p.changeMl >= 0 ? '+' : '';
  const pct = p.changePercent === null ? '' : ` (${sign}${p.changePercent.toFixed(1)} %)`;
  return `${sign}${p.changeMl.toFixed(2)} mL${pct}`;
}

export function VolumePlot({ name, points }: { name: string; points: VolumePoint[] }) {
  const hi = Math.max(...points.map((p) => p.volumeMlUpper), 0) * 1.1 || 1;
  const x = (n: number): number => PAD.left + (points.length === 1 ? 0.5 : n / (points.length - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / hi) * (H - PAD.top - PAD.bottom);
  const ticks = [0, hi / 2, hi];
  return (
    <figure className="volume-plot" data-testid={`volume-plot-${name}`}>
      <figcaption>{name}: volume over time (mL, bars = partial-volume band)</figcaption>
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${name} volume over time`}>
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} className="axis" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} className="axis" />
        {ticks.map((v) => (
          <text key={v} x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="tick">
            {v.toFixed(v < 10 ? 2 : 1)}
          </text>
        ))}
        <polyline points={points.map((p, n) => `${x(n)},${y(p.volumeMl)}`).join(' ')} className="trend" fill="none" />
        {points.map((p, n) => (
          <g
            key={p.caseKey}
            data-testid="volume-point"
            data-case={p.caseKey}
            data-volume-ml={p.volumeMl}
            data-lower-ml={p.volumeMlLower}
            data-upper-ml={p.volumeMlUpper}
            data-within-bands={p.withinBands === null ? '' : String(p.withinBands)}
          >
            <line x1={x(n)} x2={x(n)} y1={y(p.volumeMlLower)} y2={y(p.volumeMlUpper)} className="band" />
            <line x1={x(n) - 5} x2={x(n) + 5} y1={y(p.volumeMlLower)} y2={y(p.volumeMlLower)} className="band" />
            <line x1={x(n) - 5} x2={x(n) + 5} y1={y(p.volumeMlUpper)} y2={y(p.volumeMlUpper)} className="band" />
            <circle cx={x(n)} cy={y(p.volumeMl)} r={4} className={p.withinBands ? 'point within' : 'point'} />
            <text x={x(n)} y={H - PAD.bottom + 14} textAnchor="middle" className="tick">
              {p.date || '?'}
            </text>
            <text x={x(n)} y={H - PAD.bottom + 28} textAnchor="middle" className={p.withinBands ? 'tick flagged' : 'tick'}>
              {p.volumeMl.toFixed(2)} mL [{p.volumeMlLower.toFixed(2)}–{p.volumeMlUpper.toFixed(2)}]
            </text>
            <text x={x(n)} y={H - PAD.bottom + 42} textAnchor="middle" className={p.withinBands ? 'tick flagged' : 'tick'}>
              {formatChange(p)}
              {p.withinBands ? ' ≈' : ''}
            </text>
          </g>
        ))}
      </svg>
      {points.some((p) => p.withinBands) && (
        <p className="muted small" data-testid="within-bands-note">
          ≈ the change lies within the overlap of the two bands: not distinguishable from measurement uncertainty.
        </p>
      )}
    </figure>
  );
}
