// Named versions of the segmentation: name the current state, and go back to a named version or to the map as
// stored (each a new undoable edit; nothing is discarded).
import { useState } from 'react';
import type { EditVersion } from './useEditSession.js';

export function VersionList(props: {
  versions: readonly EditVersion[];
  currentVersion: number | null;
  onName(name: string): Promise<boolean>;
  onRevert(versionId: number, what: string): void;
}) {
  const [versionName, setVersionName] = useState('');
  return (
    <div className="versions">
      <form
        className="edit-row"
        onSubmit={(e) => {
          e.preventDefault();
          void props.onName(versionName.trim()).then((named) => named && setVersionName(''));
        }}
      >
        <input
          placeholder="name this version (e.g. reviewed by …)"
          value={versionName}
          onChange={(e) => setVersionName(e.target.value)}
          data-testid="edit-version-name"
        />
        <button type="submit" disabled={!versionName.trim()} data-testid="edit-name-version">
          Name
        </button>
      </form>
      <ul className="version-list" data-testid="edit-versions">
        {[...props.versions].reverse().map((v) => (
          <li key={v.id} className={v.seq === props.currentVersion ? 'current' : ''}>
            {v.name} <span className="muted">#{v.seq}</span> <button onClick={() => props.onRevert(v.id, `Back to "${v.name}"`)}>go back</button>
          </li>
        ))}
        <li>
          original <span className="muted">as stored</span>{' '}
          <button data-testid="edit-revert-original" onClick={() => props.onRevert(0, 'Back to the original')}>
            go back
          </button>
        </li>
      </ul>
    </div>
  );
}
