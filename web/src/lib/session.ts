import { createSignal } from "solid-js";
import { api } from "../api";
import type { SessionInfo } from "../api-types";

const [session, setSession] = createSignal<SessionInfo | null>(null);
export { session, setSession };

/** Set when a session this page held stops working (revoked, signed out elsewhere), so sign-in can say why it shows. */
const [sessionEnded, setSessionEnded] = createSignal(false);
export { sessionEnded, setSessionEnded };

let inflight: Promise<SessionInfo | null> | null = null;

/** Resolves the cookie session once; null when signed out. */
export function loadSession(): Promise<SessionInfo | null> {
  if (session()) return Promise.resolve(session());
  inflight ??= api.session
    .get()
    .then((s) => {
      setSession(s);
      return s;
    })
    .catch(() => null)
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

let rereading: Promise<void> | null = null;

/**
 * Reads the session again: its token's role may have changed since (an admin promoted or demoted it), and the
 * pages' controls follow the role. One read at a time; an ended session is left to the next request's 401.
 */
export function refreshSession(): Promise<void> {
  if (!session()) return Promise.resolve();
  rereading ??= api.session
    .get()
    // set only when it says something else: a new object every minute would rerun everything that reads the session
    .then((s) => void (session() && s && JSON.stringify(s) !== JSON.stringify(session()) && setSession(s)), () => undefined)
    .finally(() => {
      rereading = null;
    });
  return rereading;
}

export function canWrite(): boolean {
  const r = session()?.token.role;
  return r === "member" || r === "admin";
}

export function isAdmin(): boolean {
  return session()?.token.role === "admin";
}
