import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

/** `__Host-`: the browser keeps it only if Secure, with Path=/ and no Domain, so no subdomain can set or shadow it. */
export const SESSION_COOKIE = "__Host-fd_session";
/** The name sessions had before; still read (and moved to SESSION_COOKIE) so no one is signed out by the change. */
export const LEGACY_SESSION_COOKIE = "fd_session";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Browsers keep a Secure cookie only from https or from the local machine (http://localhost). Served over
 * plain http on any other host (a LAN address), a Secure cookie would be dropped and no one could sign in,
 * so there the session keeps the old name without Secure.
 */
export function hostCookieAllowed(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "https:" || LOCAL_HOSTS.has(u.hostname) || u.hostname.endsWith(".localhost");
}

export interface SentSession {
  id: string;
  /** sent under the old name where the new one could be used: re-issue it */
  legacy: boolean;
}

export function readSession(c: Context): SentSession | null {
  const current = getCookie(c, SESSION_COOKIE);
  if (current) return { id: current, legacy: false };
  const old = getCookie(c, LEGACY_SESSION_COOKIE);
  return old ? { id: old, legacy: hostCookieAllowed(c.req.url) } : null;
}

/** Sets the session's cookie for `maxAgeS` seconds, under the name this origin can hold, and drops the other name's. */
export function writeSession(c: Context, id: string, maxAgeS: number): void {
  const opts = { httpOnly: true, sameSite: "Strict", path: "/", maxAge: Math.max(1, Math.ceil(maxAgeS)) } as const;
  if (hostCookieAllowed(c.req.url)) {
    setCookie(c, SESSION_COOKIE, id, { ...opts, secure: true });
    if (getCookie(c, LEGACY_SESSION_COOKIE) !== undefined) deleteCookie(c, LEGACY_SESSION_COOKIE, { path: "/" });
  } else {
    setCookie(c, LEGACY_SESSION_COOKIE, id, { ...opts, secure: false });
  }
}

export function clearSession(c: Context): void {
  const secure = hostCookieAllowed(c.req.url);
  if (secure) deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
  deleteCookie(c, LEGACY_SESSION_COOKIE, { path: "/" });
}
