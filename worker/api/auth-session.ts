import { createRoute, z } from "@hono/zod-openapi";
import type { Bindings } from "../env";
import { clearSession, hostCookieAllowed, readSession, writeSession } from "../lib/session-cookie";
import { TRUST_MS, tokenGate } from "../lib/token-gate";
import { principalForSessionHash, principalForToken } from "../lib/auth-lookup";
import { newSecret, sha256Hex } from "../lib/crypto";
import { forbidden, unauthorized } from "../lib/errors";
import { sweepExpiredSessions } from "../lib/session-sweep";
import { log } from "../lib/log";
import { actorOf, auditStatement } from "../lib/audit";
import { beginCheck, clientAddress, failed, passed } from "../lib/auth-guard";
import { newApp } from "./app";
import { body, errors, json } from "./schemas";

const SESSION_TTL_S = 7 * 24 * 3600;

/**
 * After a session's row is deleted: its token's gate refuses it from now on, and its open streams end now, not at
 * their next check. A gate that cannot be told holds what it read of the session for at most TRUST_MS.
 */
async function endSession(env: Bindings, tokenHash: string, idHash: string): Promise<void> {
  try {
    await tokenGate(env, tokenHash).endSession(idHash);
  } catch (e) {
    log("error", "ended session's gate not told; it lapses within its trust window", { error: String(e), trust_ms: TRUST_MS });
  }
}

const SessionInfo = z.object({
  org: z.object({ id: z.string(), name: z.string() }),
  token: z.object({ id: z.string(), name: z.string(), role: z.enum(["viewer", "member", "admin"]) }),
});

/** Sign-in exchanges an API token for an HttpOnly cookie; the token itself never reaches browser storage. */
export const authSessionPublicApi = newApp().openapi(
  createRoute({
    method: "post", path: "/", tags: ["auth"], summary: "Sign in with an API token (sets an HttpOnly session cookie)",
    description:
      "Failed sign-ins are counted per client address (with unknown bearer tokens) and per token prefix (the first 12 characters) in a sliding window: past `AUTH_FAILURES_PER_ADDRESS` (20) or `AUTH_FAILURES_PER_TOKEN_PREFIX` (50) in `AUTH_FAILURE_WINDOW_S` (900 s) the sign-in is refused with 429 and `retry-after` until the oldest failure ages out, without checking the token. An address that signed in with a token of that prefix in the last 30 days is not held by the prefix's lock.",
    request: { body: body(z.object({ token: z.string().min(1).max(200) }).strict()) },
    responses: { 200: json(SessionInfo), ...errors(400, 401, 403, 429) },
  }),
  async (c) => {
    // a sign-in from another site's page would put this browser in the attacker's organization (login CSRF); browsers send Origin on every POST
    const origin = c.req.header("origin");
    if (origin !== undefined && origin !== new URL(c.req.url).origin) throw forbidden("cross-origin sign-in refused");
    const token = c.req.valid("json").token;
    const address = clientAddress(c.req.raw.headers);
    const check = await beginCheck(c.env, address, token);
    const p = await principalForToken(c.env.DB, token);
    if (!p) {
      await failed(c.env, check, "sign-in");
      throw unauthorized("unknown, revoked or expired API token", "invalid_token");
    }
    await passed(c.env, check);
    const sid = newSecret("fds");
    const now = Date.now();
    // a session ends with its token
    const ttlMs = Math.min(SESSION_TTL_S * 1000, p.expires_at === null ? Number.POSITIVE_INFINITY : p.expires_at - now);
    // the browser's previous session ends with this sign-in (its cookie is replaced), and the organization's expired ones go
    const prior = readSession(c)?.id;
    const priorHash = prior ? await sha256Hex(prior) : null;
    const priorSession = priorHash ? await principalForSessionHash(c.env.DB, priorHash) : null;
    await c.env.DB.batch([
      c.env.DB.prepare("INSERT INTO auth_sessions (id_hash, token_id, org_id, created_at, expires_at, legacy_cookie) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(await sha256Hex(sid), p.token_id, p.org_id, now, now + ttlMs, hostCookieAllowed(c.req.url) ? 0 : 1),
      c.env.DB.prepare("DELETE FROM auth_sessions WHERE id_hash = ?").bind(priorHash),
      sweepExpiredSessions(c.env.DB, p.org_id, now),
      auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "auth.sign_in", target_type: "token", target_id: p.token_id, details: { address } }, now),
    ]);
    if (priorSession && priorHash) await endSession(c.env, priorSession.token_hash, priorHash);
    await tokenGate(c.env, await sha256Hex(token))
      .sessionOpened(p.token_id, now + ttlMs)
      .catch((e) => log("warn", "session's expiry not scheduled; the organization's sweeps delete it", { org_id: p.org_id, error: String(e) }));
    writeSession(c, sid, ttlMs / 1000);
    const org = await c.env.DB.prepare("SELECT id, name FROM orgs WHERE id = ?").bind(p.org_id).first<{ id: string; name: string }>();
    return c.json({ org: org!, token: { id: p.token_id, name: p.token_name, role: p.role } }, 200);
  },
);

export const authSessionApi = newApp()
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["auth"], summary: "Who is signed in", responses: { 200: json(SessionInfo), ...errors(401) } }),
    async (c) => {
      const p = c.get("principal");
      const org = await c.env.DB.prepare("SELECT id, name FROM orgs WHERE id = ?").bind(p.org_id).first<{ id: string; name: string }>();
      return c.json({ org: org!, token: { id: p.token_id, name: p.token_name, role: p.role } }, 200);
    },
  )
  .openapi(
    createRoute({ method: "delete", path: "/", tags: ["auth"], summary: "Sign out", responses: { 204: { description: "Signed out" }, ...errors(401) } }),
    async (c) => {
      const sid = readSession(c)?.id;
      if (sid) {
        const idHash = await sha256Hex(sid);
        await c.env.DB.prepare("DELETE FROM auth_sessions WHERE id_hash = ?").bind(idHash).run();
        await endSession(c.env, c.get("tokenHash"), idHash);
      }
      clearSession(c);
      return c.body(null, 204);
    },
  );

export type SessionInfoT = z.infer<typeof SessionInfo>;
