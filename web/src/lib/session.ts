import { createSignal } from "solid-js";
import { api } from "../api";
import type { SessionInfo } from "../api-types";

const [session, setSession] = createSignal<SessionInfo | null>(null);
export { session, setSession };

/** Set when a session this page held stops working (revoked, signed out elsewhere), so sign-in can say why it shows. */
const [sessionEnded, setSessionEnded] = createSignal(false);
export { sessionEnded, setSessionEnded };

let inflight: Promise<SessionInfo | null> | null = null;

/** One read of the cookie session at a time, whoever asks; null when signed out (or it could not be read). */
function readSession(): Promise<SessionInfo | null> {
  inflight ??= api.session
    .get()
    .catch(() => null)
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

/** Resolves the cookie session once; null when signed out. */
export function loadSession(): Promise<SessionInfo | null> {
  if (session()) return Promise.resolve(session());
  return readSession().then((s) => {
    if (s) setSession(s);
    return s;
  });
}

/**
 * Reads the session again: its token's role may have changed since (an admin promoted or demoted it), and the
 * pages' controls follow the role. An ended session is left to the next request's 401.
 */
export async function refreshSession(): Promise<void> {
  if (!session()) return;
  const s = await readSession();
  // set only when it says something else: a new object every minute would rerun everything that reads the session
  if (s && session() && JSON.stringify(s) !== JSON.stringify(session())) setSession(s);
}

export function canWrite(): boolean {
  const r = session()?.token.role;
  return r === "member" || r === "admin";
}

export function isAdmin(): boolean {
  return session()?.token.role === "admin";
}
