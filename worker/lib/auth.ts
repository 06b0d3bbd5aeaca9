import { createMiddleware } from "hono/factory";
import type { Bindings } from "../env";
import { principalForSession, principalForTokenHash } from "./auth-lookup";
import type { AppEnv, Principal } from "./context";
import { sha256Hex } from "./crypto";
import { ApiError, forbidden, unauthorized } from "./errors";
import { rateLimitPerMinute, UNLIMITED, type Verdict } from "./rate-limit";
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
    // counted with the address's failed sign-ins: guessing through the API is the same guessing
    const [check, found] = await Promise.all([beginCheck(env, address), principalForTokenHash(env.DB, hash, "bearer")]);
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
    const sid = sent?.id;
    const session = sid ? await principalForSession(c.env.DB, sid) : null;
    if (!session || !sid) throw unauthorized(undefined, sid ? "invalid_token" : undefined);
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("origin");
      if (!origin || origin !== new URL(c.req.url).origin) throw forbidden("cross-origin request refused");
    }
    const limit = rateLimitPerMinute(c.env);
    c.set("principal", session.principal);
    c.set("tokenHash", session.token_hash);
    c.set("sessionId", sid);
    c.set("rate", limit > 0 ? await tokenGate(c.env, session.token_hash).count(limit) : UNLIMITED);
    // a session from before the __Host- name moves to it for what is left of its life
    if (sent?.legacy) writeSession(c, sid, (session.session_expires_at - Date.now()) / 1000);
  }
  await next();
});

export function requireInstanceAdmin(p: Principal): void {
  if (!p.instance_admin) throw new ApiError("forbidden", "only an instance admin may do this");
}
