// Body composition of the open series (bodycomp.compute, the service behind `medseg bodycomp`): a tissue map and a
// vertebra map (or one map holding both), a slice (a level such as L3, a slice index, or z=MM); per level each tissue's
// volume in mL with its band, and on the slice each tissue's area (cm²) and mean HU, with a button to go there.
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../api.js';
import type { MethodInput, MethodOutput, SegmentationInfo, VolumeInfo } from '../../shared/ipc/contract.js';
import { ijkToLps, type Vec3 } from '../../shared/domain/volume.js';

type Report = MethodOutput<'bodycomp.compute'>;
type SliceChoice = NonNullable<MethodInput<'bodycomp.compute'>['slice']>;

const VERTEBRA = /^(vertebrae?_)?[CTLS]\d{1,2}$/i;
const hasVertebrae = (s: SegmentationInfo): boolean => s.labels.some((l) => VERTEBRA.test(l.name));
const hasTissues = (s: SegmentationInfo): boolean => s.labels.some((l) => /muscle|fat/i.test(l.name));

/** The slice field as `--slice` reads it: L3 / vertebrae_L3, a slice index, or z=MM; null when it does not parse. */
export function parseSliceField(text: string): SliceChoice | null {
  const t = text.trim();
  if (/^z=/i.test(t)) {
    const z = Number(t.slice(2));
    return t.slice(2).trim() !== '' && Number.isFinite(z) ? { zLpsMm: z } : null;
  }
  if (/^\d+$/.test(t)) return { k: Number(t) };
  return VERTEBRA.test(t) ? { level: t } : null;
}

const fmt = (v: number | null, digits: number): string => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(digits));
/** What the used maps looked like when computed (label voxel counts change with an edit). */
const fingerprint = (maps: readonly SegmentationInfo[], ids: number[]): string =>
  JSON.stringify(ids.map((id) => maps.find((m) => m.segmentationId === id)?.labels.map((l) => [l.value, l.voxels]) ?? null));

export function BodyCompPanel(props: { seriesId: number; segmentations: readonly SegmentationInfo[]; onJump(lps: Vec3): void }) {
  const { seriesId, segmentations, onJump } = props;
  const [tissuesId, setTissuesId] = useState<number | null>(null);
  /** 0: the tissue map holds the vertebrae too. */
  const [vertebraeId, setVertebraeId] = useState<number>(0);
  const [sliceText, setSliceText] = useState('L3');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<{ report: Report; fingerprint: string } | null>(null);
  const [grid, setGrid] = useState<VolumeInfo | null>(null);

  useEffect(() => {
    let alive = true;
    api.call('volume.info', { seriesId }).then(
      (info) => alive && setGrid(info),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [seriesId]);
  // defaults: a map with tissue names, and another map with vertebra names
  useEffect(() => {
    const ids = segmentations.map((s) => s.segmentationId);
    setTissuesId((x) => (x !== null && ids.includes(x) ? x : ((segmentations.find(hasTissues) ?? segmentations[0])?.segmentationId ?? null)));
    setVertebraeId((x) => (x !== 0 && ids.includes(x) ? x : (segmentations.find((s) => hasVertebrae(s) && !hasTissues(s))?.segmentationId ?? 0)));
  }, [segmentations]);

  const usedIds = report ? [report.report.provenance.tissuesSegmentationId, report.report.provenance.vertebraeSegmentationId] : [];
  const stale = report !== null && fingerprint(segmentations, usedIds) !== report.fingerprint;

  const compute = async (): Promise<void> => {
    if (tissuesId === null) return;
    const slice = parseSliceField(sliceText);
    if (!slice) return setError(`INVALID_INPUT: slice '${sliceText}': give a level (L3), a slice index or z=MM.`);
    setBusy(true);
    setError(null);
    setReport(null);
    const vertebrae = vertebraeId === 0 ? tissuesId : vertebraeId;
    try {
      const r = await api.call('bodycomp.compute', {
        seriesId,
        tissuesSegmentationId: tissuesId,
        ...(vertebraeId === 0 ? {} : { vertebraeSegmentationId: vertebraeId }),
        slice,
      });
      setReport({ report: r, fingerprint: fingerprint(segmentations, [tissuesId, vertebrae]) });
    } catch (e) {
      setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e instanceof Error ? e.message : e));
    } finally {
      setBusy(false);
    }
  };

  const sliceCentre = useMemo((): Vec3 | null => {
    if (!grid || !report) return null;
    return ijkToLps(grid, [(grid.dims[0] - 1) / 2, (grid.dims[1] - 1) / 2, report.report.slice.k]);
  }, [grid, report]);

  if (segmentations.length === 0) return null;
  const r = report?.report;
  return (
    <section className="analysis-section" data-testid="bodycomp-panel">
      <h3>Body composition</h3>
      <div className="row">
        tissues{' '}
        <select value={tissuesId ?? ''} onChange={(e) => setTissuesId(Number(e.target.value))} data-testid="bodycomp-tissues">
          {segmentations.map((s) => (
            <option key={s.segmentationId} value={s.segmentationId}>
              #{s.segmentationId} {s.name}
            </option>
          ))}
        </select>{' '}
        vertebrae{' '}
        <select value={vertebraeId} onChange={(e) => setVertebraeId(Number(e.target.value))} data-testid="bodycomp-vertebrae">
          <option value={0}>same map</option>
          {segmentations.map((s) => (
            <option key={s.segmentationId} value={s.segmentationId}>
              #{s.segmentationId} {s.name}
            </option>
          ))}
        </select>
      </div>
      <div className="row">
        slice{' '}
        <input
          value={sliceText}
          size={8}
          onChange={(e) => setSliceText(e.target.value)}
          title="a level (L3), a slice index, or z=MM (LPS)"
          data-testid="bodycomp-slice"
        />{' '}
        <button onClick={() => void compute()} disabled={tissuesId === null || busy} data-testid="bodycomp-run">
          {busy ? '…' : 'Compute'}
        </button>
      </div>
      {error && (
        <div className="refusal" role="alert" data-testid="bodycomp-error">
          {error}
        </div>
      )}
      {r && (
        <div data-testid="bodycomp-result" data-stale={stale ? 'true' : 'false'}>
          {stale && (
            <div className="refusal" data-testid="bodycomp-stale">
              The label maps changed since: these figures are not current. Compute again.
            </div>
          )}
          <div className="muted small">
            geometry {r.geometryStatus} · mL with the partial-volume band; a level's slab is every slice within the vertebra's S extent (slabs overlap)
          </div>
          {r.warnings.map((w, n) => (
            <div key={n} className="muted small" data-testid={`bodycomp-warning-${w.code}`}>
              {w.code}: {w.message}
            </div>
          ))}
          <div className="small" data-testid="bodycomp-slice-heading">
            slice k={r.slice.k}
            {r.slice.level ? ` (${r.slice.level})` : ''}, z={fmt(r.slice.zLps, 1)} mm{' '}
            <button onClick={() => sliceCentre && onJump(sliceCentre)} disabled={!sliceCentre} data-testid="bodycomp-goto">
              go to slice
            </button>
          </div>
          <table className="measure-table" data-testid="bodycomp-slice-table">
            <thead>
              <tr>
                <th>tissue</th>
                <th>area cm²</th>
                <th>mean {r.intensityUnit === 'HU' ? 'HU' : '(no HU)'}</th>
              </tr>
            </thead>
            <tbody>
              {r.slice.tissues.map((t) => (
                <tr key={t.name} data-testid={`bodycomp-slice-${t.name}`}>
                  <td>{t.name}</td>
                  <td data-testid="area">{fmt(t.areaCm2, 2)}</td>
                  <td data-testid="mean">{fmt(t.meanHu, 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {r.levels.map((l) => (
            <table key={l.level} className="measure-table" data-testid={`bodycomp-level-${l.level}`}>
              <caption className="small">
                <b>{l.level}</b> · slices {l.sliceRange[0]}–{l.sliceRange[1]}
                {l.truncated ? ' · cut by the scan (lower bounds)' : ''}
              </caption>
              <thead>
                <tr>
                  <th>tissue</th>
                  <th>mL</th>
                  <th>band mL</th>
                </tr>
              </thead>
              <tbody>
                {l.tissues.map((t) => (
                  <tr key={t.name} data-testid={`bodycomp-level-${l.level}-${t.name}`}>
                    <td>{t.name}</td>
                    <td data-testid="ml">{fmt(t.volumeMl, 1)}</td>
                    <td data-testid="band">
                      {fmt(t.volumeMlLower, 1)}–{fmt(t.volumeMlUpper, 1)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
        </div>
      )}
    </section>
  );
}
