// Ctrl+Z undo, Ctrl+Shift+Z / Ctrl+Y redo of mask edits. Text fields keep their own undo; other panel controls do
// not use these keys, so the edit history gets them (the same routing as the views' shortcuts).
import { useEffect } from 'react';
import { keyBelongsToViews } from '../../viewer/keyRouting.js';

export function useEditShortcuts(undo: () => void, redo: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || !keyBelongsToViews(e)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) undo();
      else if ((key === 'z' && e.shiftKey) || key === 'y') redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo, redo]);
}
