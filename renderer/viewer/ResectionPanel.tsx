// Virtual resection and label distances of a segmentation (planning.resect / planning.plans / planning.planRegion /
// planning.deletePlan / planning.distance): the organ label; a cut plane from two clicks on a 2D view
// (shared/domain/planning/cutPlane.ts) or through the organ's centre, moved along its normal and tilted about its two
// in-plane axes (planePose.ts; the 3D view shows it clipped to the organ's box, the 2D views its trace); or a region
// painted with a brush that only paints over the organ, held here apart from the label map (resectionRegion.ts) and
// sent as run lengths. The figures with their bands and tumour margins, the saved plans side by side (stale ones
// flagged), and the minimum distance between two labels with its closest points. Everything in mm/mL comes from the
// services, which refuse on unsafe geometry; their coded message is shown as is.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '../api.js';
import type { PlanSummaryWire, ResectionResultWire } from '../../shared/ipc/contract-planning.js';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import { cutPlaneFromClicks } from '../../shared/domain/planning/cutPlane.js';
import type { CutPlane } from '../../shared/domain/planning/resection.js';
import type { Vec3, VolumeGeometry } from '../../shared/domain/volume.js';
import type { Plane } from '../../shared/domain/mpr.js';
import {
  adjustPlane,
  defaultOrganPlane,
  inPlaneAxes,
  labelBoundsLps,
  nearestAxisName,
  NO_ADJUSTMENT,
  resectedSideMask,
  type PlaneAdjustment,
} from '../../shared/domain/planning/planePose.js';
import { decodeRegionRuns, encodeRegionRuns, regionVoxelCount, strokeRegion } from '../../shared/domain/planning/resectionRegion.js';
import type { VoxelPlane } from '../../shared/domain/editing/strokes.js';
import { drawBrushPreview, type EditPointerTool, type EditPointerView } from './editPointer.js';
import type { ViewerLabelMap } from './volumeStore.js';

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
  /** The label map of a segmentation as the viewer holds it (the region brush is confined to its organ voxels). */
  labelMapOf(segmentationId: number): Uint8Array | Uint16Array | null;
  /** The cut plane to show in 3D (clipped to the organ's LPS box) and on the 2D views; null: none. */
  onCutChange(cut: { plane: CutPlane; keep: 'positive' | 'negative'; boundsLps: { minLps: Vec3; maxLps: Vec3 } | null } | null): void;
  /** The region brush while painting (it takes left presses on the 2D views); null: not painting. */
  onPointerTool(tool: EditPointerTool | null): void;
  /** The painted region as one more overlay layer; null: none. */
  onRegionLayer(layer: ViewerLabelMap | null): void;
}

/** The voxel plane a disc brush lies in on a view whose slice index axis is the key (edits go by index). */
const PLANE_OF_AXIS: Record<number, VoxelPlane> = { 0: 'sagittal', 1: 'coronal', 2: 'axial' };
const REGION_RGB: [number, number, number] = [255, 64, 255];
const MAX_PATH = 10_000;

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

export function ResectionPanel({ grid, segmentations, cut, onPickCut, onGoTo, labelMapOf, onCutChange, onPointerTool, onRegionLayer }: ResectionPanelProps) {
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

  const [mode, setMode] = useState<'plane' | 'region'>('plane');
  const [adjust, setAdjust] = useState<PlaneAdjustment>(NO_ADJUSTMENT);
  const [region, setRegion] = useState<Uint8Array | null>(null);
  const [painting, setPainting] = useState(false);
  const [erasing, setErasing] = useState(false);
  const [radiusMm, setRadiusMm] = useState(10);

  useEffect(() => setOrgan(defaultOrgan), [defaultOrgan]);

  const organLabels = seg ? labelMapOf(seg.segmentationId) : null;
  const clicked: CutPlane | null = useMemo(() => {
    if (!cut || cut.points.length < 2) return null;
    try {
      return cutPlaneFromClicks(grid, cut.sliceAxis, cut.points[0], cut.points[1]);
    } catch {
      return null;
    }
  }, [grid, cut]);
  // Without clicks the cut starts through the organ's centre, normal to the patient's left (then moved and tilted).
  const organPlane = useMemo(() => (organLabels ? defaultOrganPlane(grid, organLabels, organ) : null), [grid, organLabels, organ]);
  const basePlane = clicked ?? organPlane;
  const bounds = useMemo(() => (organLabels ? labelBoundsLps(grid, organLabels, organ) : null), [grid, organLabels, organ]);
  // A new base plane (new clicks, another organ) starts untilted.
  useEffect(() => setAdjust(NO_ADJUSTMENT), [basePlane]);
  const plane: CutPlane | null = useMemo(() => (basePlane ? adjustPlane(basePlane, adjust) : null), [basePlane, adjust]);
  const tiltAxes = useMemo(() => (basePlane ? inPlaneAxes(basePlane.normalLps) : null), [basePlane]);

  useEffect(() => onCutChange(mode === 'plane' && plane ? { plane, keep, boundsLps: bounds } : null), [mode, plane, keep, bounds, onCutChange]);
  useEffect(() => () => onCutChange(null), [onCutChange]);

  // The region belongs to one organ of one map: another choice starts a new one.
  useEffect(() => {
    setRegion(null);
    setPainting(false);
  }, [seg?.segmentationId, organ]);
  // In plane mode the organ voxels on the resected side are previewed in the region's colour.
  const [preview, setPreview] = useState(true);
  const planePreview = useMemo(
    () => (mode === 'plane' && preview && plane && organLabels ? resectedSideMask(grid, organLabels, organ, plane, keep) : null),
    [mode, preview, plane, organLabels, grid, organ, keep],
  );
  const previewVoxels = useMemo(() => (planePreview ? regionVoxelCount(planePreview) : 0), [planePreview]);
  const layerMask = mode === 'region' ? region : planePreview;
  const regionLayer: ViewerLabelMap | null = useMemo(
    () =>
      layerMask && seg
        ? {
            // A negative id keeps the overlay cache of the region apart from stored maps and previews.
            summary: {
              segmentationId: -1_000_000 - seg.segmentationId,
              seriesId: seg.seriesId,
              name: 'resection region',
              source: 'edit',
              createdAt: '',
              labels: [{ value: 1, name: 'resection region', colorRgb: REGION_RGB, kind: 'other' }],
            },
            labels: layerMask,
          }
        : null,
    [layerMask, seg],
  );
  useEffect(() => onRegionLayer(regionLayer), [regionLayer, onRegionLayer]);
  useEffect(() => () => onRegionLayer(null), [onRegionLayer]);

  // The region brush: settings read at each press through a ref, so the views keep one tool while painting.
  const brush = useRef({ erasing, radiusMm, organ, organLabels, region, grid });
  brush.current = { erasing, radiusMm, organ, organLabels, region, grid };
  const tool = useMemo<EditPointerTool>(() => {
    let view: EditPointerView | null = null;
    let path: Vec3[] = [];
    let last: { x: number; y: number } | null = null;
    return {
      outlineRadiusMm: () => brush.current.radiusMm,
      begin(v, at) {
        if (!brush.current.organLabels) return false;
        view = v;
        path = [at.ijk];
        last = at.pixel;
        drawBrushPreview(v, [at.pixel], brush.current.radiusMm, brush.current.erasing ? '#ffffff' : `rgb(${REGION_RGB.join(',')})`);
        return true;
      },
      move(at) {
        if (!view || !last || path.length >= MAX_PATH) return;
        const prev = path[path.length - 1];
        if (Math.hypot(at.ijk[0] - prev[0], at.ijk[1] - prev[1], at.ijk[2] - prev[2]) < 0.25) return;
        path.push(at.ijk);
        drawBrushPreview(view, [last, at.pixel], brush.current.radiusMm, brush.current.erasing ? '#ffffff' : `rgb(${REGION_RGB.join(',')})`);
        last = at.pixel;
      },
      end() {
        const b = brush.current;
        if (!view || !b.organLabels) return;
        const current = b.region ?? new Uint8Array(b.organLabels.length);
        const next = strokeRegion(b.grid, b.organLabels, b.organ, current, {
          mode: b.erasing ? 'erase' : 'paint',
          pathIjk: path,
          radiusMm: b.radiusMm,
          shape: 'disc',
          plane: PLANE_OF_AXIS[view.axes.sliceAxis],
        });
        setRegion(next.region);
        view = null;
        last = null;
        path = [];
      },
    };
  }, []);
  useEffect(() => onPointerTool(mode === 'region' && painting ? tool : null), [mode, painting, tool, onPointerTool]);
  useEffect(() => () => onPointerTool(null), [onPointerTool]);
  const regionVoxels = useMemo(() => (region ? regionVoxelCount(region) : 0), [region]);

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
    if (mode === 'plane' ? !plane : !region) return;
    setError(null);
    const cutInput = mode === 'plane' ? { plane: plane!, keep } : { region: { runs: encodeRegionRuns(region!) }, keep };
    api.call('planning.resect', { segmentationId: seg.segmentationId, organLabel: organ, ...cutInput, save: true }).then(
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
  const showRegion = (planId: number): void => {
    api.call('planning.planRegion', { planId }).then(
      (r) => {
        setMode('region');
        setRegion(decodeRegionRuns(r.runs, grid.dims[0] * grid.dims[1] * grid.dims[2]));
      },
      (err: unknown) => setError(errorText(err)),
    );
  };
  const setAdjustment = (key: keyof PlaneAdjustment, value: number): void => {
    if (Number.isFinite(value)) setAdjust((a) => ({ ...a, [key]: value }));
  };
  const adjustInput = (key: keyof PlaneAdjustment, label: string, min: number, max: number, step: number, unit: string) => (
    <label title={key === 'offsetMm' ? 'move the plane along its normal' : 'tilt the plane about this in-plane axis'}>
      {label} <input type="range" min={min} max={max} step={step} value={adjust[key]} onChange={(e) => setAdjustment(key, Number(e.target.value))} />
      <input
        type="number"
        className="fps"
        data-testid={`resection-${key === 'offsetMm' ? 'offset' : key === 'tiltUDeg' ? 'tilt-u' : 'tilt-v'}`}
        min={min}
        max={max}
        step={step}
        value={adjust[key]}
        onChange={(e) => setAdjustment(key, Number(e.target.value))}
      />{' '}
      {unit}
    </label>
  );
  const canCompute = mode === 'plane' ? plane !== null : regionVoxels > 0;
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
        <label>
          cut by{' '}
          <select data-testid="resection-mode" value={mode} onChange={(e) => setMode(e.target.value as 'plane' | 'region')}>
            <option value="plane">plane</option>
            <option value="region">painted region</option>
          </select>
        </label>{' '}
        {mode === 'plane' ? (
          <>
            <button type="button" data-testid="resection-pick" className={picking ? 'on' : ''} onClick={onPickCut} title="click two points on a 2D view">
              {picking ? `click point ${(cut?.points.length ?? 0) + 1} of 2` : 'define cut (2 clicks)'}
            </button>{' '}
            <label>
              keep{' '}
              <select data-testid="resection-keep" value={keep} onChange={(e) => setKeep(e.target.value as 'positive' | 'negative')}>
                <option value="positive">positive side (where the normal points)</option>
                <option value="negative">negative side</option>
              </select>
            </label>{' '}
          </>
        ) : (
          <>
            <button
              type="button"
              data-testid="resection-paint"
              className={painting ? 'on' : ''}
              onClick={() => setPainting((v) => !v)}
              title="paint the part to resect on the 2D views; only the organ's voxels are painted"
            >
              {painting ? 'painting…' : 'paint region'}
            </button>{' '}
            <label>
              <input type="checkbox" data-testid="resection-erase" checked={erasing} onChange={(e) => setErasing(e.target.checked)} /> erase
            </label>{' '}
            <label>
              radius{' '}
              <input
                type="number"
                className="fps"
                data-testid="resection-radius"
                min={1}
                max={50}
                value={radiusMm}
                onChange={(e) => Number(e.target.value) > 0 && setRadiusMm(Math.min(50, Number(e.target.value)))}
              />{' '}
              mm
            </label>{' '}
            <span className="muted" data-testid="resection-region-voxels" data-voxels={regionVoxels}>
              {regionVoxels} voxels over the organ
            </span>{' '}
            <button type="button" data-testid="resection-clear" onClick={() => setRegion(null)} disabled={!region}>
              clear
            </button>{' '}
          </>
        )}
        <button type="button" data-testid="resection-compute" disabled={!canCompute} onClick={compute}>
          compute &amp; save
        </button>
      </div>
      {mode === 'plane' && basePlane && tiltAxes && (
        <div data-testid="resection-adjust">
          {adjustInput('offsetMm', 'offset', -100, 100, 0.5, 'mm')} {adjustInput('tiltUDeg', `tilt about ${nearestAxisName(tiltAxes.u)}`, -90, 90, 1, '°')}{' '}
          {adjustInput('tiltVDeg', `tilt about ${nearestAxisName(tiltAxes.v)}`, -90, 90, 1, '°')}{' '}
          <button type="button" data-testid="resection-adjust-reset" onClick={() => setAdjust(NO_ADJUSTMENT)}>
            untilt
          </button>{' '}
          <span className="muted">{clicked ? 'from the two clicks' : 'through the organ’s centre'}</span>{' '}
          <label title="colour the organ voxels whose centre lies on the resected side">
            <input type="checkbox" data-testid="resection-preview" checked={preview} onChange={(e) => setPreview(e.target.checked)} /> preview resected side
          </label>{' '}
          <span className="muted" data-testid="resection-preview-voxels" data-voxels={previewVoxels} />
        </div>
      )}
      {mode === 'plane' && plane && (
        <div className="muted" data-testid="resection-plane" data-plane={JSON.stringify(plane)} data-source={clicked ? 'clicks' : 'organ'}>
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
              <th>cut / kept</th>
              <th>margins</th>
              <th>map version</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {plans.map((p) => {
              const f = figures(p.result);
              return (
                <tr
                  key={p.planId}
                  data-testid={`plan-${p.planId}`}
                  data-mode={p.mode}
                  data-normal={p.plane ? p.plane.normalLps.join(',') : ''}
                  data-stale={p.stale ? 'true' : 'false'}
                  data-resected-ml={p.result.resectedMl}
                  data-remnant-percent={p.result.remnantPercent}
                >
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
                  <td>
                    {p.mode === 'region' ? (
                      <button type="button" data-testid={`plan-${p.planId}-show`} title="show this plan's painted region" onClick={() => showRegion(p.planId)}>
                        region ({p.regionVoxels} vx)
                      </button>
                    ) : (
                      p.keep
                    )}
                  </td>
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
