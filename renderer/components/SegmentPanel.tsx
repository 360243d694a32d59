// "Segment" with a bundled or user model: model and device choice, progress bar with ETA fed by 'segment.progress'
// events, Cancel; and the provenance list of the series' segmentations (source, model, provider, seconds).
import { useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import type { EventPayload, SegmentationInfo, MethodOutput } from '../../shared/ipc/contract.js';
import { useMethod } from '../state/useMethod.js';

type ModelInfo = MethodOutput<'models.list'>['models'][number];
type SegRow = MethodOutput<'segmentations.provenance'>['segmentations'][number];
type Done = EventPayload<'segment.done'>;

export function SegmentPanel(props: { seriesId: number; segmentations: readonly SegmentationInfo[]; onAdded(): void; onStatus(s: string): void }) {
  const { seriesId, onAdded, onStatus } = props;
  const [models, setModels] = useState<ModelInfo[]>([]);
  const [modelId, setModelId] = useState('');
  const [device, setDevice] = useState<'auto' | 'cpu' | 'gpu'>('auto');
  const [job, setJob] = useState<{ jobId: number; tilesDone: number; tilesTotal: number; etaSeconds: number | null } | null>(null);
  const starting = useMethod('segment.start');
  /** Why the last job failed (a refusal of segment.start itself is starting.error). */
  const [failure, setFailure] = useState<string | null>(null);
  const error = starting.error ?? failure;
  const [rows, setRows] = useState<SegRow[]>([]);
  /** Per model id: why it does not suit this series (modality, region, orientation), or null when it does. */
  const [unsuitable, setUnsuitable] = useState<Map<string, string | null>>(new Map());
  // A fast failure can announce 'segment.done' before segment.start has answered with the job id.
  const early = useRef(new Map<number, Done>());
  const current = useRef<number | null>(null);

  useEffect(() => {
    api.call('models.list', {}).then(
      (r) => {
        setModels(r.models);
        setModelId((id) => id || r.models[0]?.id || '');
        if (r.invalid.length) onStatus(`Model folders not usable: ${r.invalid.map((i) => i.message).join('; ')}`);
      },
      (e: unknown) => onStatus(`Models: ${e instanceof Error ? e.message : String(e)}`),
    );
  }, [onStatus]);

  // the models that suit this series, first: preselect one when the current choice does not suit it
  useEffect(() => {
    let alive = true;
    api.call('models.suggest', { seriesId }).then(
      (r) => {
        if (!alive) return;
        setUnsuitable(new Map(r.models.map((m) => [m.id, m.reason])));
        const firstFit = r.models.find((m) => m.fits)?.id;
        setModelId((id) => (firstFit && (!id || r.models.find((m) => m.id === id)?.fits === false) ? firstFit : id));
      },
      () => alive && setUnsuitable(new Map()),
    );
    return () => {
      alive = false;
    };
  }, [seriesId]);

  useEffect(() => {
    let alive = true;
    api.call('segmentations.provenance', { seriesId }).then(
      (r) => alive && setRows(r.segmentations),
      () => alive && setRows([]),
    );
    return () => {
      alive = false;
    };
  }, [seriesId, props.segmentations]);

  const finish = (d: Done): void => {
    current.current = null;
    setJob(null);
    if (d.segmentationId) {
      onStatus(`Segmentation ${d.segmentationId} stored.`);
      onAdded();
    } else if (d.error?.code === 'CANCELLED') onStatus('Segmentation cancelled; nothing was saved.');
    else setFailure(d.error?.message ?? 'Segmentation failed.');
  };

  // The event subscriptions live as long as the panel; they call the latest finish (fresh props).
  const finishLatest = useRef(finish);
  finishLatest.current = finish;
  useEffect(() => {
    const offProgress = api.subscribe('segment.progress', (p) => {
      if (p.jobId === current.current) setJob({ jobId: p.jobId, tilesDone: p.tilesDone, tilesTotal: p.tilesTotal, etaSeconds: p.etaSeconds });
    });
    const offDone = api.subscribe('segment.done', (d) => {
      if (d.jobId === current.current) finishLatest.current(d);
      else early.current.set(d.jobId, d);
    });
    return () => {
      offProgress();
      offDone();
    };
  }, []);

  const start = async (): Promise<void> => {
    setFailure(null);
    const started = await starting.call({ seriesId, modelId, device });
    if (!started) return;
    current.current = started.jobId;
    setJob({ jobId: started.jobId, tilesDone: 0, tilesTotal: 0, etaSeconds: null });
    const d = early.current.get(started.jobId);
    if (d) finish(d);
  };

  const cancel = async (): Promise<void> => {
    if (job) await api.call('segment.cancel', { jobId: job.jobId }).catch(() => undefined);
  };

  const model = models.find((m) => m.id === modelId);
  return (
    <section className="analysis-section" data-testid="segment-panel">
      <h3>Segment</h3>
      <div className="row">
        <select value={modelId} onChange={(e) => setModelId(e.target.value)} data-testid="segment-model" disabled={!!job}>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id} {m.version} ({m.modality}
              {m.dimensions === 3 ? ', 3D' : ''}){unsuitable.get(m.id) ? ' - not for this series' : ''}
            </option>
          ))}
        </select>
        <select
          value={device}
          onChange={(e) => setDevice(e.target.value as 'auto' | 'cpu' | 'gpu')}
          data-testid="segment-device"
          disabled={!!job}
          title="auto: GPU when one works, else CPU"
        >
          <option value="auto">auto</option>
          <option value="cpu">cpu</option>
          <option value="gpu">gpu</option>
        </select>
      </div>
      {model && <div className="muted small">{model.labels.map((l) => l.name).join(', ')}</div>}
      {model && unsuitable.get(model.id) && (
        <div className="muted small" data-testid="segment-model-unsuitable">
          {unsuitable.get(model.id)}
        </div>
      )}
      {job ? (
        <div className="row">
          <progress data-testid="segment-progress" max={job.tilesTotal || 1} value={job.tilesDone} />
          <span className="small" data-testid="segment-eta">
            {job.tilesTotal ? `${job.tilesDone}/${job.tilesTotal}` : 'starting…'}
            {job.etaSeconds !== null ? ` · ${Math.ceil(job.etaSeconds)} s left` : ''}
          </span>
          <button onClick={() => void cancel()} data-testid="segment-cancel">
            Cancel
          </button>
        </div>
      ) : (
        <button onClick={() => void start()} disabled={!modelId} data-testid="segment-start">
          Segment
        </button>
      )}
      {error && (
        <div className="refusal" role="alert" data-testid="segment-error">
          {error}
        </div>
      )}
      <ul className="seg-list" data-testid="segmentation-list">
        {rows.map((r) => (
          <li key={r.segmentationId} data-testid={`seg-row-${r.segmentationId}`}>
            <b>#{r.segmentationId}</b> {r.name} <span className="tag">{r.source}</span>
            {r.model && (
              <span className="muted small" title={`sha256 ${r.model.sha256}`}>
                {' '}
                {r.model.id} {r.model.version}
              </span>
            )}
            {r.provider && <span className="muted small"> · {r.provider}</span>}
            {r.seconds !== null && <span className="muted small"> · {r.seconds.toFixed(1)} s</span>}
            {r.modalityOverride && (
              <span className="tag" title={r.modalityOverride} data-testid={`seg-override-${r.segmentationId}`}>
                {' '}
                override
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
