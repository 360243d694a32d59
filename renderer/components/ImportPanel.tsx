// Import by path (typed, dropped as a file:// URI, or from the native picker in Electron) with a progress bar fed
// by 'import.progress' events.
import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { useMethod } from '../state/useMethod.js';

export function pathsFromDrop(dt: DataTransfer): string[] {
  // Electron: the preload resolves dropped files and folders to paths.
  const bridge = window.medseg;
  if (bridge && dt.files.length > 0) return Array.from(dt.files, (f) => bridge.pathForFile(f)).filter((p) => p);
  // Browser (medseg serve): file managers put file:// URIs on the drag.
  const uris = dt.getData('text/uri-list') || dt.getData('text/plain');
  return uris
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => (l.startsWith('file://') ? decodeURIComponent(new URL(l).pathname) : l));
}

export function ImportPanel({ canPick, onImported, onStatus }: { canPick: boolean; onImported(seriesIds: number[]): void; onStatus(s: string): void }) {
  const [path, setPath] = useState('');
  const importing = useMethod('import.paths', { onError: (m) => onStatus(`Import failed: ${m}`) });
  const busy = importing.busy;
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);

  useEffect(() => api.subscribe('import.progress', (p) => setProgress({ done: p.filesDone, total: p.filesTotal })), []);

  const run = async (paths: string[]): Promise<void> => {
    if (paths.length === 0 || busy) return;
    setProgress(null);
    const r = await importing.call({ paths });
    if (!r) {
      setProgress(null);
      return;
    }
    // The reply and the last progress event travel separately (RPC vs event stream): when the reply wins, the bar
    // still ends full, and stays so until the next import.
    setProgress((p) => ({ done: p?.total ?? r.filesSeen, total: p?.total ?? r.filesSeen }));
    onStatus(
      `Imported ${r.filesSeen} files into ${r.seriesIds.length} series${r.problems.length ? `, ${r.problems.length} problems (${r.problems[0].message})` : ''}.`,
    );
    onImported(r.seriesIds);
  };

  const pick = async (kind: 'files' | 'folder'): Promise<void> => {
    const r = await api.call('dialog.pickPaths', { kind });
    await run(r.paths);
  };

  return (
    <div
      className="import-panel"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        void run(pathsFromDrop(e.dataTransfer));
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run([path.trim()]);
        }}
      >
        <input
          data-testid="import-path"
          placeholder="/path/to/dicom folder, .zip or DICOMDIR"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          disabled={busy}
        />
        <button type="submit" data-testid="import-button" disabled={busy || !path.trim()}>
          Import
        </button>
      </form>
      {canPick && (
        <div className="pickers">
          <button onClick={() => void pick('folder')} disabled={busy}>
            Folder…
          </button>
          <button onClick={() => void pick('files')} disabled={busy}>
            Files…
          </button>
        </div>
      )}
      <p className="hint">or drop a folder here</p>
      {(busy || progress) && (
        <progress data-testid="import-progress" max={progress?.total || 1} value={progress?.done ?? 0}>
          {progress ? `${progress.done}/${progress.total}` : '…'}
        </progress>
      )}
    </div>
  );
}
