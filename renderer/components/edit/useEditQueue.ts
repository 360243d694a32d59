// The edit command queue: strokes, undo, redo, reverts and label/version calls reach main one after another in the
// order the user made them (unlike useMethod, where the latest call wins: here no call may be dropped or reordered).
import { useCallback, useRef } from 'react';
import { errorMessage } from '../../state/useMethod.js';

/** run(job) starts job after every job queued before it; resolves with its answer, or undefined if it was refused. */
export function useEditQueue(onStatus: (s: string) => void): <T>(job: () => Promise<T>) => Promise<T | undefined> {
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  return useCallback(
    <T>(job: () => Promise<T>): Promise<T | undefined> => {
      const next = queue.current.then(job);
      queue.current = next.catch(() => undefined);
      return next.catch((err: unknown) => {
        onStatus(`Edit refused: ${errorMessage(err)}`);
        return undefined;
      });
    },
    [onStatus],
  );
}
