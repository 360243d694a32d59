// Classical segmentation without a model: threshold (HU range, live preview), region grow (click a seed in a view
// while the tool is active), k-means (k), each optionally inside an ROI box; previewed, then "Keep" stores it.
import { useEffect, useState } from 'react';
import { useMethod } from '../state/useMethod.js';
import type { ClassicalToolInput } from '../../shared/ipc/contract-analysis.js';
import type { Vec3 } from '../../shared/domain/volume.js';
import type { PreviewOverlay } from '../viewer/analysisLayers.js';

type Tool = 'threshold' | 'regionGrow' | 'kmeans' | 'edges';
const LIVE_DELAY_MS = 250;

function parseIjk(text: string): Vec3 | null {
  const n = text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  return n.length === 3 && n.every((x) => Number.isInteger(x) && x >= 0) ? (n as Vec3) : null;
}

export function ClassicalPanel(props: {
  seriesId: number;
  intensityUnit: string;
  preview: PreviewOverlay | null;
  setPreview(p: PreviewOverlay | null): void;
  setPickListener(l: ((ijk: Vec3) => void) | null): void;
  onAdded(): void;
  onStatus(s: string): void;
}) {
  const { seriesId, intensityUnit, setPreview, setPickListener, onAdded, onStatus } = props;
  const [tool, setTool] = useState<Tool | ''>('');
  const [lo, setLo] = useState('100');
  const [hi, setHi] = useState('200');
  const [useTolerance, setUseTolerance] = useState(true);
  const [tolerance, setTolerance] = useState('40');
  const [connectivity, setConnectivity] = useState<6 | 26>(6);
  const [cap, setCap] = useState('2000000');
  const [seed, setSeed] = useState<Vec3 | null>(null);
  const [k, setK] = useState('3');
  const [edge, setEdge] = useState('20');
  const [useRoi, setUseRoi] = useState(false);
  const [roiMin, setRoiMin] = useState('0,0,0');
  const [roiMax, setRoiMax] = useState('');
  const [summary, setSummary] = useState<string>('');
  // One call per kind; a new preview supersedes an older one still on its way, and choosing a tool drops all three.
  const previewing = useMethod('classical.preview');
  const edgeMapping = useMethod('classical.edgeMap');
  const applying = useMethod('classical.apply');
  const busy = previewing.busy || edgeMapping.busy || applying.busy;
  const error = previewing.error ?? edgeMapping.error ?? applying.error;
  // Keep stores exactly what was previewed, even if a field was edited since (and its live preview not yet run).
  const [previewed, setPreviewed] = useState<ClassicalToolInput | null>(null);

  // Region grow takes view clicks as seeds while it is the active tool; other tools leave clicks to the crosshair.
  useEffect(() => {
    setPickListener(tool === 'regionGrow' ? (ijk) => setSeed(ijk) : null);
    return () => setPickListener(null);
  }, [tool, setPickListener]);

  const params = (): ClassicalToolInput | string => {
    const roi = useRoi ? { minIjk: parseIjk(roiMin), maxIjk: parseIjk(roiMax) } : null;
    if (roi && (!roi.minIjk || !roi.maxIjk)) return 'ROI corners must be three voxel indices each, e.g. 100,120,0';
    const box = roi ? { roi: { minIjk: roi.minIjk as Vec3, maxIjk: roi.maxIjk as Vec3 } } : {};
    const loV = Number(lo);
    const hiV = Number(hi);
    if (tool === 'threshold')
      return Number.isFinite(loV) && Number.isFinite(hiV) && lo.trim() && hi.trim()
        ? { tool, loValue: loV, hiValue: hiV, ...box }
        : `Give a low and a high value (${intensityUnit}).`;
    if (tool === 'regionGrow') {
      if (!seed) return 'Click a seed voxel in a view.';
      const range = useTolerance ? { tolerance: Number(tolerance) } : { loValue: loV, hiValue: hiV };
      return { tool, seedIjk: seed, ...range, connectivity, maxVoxels: Math.max(1, Math.round(Number(cap) || 1)) };
    }
    if (tool === 'kmeans') return { tool, k: Math.round(Number(k)), ...box };
    return 'Choose a tool.';
  };

  const runEdges = async (): Promise<void> => {
    const t = Number(edge);
    if (!(t > 0)) return edgeMapping.setError('The edge threshold must be a positive gradient.');
    const r = await edgeMapping.call({ seriesId, minGradientPerMm: t });
    if (!r) return;
    setPreview({ previewId: r.previewId, seriesId: r.seriesId, labels: r.labels.map(({ voxels: _v, ...l }) => l) });
    setPreviewed(null); // an edge map is a display layer, not a segmentation to keep
    setSummary(r.labels.map((l) => `${l.name}: ${l.voxels.toLocaleString('en-US')}`).join('; '));
  };

  const runPreview = async (): Promise<void> => {
    if (tool === 'edges') return runEdges();
    const p = params();
    if (typeof p === 'string') {
      previewing.setError(p);
      return;
    }
    applying.clear();
    const r = await previewing.call({ seriesId, params: p });
    if (!r) return; // refused, or a newer request superseded this one
    setPreview({ previewId: r.previewId, seriesId: r.seriesId, labels: r.labels.map(({ voxels: _v, ...l }) => l) });
    setPreviewed(p);
    const capped = r.params.capped === true ? ' — stopped at the voxel cap: incomplete' : '';
    setSummary(r.labels.map((l) => `${l.name}: ${l.voxels.toLocaleString('en-US')} voxels`).join('; ') + capped);
  };

  // Live preview: threshold follows its range as it is typed; region grow re-runs on a new seed. liveKey holds every
  // input a live preview reads, so it alone decides when to run again.
  const liveKey =
    tool === 'threshold'
      ? `${lo}|${hi}|${useRoi}|${roiMin}|${roiMax}`
      : tool === 'regionGrow' && seed
        ? seed.join(',')
        : tool === 'edges'
          ? `edges|${edge}`
          : null;
  useEffect(() => {
    if (liveKey === null) return;
    const t = setTimeout(() => void runPreview(), LIVE_DELAY_MS);
    return () => clearTimeout(t);
  }, [liveKey]);

  const keep = async (): Promise<void> => {
    const p = previewed;
    if (!p || !props.preview) return applying.setError('Preview first: Keep stores what the preview shows.');
    const r = await applying.call({ seriesId, params: p });
    if (!r) return;
    onStatus(`Stored classical segmentation ${r.segmentationId}.`);
    setPreview(null);
    setPreviewed(null);
    setSummary('');
    onAdded();
  };

  const choose = (t: Tool | ''): void => {
    setTool(t);
    setPreview(null);
    setPreviewed(null);
    setSummary('');
    previewing.clear();
    edgeMapping.clear();
    applying.clear();
  };

  return (
    <section className="analysis-section" data-testid="classical-panel">
      <h3>Classical tools</h3>
      <select value={tool} onChange={(e) => choose(e.target.value as Tool | '')} data-testid="classical-tool">
        <option value="">— none —</option>
        <option value="threshold">threshold ({intensityUnit} range)</option>
        <option value="regionGrow">region grow (click a seed)</option>
        <option value="kmeans">k-means (k clusters)</option>
        <option value="edges">edge map (Sobel, overlay only)</option>
      </select>
      {(tool === 'threshold' || (tool === 'regionGrow' && !useTolerance)) && (
        <div className="row">
          {intensityUnit} <input className="num" value={lo} onChange={(e) => setLo(e.target.value)} data-testid="classical-lo" /> to{' '}
          <input className="num" value={hi} onChange={(e) => setHi(e.target.value)} data-testid="classical-hi" />
        </div>
      )}
      {tool === 'regionGrow' && (
        <>
          <div className="small" data-testid="classical-seed">
            seed: {seed ? `[${seed.join(', ')}]` : 'click a voxel in any view'}
          </div>
          <label className="row">
            <input type="checkbox" checked={useTolerance} onChange={(e) => setUseTolerance(e.target.checked)} /> seed ±{' '}
            <input className="num" value={tolerance} onChange={(e) => setTolerance(e.target.value)} disabled={!useTolerance} /> HU
          </label>
          <div className="row">
            <select value={connectivity} onChange={(e) => setConnectivity(Number(e.target.value) as 6 | 26)}>
              <option value={6}>6-conn.</option>
              <option value={26}>26-conn.</option>
            </select>
            cap <input className="num wide" value={cap} onChange={(e) => setCap(e.target.value)} /> voxels
          </div>
        </>
      )}
      {tool === 'kmeans' && (
        <div className="row">
          k <input className="num" value={k} onChange={(e) => setK(e.target.value)} data-testid="classical-k" />
        </div>
      )}
      {tool === 'edges' && (
        <div className="row">
          gradient ≥ <input className="num" value={edge} onChange={(e) => setEdge(e.target.value)} data-testid="classical-edge" /> per mm
        </div>
      )}
      {(tool === 'threshold' || tool === 'kmeans') && (
        <div>
          <label>
            <input type="checkbox" checked={useRoi} onChange={(e) => setUseRoi(e.target.checked)} /> inside ROI box (voxel i,j,k)
          </label>
          {useRoi && (
            <div className="row">
              <input className="ijk" value={roiMin} onChange={(e) => setRoiMin(e.target.value)} placeholder="min i,j,k" />
              <input className="ijk" value={roiMax} onChange={(e) => setRoiMax(e.target.value)} placeholder="max i,j,k" />
            </div>
          )}
        </div>
      )}
      {tool && (
        <div className="row">
          <button onClick={() => void runPreview()} disabled={busy} data-testid="classical-preview">
            Preview
          </button>
          <button onClick={() => void keep()} disabled={busy || !props.preview || !previewed} data-testid="classical-keep">
            Keep
          </button>
          <button onClick={() => choose('')} disabled={busy}>
            Close
          </button>
        </div>
      )}
      {summary && (
        <div className="small" data-testid="classical-summary">
          {summary}
        </div>
      )}
      {error && (
        <div className="refusal" role="alert" data-testid="classical-error">
          {error}
        </div>
      )}
    </section>
  );
}
