import { ApiError } from "../../api";

const wait = (s: number) => (s < 90 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`);

/** What the sign-in form says when a sign-in is refused. */
export function signInError(err: unknown): string {
  if (err instanceof ApiError && err.status === 401) return "That token is not valid, or it was revoked.";
  if (err instanceof ApiError && err.status === 429) {
    const d = (err.details ?? {}) as { scope?: string; retry_after_s?: number };
    const from = d.scope === "token_prefix" ? "with tokens like this one" : "from this address";
    const when = `Try again in ${typeof d.retry_after_s === "number" ? wait(d.retry_after_s) : "a few minutes"}`;
    // the address's lock holds only tokens new to it: on a shared network, someone else's failures paused this one
    const besides = d.scope === "address" ? ", or sign in with a token already used from this network" : "";
    return `Too many failed sign-ins ${from}: signing in is paused. ${when}${besides}.`;
  }
  return err instanceof Error ? err.message : String(err);
}
