// The "?" overlay: every keyboard and mouse shortcut of the views in one table (Esc or ? closes it).
import { useEffect, useState } from 'react';
import { keyBelongsToViews } from '../viewer/keyRouting.js';
import { DRAW_TOOLS } from '../viewer/annotationTools.js';

export const SHORTCUTS: readonly (readonly [string, string])[] = [
  ['wheel · ↑ ↓ · PgUp PgDn', 'scroll slices (PgUp/PgDn: 10 at a time)'],
  ['click', 'move the crosshair (all views follow)'],
  ['right-drag', 'window / level'],
  ['shift-drag · middle-drag', 'pan'],
  ['ctrl+wheel · + −', 'zoom'],
  ['1 2 3 4 5', 'window presets: CT soft tissue, lung, bone, brain, liver; MR and others auto, wide, narrow'],
  ['R', 'reset window and zoom'],
  ['space', 'show / hide overlays'],
  ['X', 'show / hide the crosshair'],
  ['C', 'cine play / pause (active view)'],
  ['L', 'next layout (1×1, 1×3, 2×2)'],
  ['double-click', 'maximise a view / restore the layout'],
  ...DRAW_TOOLS.map(
    ({ tool, key, how }) => [key, `${tool === 'ellipse' || tool === 'freehand' ? `${tool} ROI` : tool}: ${how}; again: back to navigation`] as const,
  ),
  ['Esc', 'cancel the shape being drawn (and close this list)'],
  ['click in the annotation list', 'go to its slice and highlight it'],
  ['ctrl+Z · ctrl+shift+Z · ctrl+Y', 'undo / redo a mask edit'],
  ['3D: drag · shift-drag · wheel', 'rotate · pan · zoom'],
  ['3D: click a surface', 'move the 2D views there'],
  ['?', 'this list (Esc closes)'],
];

export function ShortcutsOverlay() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === '?' && keyBelongsToViews(e)) setOpen((o) => !o);
      else if (e.key === 'Escape') setOpen(false);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  if (!open) return null;
  return (
    <div className="shortcuts-overlay" data-testid="shortcuts-overlay" onClick={() => setOpen(false)}>
      <table>
        <caption>Shortcuts</caption>
        <tbody>
          {SHORTCUTS.map(([keys, action]) => (
            <tr key={keys}>
              <th>{keys}</th>
              <td>{action}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
