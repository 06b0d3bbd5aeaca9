import { createMiddleware } from "hono/factory";
import type { Bindings } from "../env";
import { principalForSessionHash, principalForTokenHash } from "./auth-lookup";
import type { AppEnv, Principal } from "./context";
import { sha256Hex } from "./crypto";
import { ApiError, forbidden, unauthorized } from "./errors";
import { rateLimitPerMinute } from "./rate-limit";
import { UNLIMITED, type Verdict } from "./sliding-window";
import { tokenGate } from "./token-gate";
import { beginCheck, clientAddress, failed, passed } from "./auth-guard";
import { readSession, writeSession } from "./session-cookie";

/**
 * Tokens D1 has vouched for in this isolate, with their hashes: only these reach a TokenGate, so a
 * made-up token costs a D1 read, never a new object; and a known token is not hashed again on
 * every request. Revocation is the gate's to answer, which drops the token from here.
 */
const vouched = new Map<string, string>();
const VOUCHED_MAX = 10_000;

async function bearer(env: Bindings, token: string, address: string | null): Promise<{ principal: Principal; verdict: Verdict; hash: string }> {
  let hash = vouched.get(token);
  if (hash === undefined) {
    hash = await sha256Hex(token);
    // counted with the address's and the prefix's failed sign-ins: guessing through the API is the same guessing
    const [check, found] = await Promise.all([beginCheck(env, address, token), principalForTokenHash(env.DB, hash, "bearer")]);
    if (!found) {
      await failed(env, check, "api");
      throw unauthorized("unknown, revoked or expired API token", "invalid_token");
    }
    await passed(env, check);
    if (vouched.size >= VOUCHED_MAX) vouched.clear();
    vouched.set(token, hash);
  }
  const { principal, verdict } = await tokenGate(env, hash).pass(hash, rateLimitPerMinute(env));
  if (!principal) {
    vouched.delete(token);
    throw unauthorized("unknown, revoked or expired API token", "invalid_token");
  }
  return { principal, verdict, hash };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Dashboard sessions D1 has vouched for in this isolate (by the hash of their id), with their token's hash: only
 * these are asked of their token's gate, which holds what D1 said of them until told they ended (sign-out,
 * revocation), so a made-up cookie costs a D1 read, never a new object.
 */
const vouchedSessions = new Map<string, string>();

/** A dashboard session's request, counted in its token's gate; null when the session, or its token, has ended. */
async function cookieSession(env: Bindings, sid: string): Promise<{ principal: Principal; tokenHash: string; expiresAt: number; verdict: Verdict } | null> {
  const limit = rateLimitPerMinute(env);
  const idHash = await sha256Hex(sid);
  const tokenHash = vouchedSessions.get(idHash);
  if (tokenHash !== undefined) {
    const passed = await tokenGate(env, tokenHash).passSession(tokenHash, idHash, limit);
    if (!passed) vouchedSessions.delete(idHash);
    return passed && { principal: passed.principal, tokenHash, expiresAt: passed.expiresAt, verdict: passed.verdict };
  }
  const session = await principalForSessionHash(env.DB, idHash);
  if (!session) return null;
  if (vouchedSessions.size >= VOUCHED_MAX) vouchedSessions.clear();
  vouchedSessions.set(idHash, session.token_hash);
  const verdict = limit > 0 ? await tokenGate(env, session.token_hash).count(limit) : UNLIMITED;
  return { principal: session.principal, tokenHash: session.token_hash, expiresAt: session.session_expires_at, verdict };
}

const issuedUnderOldName = async (d1: D1Database, sid: string): Promise<boolean> =>
  (await d1.prepare("SELECT legacy_cookie FROM auth_sessions WHERE id_hash = ?").bind(await sha256Hex(sid)).first<number>("legacy_cookie")) === 1;

/**
 * Bearer tokens (through the token's gate, which also counts the request against
 * the rate limit), or the dashboard's session cookie. Cookie-authenticated
 * mutations must come from our own origin (CSRF defence on top of SameSite=Strict).
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw unauthorized("the Authorization header must be `Bearer <token>`", "invalid_request");
    const { principal, verdict, hash } = await bearer(c.env, m[1], clientAddress(c.req.raw.headers));
    c.set("principal", principal);
    c.set("tokenHash", hash);
    c.set("rate", verdict);
  } else {
    const sent = readSession(c);
    // under the old name, only a session issued under it: one issued as __Host- is not taken from a cookie any sibling host can set
    const fit = sent && (!sent.legacy || (await issuedUnderOldName(c.env.DB, sent.id)));
    const session = fit ? await cookieSession(c.env, sent.id) : null;
    if (!session || !sent) throw unauthorized(undefined, sent ? "invalid_token" : undefined);
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("origin");
      if (!origin || origin !== new URL(c.req.url).origin) throw forbidden("cross-origin request refused");
    }
    c.set("principal", session.principal);
    c.set("tokenHash", session.tokenHash);
    c.set("sessionId", sent.id);
    c.set("rate", session.verdict);
    // a session from before the __Host- name moves to it for what is left of its life
    if (sent.legacy) writeSession(c, sent.id, (session.expiresAt - Date.now()) / 1000);
  }
  await next();
});

export function requireInstanceAdmin(p: Principal): void {
  if (!p.instance_admin) throw new ApiError("forbidden", "only an instance admin may do this");
}
