/**
 * Live updates by polling: a beat every POLL_MS while the tab is visible (and at once after the
 * user changes something); each view reloads what it shows on a beat. A first page the server
 * has not changed is answered from its memory (docs/control-api.md, Pages), so a beat is cheap.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export const POLL_MS = 1000;

/** A counter that moves on every beat, and a function to move it now. */
export function useBeat(): [number, () => void] {
  const [beat, setBeat] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      if (!document.hidden) setBeat((b) => b + 1);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, []);
  return [beat, () => setBeat((b) => b + 1)];
}

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: ApiError | Error | undefined;
}

/**
 * Loads `load()` whenever a dependency changes, keeping the last answer meanwhile. One load at a
 * time: a beat that comes while one is in flight is dropped; an answer equal to the last one
 * keeps the same object (no new render).
 */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; text: string; error: ApiError | Error | undefined }>({
    data: undefined,
    text: '',
    error: undefined,
  });
  const latest = useRef(0); // the newest load's number: only its answer is shown
  const inFlight = useRef<string | undefined>(undefined); // the key of the load in flight
  const key = JSON.stringify(deps.slice(1)); // deps[0] is the beat: a new beat alone may be dropped
  useEffect(() => {
    if (inFlight.current === key) return;
    const mine = ++latest.current;
    inFlight.current = key;
    const settle = (apply: () => void) => {
      if (mine !== latest.current) return;
      inFlight.current = undefined;
      apply();
    };
    load().then(
      (data) =>
        settle(() => {
          const text = JSON.stringify(data);
          setState((s) => (s.text === text && s.error === undefined ? s : { data, text, error: undefined }));
        }),
      (error: unknown) => settle(() => setState((s) => ({ ...s, error: error instanceof Error ? error : new Error(String(error)) }))),
    );
  }, deps);
  useEffect(
    () => () => {
      latest.current = -1; // unmounted: no answer is shown
    },
    [],
  );
  return { data: state.data, error: state.error };
}
