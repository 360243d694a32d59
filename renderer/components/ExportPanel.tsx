// "Export…" of a segmentation of the open series: a format (DICOM SEG/SR, NIfTI, .seg.nrrd, PDF report, CSV, JSON)
// and a folder. In Electron "Choose…" opens the native folder dialog; in browser mode the server writes into the typed
// folder. The panel lists the paths it wrote. A refusal is shown with its code. PDF, CSV, JSON and SR carry the series'
// annotations (main/services/export).
import { useEffect, useState } from 'react';
import { api, ApiError } from '../api.js';
import type { MethodOutput, SegmentationInfo } from '../../shared/ipc/contract.js';

const FORMATS = [
  ['seg', 'DICOM SEG'],
  ['sr', 'DICOM SR (+ SEG)'],
  ['nifti', 'NIfTI'],
  ['seg.nrrd', '.seg.nrrd'],
  ['pdf', 'PDF report'],
  ['csv', 'CSV'],
  ['json', 'JSON'],
] as const;

type ExportResult = MethodOutput<'export.segmentation'>;

export function ExportPanel(props: { segmentations: SegmentationInfo[]; onStatus(s: string): void }) {
  const [open, setOpen] = useState(false);
  const [segmentationId, setSegmentationId] = useState<number | null>(null);
  const [format, setFormat] = useState<string>('seg');
  const [outDir, setOutDir] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<ExportResult | null>(null);
  // Electron has a native folder dialog (app.info says so); the browser mode has none.
  const [canPick, setCanPick] = useState(false);
  useEffect(() => {
    let alive = true;
    api.call('app.info', {}).then(
      (info) => alive && setCanPick(info.canPickPaths),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, []);
  const chooseFolder = async (): Promise<void> => {
    try {
      const r = await api.call('dialog.pickPaths', { kind: 'folder' });
      if (r.paths[0]) setOutDir(r.paths[0]);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e instanceof Error ? e.message : e));
    }
  };
  const chosen = segmentationId ?? props.segmentations[0]?.segmentationId ?? null;

  const run = async (): Promise<void> => {
    if (chosen === null) return;
    if (outDir.trim() === '') return setError('Give the folder to write into (an absolute path).');
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await api.call('export.segmentation', { segmentationId: chosen, format, outDir: outDir.trim() });
      setResult(r);
      props.onStatus(`Exported ${r.format}: ${r.files.join(', ')}`);
    } catch (e) {
      const message = e instanceof ApiError ? `${e.code}: ${e.message}` : String(e instanceof Error ? e.message : e);
      setError(message);
      props.onStatus(`Export failed: ${message}`);
    } finally {
      setBusy(false);
    }
  };

  if (props.segmentations.length === 0) return null;
  return (
    <div className="export-panel" data-testid="export-panel">
      <h3>
        <button type="button" data-testid="export-open" aria-expanded={open} onClick={() => setOpen(!open)}>
          Export…
        </button>
      </h3>
      {open && (
        <div className="export-form">
          <label>
            segmentation{' '}
            <select data-testid="export-segmentation" value={chosen ?? ''} onChange={(e) => setSegmentationId(Number(e.target.value))}>
              {props.segmentations.map((s) => (
                <option key={s.segmentationId} value={s.segmentationId}>
                  {s.name} ({s.source})
                </option>
              ))}
            </select>
          </label>
          <label>
            format{' '}
            <select data-testid="export-format" value={format} onChange={(e) => setFormat(e.target.value)}>
              {FORMATS.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          </label>
          {['pdf', 'csv', 'json', 'sr'].includes(format) && (
            <div className="muted small" data-testid="export-annotations-hint">
              with the series&apos; annotations (rulers, angles, ROIs{format === 'sr' ? '' : ', text'}){format === 'csv' ? ': a .annotations.csv beside' : ''}
            </div>
          )}
          <label>
            folder{' '}
            <input
              type="text"
              data-testid="export-folder"
              placeholder="/absolute/folder (written by the server)"
              value={outDir}
              onChange={(e) => setOutDir(e.target.value)}
            />
          </label>
          {canPick && (
            <button type="button" data-testid="export-choose" onClick={() => void chooseFolder()}>
              Choose…
            </button>
          )}
          <button type="button" data-testid="export-run" disabled={busy || chosen === null} onClick={() => void run()}>
            {busy ? 'Exporting…' : 'Export'}
          </button>
          {error && (
            <div className="refusal" role="alert" data-testid="export-error">
              {error}
            </div>
          )}
          {result && (
            <div data-testid="export-result">
              <div>
                Wrote {result.format} ({result.bytes} bytes) to:
              </div>
              <ul data-testid="export-files">
                {result.files.map((f) => (
                  <li key={f}>
                    <code>{f}</code>
                  </li>
                ))}
              </ul>
              {result.notes.length > 0 && (
                <ul className="muted">
                  {result.notes.map((n) => (
                    <li key={n}>{n}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
