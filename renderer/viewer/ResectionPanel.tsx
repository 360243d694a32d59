// Virtual resection and label distances of a segmentation (planning.resect / planning.plans / planning.deletePlan /
// planning.distance): the organ label, a cut plane from two clicks on a 2D view (shared/domain/planning/cutPlane.ts),
// the kept side, the figures with their bands and tumour margins, the saved plans side by side (stale ones flagged),
// and the minimum distance between two labels with its closest points. Everything in mm/mL comes from the services,
// which refuse on unsafe geometry; their coded message is shown as is.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../api.js';
import type { PlanSummaryWire, ResectionResultWire } from '../../shared/ipc/contract-planning.js';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import { cutPlaneFromClicks } from '../../shared/domain/planning/cutPlane.js';
import type { CutPlane } from '../../shared/domain/planning/resection.js';
import type { Vec3, VolumeGeometry } from '../../shared/domain/volume.js';
import type { Plane } from '../../shared/domain/mpr.js';

export interface CutClicks {
  /** The view clicked on, and its slice index axis. */
  plane: Plane;
  sliceAxis: 0 | 1 | 2;
  points: Vec3[];
}

export interface ResectionPanelProps {
  grid: VolumeGeometry;
  segmentations: readonly SegmentationInfo[];
  /** The clicks of the cut so far (null: not picking). */
  cut: CutClicks | null;
  onPickCut(): void;
  /** Move the crosshair to an LPS point. */
  onGoTo(lps: Vec3): void;
}

const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err));
const ml = (v: number): string => `${v.toFixed(1)} mL`;
const pct = (v: number): string => `${v.toFixed(1)} %`;

function figures(r: ResectionResultWire): { organ: string; resected: string; remnant: string; percent: string; margins: string } {
  return {
    organ: `${ml(r.organMl)} (${r.organMlLower.toFixed(1)}–${r.organMlUpper.toFixed(1)})`,
    resected: ml(r.resectedMl),
    remnant: ml(r.remnantMl),
    percent: `${pct(r.remnantPercent)} (${r.remnantPercentLower.toFixed(1)}–${r.remnantPercentUpper.toFixed(1)})`,
    margins: r.marginsMm.length === 0 ? '—' : r.marginsMm.map((m) => `${m.name} #${m.instance}: ${m.marginMm.toFixed(1)} mm`).join('; '),
  };
}

export function ResectionPanel({ grid, segmentations, cut, onPickCut, onGoTo }: ResectionPanelProps) {
  const [segmentationId, setSegmentationId] = useState<number | null>(segmentations[0]?.segmentationId ?? null);
  const seg = segmentations.find((s) => s.segmentationId === segmentationId) ?? segmentations[0] ?? null;
  const labels = useMemo(() => (seg ? seg.labels.filter((l) => l.value > 0) : []), [seg]);
  const defaultOrgan = labels.find((l) => /liver/i.test(l.name))?.value ?? labels[0]?.value ?? 1;
  const [organ, setOrgan] = useState<number>(defaultOrgan);
  const [keep, setKeep] = useState<'positive' | 'negative'>('positive');
  const [result, setResult] = useState<{ planId: number | null; result: ResectionResultWire } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [plans, setPlans] = useState<PlanSummaryWire[]>([]);
  const [distFrom, setDistFrom] = useState<number>(defaultOrgan);
  const [distTo, setDistTo] = useState<number>(labels.find((l) => /aorta/i.test(l.name))?.value ?? labels[1]?.value ?? 1);
  const [distance, setDistance] = useState<{ mm: number; a: Vec3; b: Vec3 } | null>(null);
  const [distError, setDistError] = useState<string | null>(null);

  useEffect(() => setOrgan(defaultOrgan), [defaultOrgan]);

  const plane: CutPlane | null = useMemo(() => {
    if (!cut || cut.points.length < 2) return null;
    try {
      return cutPlaneFromClicks(grid, cut.sliceAxis, cut.points[0], cut.points[1]);
    } catch {
      return null;
    }
  }, [grid, cut]);

  const reloadPlans = useCallback(() => {
    if (!seg) return;
    api.call('planning.plans', { segmentationId: seg.segmentationId }).then(
      (r) => setPlans(r.plans),
      (err: unknown) => setError(errorText(err)),
    );
  }, [seg]);
  useEffect(reloadPlans, [reloadPlans]);

  if (!seg) return null;
  const compute = (): void => {
    if (!plane) return;
    setError(null);
    api.call('planning.resect', { segmentationId: seg.segmentationId, organLabel: organ, plane, keep, save: true }).then(
      (r) => {
        setResult({ planId: r.planId, result: r.result });
        reloadPlans();
      },
      (err: unknown) => {
        setResult(null);
        setError(errorText(err));
      },
    );
  };
  const measure = (): void => {
    setDistError(null);
    api.call('planning.distance', { segmentationId: seg.segmentationId, from: { labelValue: distFrom }, to: { labelValue: distTo } }).then(
      (r) => setDistance({ mm: r.minDistanceMm, a: r.fromPointLps, b: r.toPointLps }),
      (err: unknown) => {
        setDistance(null);
        setDistError(errorText(err));
      },
    );
  };
  const labelOptions = labels.map((l) => (
    <option key={l.value} value={l.value}>
      {l.name}
    </option>
  ));
  const shown = result ? figures(result.result) : null;
  const picking = cut !== null && cut.points.length < 2;
  return (
    <div className="resection-panel" data-testid="resection-panel">
      <div>
        <strong>Resection</strong>{' '}
        {segmentations.length > 1 && (
          <select data-testid="resection-segmentation" value={seg.segmentationId} onChange={(e) => setSegmentationId(Number(e.target.value))}>
            {segmentations.map((s) => (
              <option key={s.segmentationId} value={s.segmentationId}>
                {s.name}
              </option>
            ))}
          </select>
        )}{' '}
        <label>
          organ{' '}
          <select data-testid="resection-organ" value={organ} onChange={(e) => setOrgan(Number(e.target.value))}>
            {labelOptions}
          </select>
        </label>{' '}
        <button type="button" data-testid="resection-pick" className={picking ? 'on' : ''} onClick={onPickCut} title="click two points on a 2D view">
          {picking ? `click point ${(cut?.points.length ?? 0) + 1} of 2` : 'define cut (2 clicks)'}
        </button>{' '}
        <label>
          keep{' '}
          <select data-testid="resection-keep" value={keep} onChange={(e) => setKeep(e.target.value as 'positive' | 'negative')}>
            <option value="positive">positive side (right of the line)</option>
            <option value="negative">negative side (left of the line)</option>
          </select>
        </label>{' '}
        <button type="button" data-testid="resection-compute" disabled={!plane} onClick={compute}>
          compute &amp; save
        </button>
      </div>
      {plane && (
        <div className="muted" data-testid="resection-plane" data-plane={JSON.stringify(plane)}>
          plane through ({plane.pointLps.map((v) => v.toFixed(1)).join(', ')}) mm, normal ({plane.normalLps.map((v) => v.toFixed(3)).join(', ')}) LPS
        </div>
      )}
      {error && (
        <div className="error" data-testid="resection-error">
          {error}
        </div>
      )}
      {shown && result && (
        <div data-testid="resection-result" data-remnant-percent={result.result.remnantPercent}>
          organ {shown.organ} · resected {shown.resected} · remnant {shown.remnant} · remnant{' '}
          <span data-testid="resection-remnant-percent">{shown.percent}</span> · margins {shown.margins}
          {plans.find((p) => p.planId === result.planId)?.stale && (
            <span className="error" data-testid="resection-stale">
              {' '}
              (stale: the label map was edited after this result)
            </span>
          )}
          {result.result.warnings.map((w) => (
            <div key={w.code} className="muted">
              {w.code}: {w.message}
            </div>
          ))}
        </div>
      )}
      {plans.length > 0 && (
        <table className="plan-table" data-testid="plan-table">
          <thead>
            <tr>
              <th>plan</th>
              <th>organ</th>
              <th>resected</th>
              <th>remnant</th>
              <th>remnant %</th>
              <th>kept</th>
              <th>margins</th>
              <th>map version</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {plans.map((p) => {
              const f = figures(p.result);
              return (
                <tr key={p.planId} data-testid={`plan-${p.planId}`} data-stale={p.stale ? 'true' : 'false'} data-remnant-percent={p.result.remnantPercent}>
                  <td>
                    {p.name}
                    {p.stale && (
                      <span className="error" title="the label map was edited after this plan was computed">
                        {' '}
                        (stale)
                      </span>
                    )}
                  </td>
                  <td>{f.organ}</td>
                  <td>{f.resected}</td>
                  <td>{f.remnant}</td>
                  <td>{f.percent}</td>
                  <td>{p.keep}</td>
                  <td>{f.margins}</td>
                  <td>{p.labelMapVersion}</td>
                  <td>
                    <button
                      type="button"
                      data-testid={`plan-${p.planId}-delete`}
                      title="delete"
                      onClick={() => void api.call('planning.deletePlan', { planId: p.planId }).then(reloadPlans, (err: unknown) => setError(errorText(err)))}
                    >
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <div>
        <strong>Distance</strong>{' '}
        <select data-testid="distance-from" value={distFrom} onChange={(e) => setDistFrom(Number(e.target.value))}>
          {labelOptions}
        </select>{' '}
        ↔{' '}
        <select data-testid="distance-to" value={distTo} onChange={(e) => setDistTo(Number(e.target.value))}>
          {labelOptions}
        </select>{' '}
        <button type="button" data-testid="distance-measure" onClick={measure}>
          measure
        </button>{' '}
        {distance && (
          <>
            <span data-testid="distance-result" data-mm={distance.mm}>
              {distance.mm.toFixed(1)} mm
            </span>{' '}
            <button type="button" data-testid="distance-goto-a" onClick={() => onGoTo(distance.a)}>
              go to A
            </button>{' '}
            <button type="button" data-testid="distance-goto-b" onClick={() => onGoTo(distance.b)}>
              go to B
            </button>
          </>
        )}
        {distError && (
          <span className="error" data-testid="distance-error">
            {distError}
          </span>
        )}
      </div>
    </div>
  );
}
