import { createStore, reconcile } from "solid-js/store";

export interface Loader<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  refresh: () => Promise<void>;
  mutate: (fn: (d: T) => T) => void;
}

/**
 * Async data in a store: refreshes keep the previous value on screen (no Suspense flash),
 * and `reconcile` by id keeps rows stable so live updates only touch what changed.
 * Out-of-order responses are dropped.
 */
export function createLoader<T extends object>(fetcher: () => Promise<T>, opts: { immediate?: boolean } = {}): Loader<T> {
  const [state, setState] = createStore<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: opts.immediate !== false });
  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    setState("loading", true);
    try {
      const d = await fetcher();
      if (mine !== seq) return;
      setState("data", reconcile(d, { key: "id", merge: false }) as never);
      setState({ error: null, loading: false });
    } catch (e) {
      if (mine !== seq) return;
      setState({ error: e, loading: false });
    }
  };
  if (opts.immediate !== false) void refresh();
  return {
    get data() {
      return state.data;
    },
    get error() {
      return state.error;
    },
    get loading() {
      return state.loading;
    },
    refresh,
    mutate: (fn) => {
      if (state.data !== undefined) setState("data", reconcile(fn(JSON.parse(JSON.stringify(state.data)) as T), { key: "id", merge: false }) as never);
    },
  };
}
