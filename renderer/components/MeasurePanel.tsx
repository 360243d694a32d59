// Measurements of one segmentation beside the viewer: per label `V mL (lo–hi)`, HU mean ± SD and a HU histogram,
// lesion instances by stable number with RECIST axes (click: the views go to the lesion's RECIST slice and draw its
// axes), CSV/JSON export; refusals shown. Figures of a label map edited since are marked out of date at once.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import type { SegmentationInfo, MethodOutput } from '../../shared/ipc/contract.js';
import type { Vec3 } from '../../shared/domain/volume.js';
import type { RecistOverlay } from '../viewer/recistAxes.js';
import { errorMessage, useMethod } from '../state/useMethod.js';

type Histogram = MethodOutput<'measure.histogram'>;

/** Histograms are fetched for at most this many labels (a TotalSegmentator map has over 100). */
const MAX_HISTOGRAMS = 16;
const BINS = 40;

export function fmtMl(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function MeasurePanel(props: {
  /** A new list after every catalog change, edits included: the cue to check whether the figures are still current. */
  segmentations: readonly SegmentationInfo[];
  /** HU for CT, a.u. otherwise: MR signal is never labelled HU. */
  intensityUnit: string;
  onJump(lps: Vec3): void;
  /** Shows a lesion's RECIST axes on the views (null: none). */
  onShowLesion(recist: RecistOverlay | null): void;
  onStatus(s: string): void;
}) {
  const { segmentations, intensityUnit, onJump, onShowLesion, onStatus } = props;
  const [segId, setSegId] = useState<number | null>(null);
  const [connectivity, setConnectivity] = useState<6 | 26>(6);
  const measurement = useMethod('measure.segmentation');
  const exported = useMethod('measure.export');
  const [histograms, setHistograms] = useState<Record<number, Histogram>>({});
  const [histogramsLoading, setHistogramsLoading] = useState(false);
  /** Bumped by every measurement and segmentation change: histograms of an older one are dropped. */
  const histogramRun = useRef(0);
  /** The edit-journal version the label map is at now, when it differs from the one the figures were measured on. */
  const [staleAt, setStaleAt] = useState<number | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  const freshnessCheck = useRef(0);
  const result = measurement.result;
  const refusal = measurement.error ?? exported.error;
  const busy = measurement.busy || histogramsLoading;
  const { clear: clearMeasurement } = measurement;
  const { clear: clearExport } = exported;

  // Follow the newest segmentation unless the user picked one that still exists.
  useEffect(() => {
    setSegId((id) => (id !== null && segmentations.some((l) => l.segmentationId === id) ? id : (segmentations.at(-1)?.segmentationId ?? null)));
  }, [segmentations]);
  useEffect(() => {
    clearMeasurement();
    clearExport();
    histogramRun.current++;
    setHistograms({});
    setHistogramsLoading(false);
  }, [segId, clearMeasurement, clearExport]);

  // Every catalog change (a stroke, undo, redo, revert) may have edited the measured map: ask whether the figures
  // still describe it. Old figures stay readable but are marked out of date, and their axes leave the views.
  const runId = result?.runId ?? null;
  const measuredSegId = result?.segmentationId ?? null;
  useEffect(() => {
    const check = ++freshnessCheck.current;
    setStaleAt(null);
    if (runId === null || measuredSegId === null) return;
    api.call('measure.freshness', { segmentationId: measuredSegId, runId }).then(
      (f) => {
        if (check !== freshnessCheck.current) return;
        setStaleAt(f.stale ? f.currentLabelMapVersion : null);
        if (f.stale) {
          setPicked(null);
          onShowLesion(null);
        }
      },
      (err: unknown) => check === freshnessCheck.current && measurement.setError(`Cannot tell whether the figures are current: ${errorMessage(err)}`),
    );
    // measurement.setError is stable (a state setter behind useMethod).
  }, [segmentations, runId, measuredSegId, onShowLesion]);

  // A new measurement, or none, replaces the lesion whose axes are drawn.
  useEffect(() => {
    setPicked(null);
    onShowLesion(null);
  }, [runId, onShowLesion]);

  const measure = async (): Promise<void> => {
    if (segId === null) return;
    const run = ++histogramRun.current;
    setHistograms({});
    exported.clear();
    const r = await measurement.call({ segmentationId: segId, connectivity });
    if (!r || run !== histogramRun.current) return;
    setHistogramsLoading(true);
    try {
      for (const l of r.labels.filter((x) => x.voxels > 0).slice(0, MAX_HISTOGRAMS)) {
        // Plot the bulk of the label (p5..p95 widened by half its span) so a few outliers do not flatten it.
        const s = l.stats;
        const span = s && s.p5 !== null && s.p95 !== null ? s.p95 - s.p5 : 0;
        const range = s && s.p5 !== null && s.p95 !== null && span > 0 ? { loValue: s.p5 - span / 2, hiValue: s.p95 + span / 2 } : {};
        const h = await api.call('measure.histogram', { segmentationId: segId, labelValue: l.value, bins: BINS, ...range });
        if (run !== histogramRun.current) return;
        setHistograms((old) => ({ ...old, [l.value]: h }));
      }
    } catch (err) {
      if (run === histogramRun.current) measurement.setError(`Histogram: ${errorMessage(err)}`);
    } finally {
      if (run === histogramRun.current) setHistogramsLoading(false);
    }
  };

  const exportAs = async (format: 'csv' | 'json'): Promise<void> => {
    if (segId === null) return;
    const r = await exported.call({ segmentationId: segId, format });
    if (!r) return;
    const url = URL.createObjectURL(new Blob([r.text], { type: format === 'csv' ? 'text/csv' : 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = r.fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    onStatus(`Exported ${r.fileName}.`);
  };

  const showLesion = (label: { value: number }, inst: NonNullable<typeof result>['labels'][number]['instances'][number]): void => {
    setPicked(`${label.value}:${inst.id}`);
    // Axes from figures of an edited map would sit on anatomy the lesion may have left: only the centroid then.
    if (inst.recistLongEndpointsLps && staleAt === null) {
      onShowLesion({ labelValue: label.value, instanceId: inst.id, longLps: inst.recistLongEndpointsLps, shortLps: inst.recistShortEndpointsLps });
    } else {
      onShowLesion(null);
      onJump(inst.centroidLps);
    }
  };

  const shownLabels = result?.labels.filter((l) => l.voxels > 0) ?? [];
  const lesions = shownLabels.flatMap((l) => l.instances.map((i) => ({ label: l, inst: i })));
  return (
    <section className="analysis-section" data-testid="measure-panel">
      <h3>Measurements</h3>
      <div className="row">
        <select value={segId ?? ''} onChange={(e) => setSegId(Number(e.target.value))} data-testid="measure-seg">
          {segmentations.map((l) => (
            <option key={l.segmentationId} value={l.segmentationId}>
              #{l.segmentationId} {l.name}
            </option>
          ))}
        </select>
        <select
          value={connectivity}
          onChange={(e) => setConnectivity(Number(e.target.value) as 6 | 26)}
          title="lesion connectivity"
          data-testid="measure-connectivity"
        >
          <option value={6}>6-conn.</option>
          <option value={26}>26-conn.</option>
        </select>
        <button onClick={() => void measure()} disabled={segId === null || busy} data-testid="measure-button">
          {busy ? 'Measuring…' : 'Measure'}
        </button>
      </div>
      {refusal && (
        <div className="refusal" role="alert" data-testid="measure-error">
          {refusal}
        </div>
      )}
      {result && staleAt !== null && (
        <div className="refusal stale" role="alert" data-testid="measure-stale">
          Out of date: these figures were measured on version {result.labelMapVersion} of the label map, which has been edited since (now version {staleAt}).
          Measure again for current figures; export is refused until then.{' '}
          <button onClick={() => void measure()} disabled={busy} data-testid="measure-again">
            Measure again
          </button>
        </div>
      )}
      {result && (
        <>
          <div className={`small${staleAt !== null ? ' stale-figures' : ''}`}>
            geometry{' '}
            <span className={`badge badge-${result.geometry.status}`} data-testid="measure-geometry">
              {result.geometry.status}
            </span>{' '}
            <span className="muted">
              voxel {result.geometry.spacingMm.map((s) => s.toFixed(2)).join('×')} mm · run {result.runId} ·{' '}
              <span data-testid="measure-version" data-version={result.labelMapVersion}>
                label map version {result.labelMapVersion}
              </span>
            </span>
            {result.geometry.findings.map((f) => (
              <div key={f.code} className="muted">
                {f.severity}: {f.message}
              </div>
            ))}
            {result.geometry.warnings.map((w) => (
              <div key={w.code} className="muted" data-testid={`measure-warning-${w.code}`}>
                {w.message}
              </div>
            ))}
          </div>
          <table className={`measure-table${staleAt !== null ? ' stale-figures' : ''}`} data-testid="measure-table" data-stale={staleAt !== null}>
            <thead>
              <tr>
                <th>label</th>
                <th>volume mL (band)</th>
                <th data-testid="measure-unit">{intensityUnit} mean ± SD</th>
                <th>{intensityUnit} histogram</th>
              </tr>
            </thead>
            <tbody>
              {shownLabels.map((l) => (
                <tr
                  key={l.value}
                  data-testid={`measure-row-${l.value}`}
                  data-label={l.name}
                  onClick={() => l.centroidLps && onJump(l.centroidLps)}
                  title="click: go to the centroid"
                >
                  <td>{l.name}</td>
                  <td>
                    {l.touchesScanEdge && (
                      <span data-testid="lower-bound" title="reaches the first or last slice: possibly cut off by the scan, the volume is a lower bound">
                        ≥{' '}
                      </span>
                    )}
                    <span data-testid="volume-ml" data-ml={l.volumeMl}>
                      {fmtMl(l.volumeMl)}
                    </span>{' '}
                    <span className="muted">
                      ({fmtMl(l.volumeMlLower)}–{fmtMl(l.volumeMlUpper)})
                    </span>
                  </td>
                  <td>{l.stats && l.stats.mean !== null ? `${l.stats.mean.toFixed(0)} ± ${(l.stats.sd ?? 0).toFixed(0)}` : '—'}</td>
                  <td>{histograms[l.value] ? <HuHistogram h={histograms[l.value]} testId={`histogram-${l.value}`} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {lesions.length > 0 && (
            <>
              <h4>Lesions ({connectivity}-connected)</h4>
              <ul className={`lesion-list${staleAt !== null ? ' stale-figures' : ''}`} data-testid="lesion-list">
                {lesions.map(({ label, inst }) => (
                  <li key={`${label.value}:${inst.id}`}>
                    <button
                      className={`link${picked === `${label.value}:${inst.id}` ? ' picked' : ''}`}
                      onClick={() => showLesion(label, inst)}
                      aria-pressed={picked === `${label.value}:${inst.id}`}
                      title="click: go to the lesion's RECIST slice and draw its long (yellow) and short (magenta) axes"
                      data-testid={`lesion-${label.value}-${inst.id}`}
                    >
                      {label.name} #{inst.id}: {fmtMl(inst.volumeMl)} mL ({fmtMl(inst.volumeMlLower)}–{fmtMl(inst.volumeMlUpper)}), RECIST{' '}
                      {inst.recistLongMm !== null ? inst.recistLongMm.toFixed(1) : '—'} × {inst.recistShortMm !== null ? inst.recistShortMm.toFixed(1) : '—'} mm
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
          <div className="row">
            <button onClick={() => void exportAs('csv')} data-testid="export-csv">
              Export CSV
            </button>
            <button onClick={() => void exportAs('json')} data-testid="export-json">
              Export JSON
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** Bars of the label's HU histogram, its own range on the x axis (min and max written under it). */
function HuHistogram({ h, testId }: { h: Histogram; testId: string }) {
  const w = 100;
  const ht = 24;
  const peak = Math.max(1, ...h.counts);
  const bw = w / h.counts.length;
  const hi = h.loValue + h.binWidth * h.counts.length;
  return (
    <svg width={w} height={ht + 9} className="histogram" data-testid={testId} data-voxels={h.voxels} data-binned={h.counts.reduce((a, b) => a + b, 0)}>
      <title>{`${h.voxels} voxels; ${h.below} below ${Math.round(h.loValue)}, ${h.above} above ${Math.round(hi)}`}</title>
      {h.counts.map((c, b) => (c > 0 ? <rect key={b} x={b * bw} y={ht - (c / peak) * ht} width={Math.max(0.5, bw - 0.3)} height={(c / peak) * ht} /> : null))}
      <text x={0} y={ht + 8}>
        {Math.round(h.loValue)}
      </text>
      <text x={w} y={ht + 8} textAnchor="end">
        {Math.round(hi)}
      </text>
    </svg>
  );
}
