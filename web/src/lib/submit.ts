import { createSignal } from "solid-js";
import { createFieldErrors } from "./field-errors";
import { errorMessage } from "./format";

/**
 * A form's submit: `busy` while its request runs, and the error shown under it — the API's own words, or a
 * check's set with `setError` — cleared as the next attempt starts. An error about one field (`setError(text,
 * "title")`, or the API's naming one of the form's `fields`) marks that field invalid, described by the error, and
 * focuses it. `run` resolves whether the request went through.
 */
export function createSubmit() {
  const [busy, setBusy] = createSignal(false);
  const [error, setErrorText] = createSignal<string | null>(null);
  const fields = createFieldErrors();
  const setError = (text: string | null, field: string | null = null) => {
    setErrorText(text);
    fields.mark(text ? field : null);
  };
  const run = (request: () => Promise<unknown>): Promise<boolean> =>
    refocusing(async () => {
      setBusy(true);
      setError(null);
      try {
        await request();
        return true;
      } catch (e) {
        setErrorText(errorMessage(e));
        fields.markFrom(e);
        return false;
      } finally {
        setBusy(false);
      }
    });
  /** True, with the error shown on it, when a number field holds text that is not a number (lib/field-errors.ts). */
  const unreadable = () => fields.markUnreadable(setError);
  return { busy, error, setError, run, unreadable, errorId: fields.errorId, field: fields.of };
}

/**
 * Runs `action`, then gives the focus back to the control that had it (a button turned off while busy, which drops
 * the focus to the page's start) if the focus is still there and the control still on the page.
 */
export async function refocusing<T>(action: () => Promise<T>): Promise<T> {
  const from = document.activeElement;
  try {
    return await action();
  } finally {
    const now = document.activeElement;
    if ((!now || now === document.body) && from instanceof HTMLElement && from.isConnected) from.focus();
  }
}
