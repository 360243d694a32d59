// One way for a panel to call a method of the table: busy while the latest call runs, its refusal as a message, its
// answer as the result. The latest call wins: an answer to a call that a newer one (or clear) superseded, or that
// arrives after the panel unmounted, changes nothing on screen.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api.js';
import type { MethodInput, MethodName, MethodOutput } from '../../shared/ipc/contract.js';

export interface MethodCall<M extends MethodName> {
  busy: boolean;
  /** The refusal of the latest call (or a message given to setError), null when none. */
  error: string | null;
  /** The answer to the latest call; null before it, after a refusal or clear, and while a new call runs (unless keepPrevious). */
  result: MethodOutput<M> | null;
  /** Resolves with the answer, or undefined when the call was refused or superseded. */
  call(input: MethodInput<M>): Promise<MethodOutput<M> | undefined>;
  /** Forgets result and error; an answer still on its way is dropped. */
  clear(): void;
  /** Shows a refusal found before calling (e.g. a field that does not parse). */
  setError(message: string | null): void;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface MethodOptions {
  /** Also told of every refusal (panels that report through the status bar). */
  onError?(message: string): void;
  /** A list that refreshes: keep showing the last answer while the next call runs, instead of nothing. */
  keepPrevious?: boolean;
}

export function useMethod<M extends MethodName>(method: M, options: MethodOptions = {}): MethodCall<M> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<MethodOutput<M> | null>(null);
  const latest = useRef(0);
  const onError = useRef(options.onError);
  onError.current = options.onError;
  const keepPrevious = options.keepPrevious === true;

  // Unmounting supersedes whatever is in flight.
  useEffect(
    () => () => {
      latest.current++;
    },
    [],
  );

  const call = useCallback(
    async (input: MethodInput<M>): Promise<MethodOutput<M> | undefined> => {
      const mine = ++latest.current;
      setBusy(true);
      setError(null);
      if (!keepPrevious) setResult(null);
      try {
        const out = await api.call(method, input);
        if (mine !== latest.current) return undefined;
        setResult(out);
        return out;
      } catch (err) {
        if (mine !== latest.current) return undefined;
        const message = errorMessage(err);
        setError(message);
        onError.current?.(message);
        return undefined;
      } finally {
        if (mine === latest.current) setBusy(false);
      }
    },
    [method, keepPrevious],
  );

  const clear = useCallback(() => {
    latest.current++;
    setBusy(false);
    setError(null);
    setResult(null);
  }, []);

  return useMemo(() => ({ busy, error, result, call, clear, setError }), [busy, error, result, call, clear]);
}
