import { createSignal } from "solid-js";
import { errorMessage } from "./format";

/**
 * A form's submit: `busy` while its request runs, and the error shown under it — the API's own words, or a
 * check's set with `setError` — cleared as the next attempt starts. `run` resolves whether the request went through.
 */
export function createSubmit() {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const run = async (request: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await request();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
