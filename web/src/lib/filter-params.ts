import { useSearchParams } from "@solidjs/router";
import { onCleanup } from "solid-js";

type Params = Record<string, string | undefined>;

/**
 * A list's filters in the URL, each change its own history entry so Back and Forward walk them.
 * Changes to the same filters from the same control in a row (a search typed, a select's options
 * arrowed through, a date's digits typed) make one entry: a pointer press, a focus moving or a
 * history step starts a new run.
 */
export function useFilterParams<T extends Params>(): [Partial<T>, (patch: Partial<T>) => void] {
  const [params, setParams] = useSearchParams<T>();
  let run: { keys: string; control: Element | null } | null = null;
  const forget = () => {
    run = null;
  };
  document.addEventListener("pointerdown", forget, true);
  document.addEventListener("focusin", forget);
  window.addEventListener("popstate", forget);
  onCleanup(() => {
    document.removeEventListener("pointerdown", forget, true);
    document.removeEventListener("focusin", forget);
    window.removeEventListener("popstate", forget);
  });
  const set = (patch: Partial<T>) => {
    const keys = Object.keys(patch).sort().join();
    const control = document.activeElement;
    const replace = run !== null && run.keys === keys && run.control === control;
    run = { keys, control };
    setParams(patch, { replace });
  };
  return [params, set];
}
