import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { Role } from "../db/schema";
import type { AppEnv, Principal } from "./context";
import { sha256Hex } from "./crypto";
import { ApiError, forbidden, unauthorized } from "./errors";

export const SESSION_COOKIE = "fd_session";

interface TokenRow {
  id: string;
  org_id: string;
  name: string;
  role: Role;
  instance_admin: number;
}

export async function principalForToken(d1: D1Database, token: string): Promise<Principal | null> {
  const row = await d1
    .prepare("SELECT id, org_id, name, role, instance_admin FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL")
    .bind(await sha256Hex(token))
    .first<TokenRow>();
  return row ? toPrincipal(row, "bearer") : null;
}

async function principalForSession(d1: D1Database, sessionId: string): Promise<Principal | null> {
  const row = await d1
    .prepare(
      `SELECT t.id, t.org_id, t.name, t.role, t.instance_admin FROM auth_sessions s
       JOIN api_tokens t ON t.id = s.token_id
       WHERE s.id_hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL`,
    )
    .bind(await sha256Hex(sessionId), Date.now())
    .first<TokenRow>();
  return row ? toPrincipal(row, "session") : null;
}

const toPrincipal = (row: TokenRow, via: Principal["via"]): Principal => ({
  org_id: row.org_id,
  token_id: row.id,
  token_name: row.name,
  role: row.role,
  instance_admin: row.instance_admin === 1,
  via,
});

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Bearer tokens, or the dashboard's session cookie. Cookie-authenticated
 * mutations must come from our own origin (CSRF defence on top of SameSite=Strict).
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  let principal: Principal | null = null;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw unauthorized("the Authorization header must be `Bearer <token>`");
    principal = await principalForToken(c.env.DB, m[1]);
    if (!principal) throw unauthorized("unknown or revoked API token");
  } else {
    const sid = getCookie(c, SESSION_COOKIE);
    if (sid) principal = await principalForSession(c.env.DB, sid);
    if (!principal) throw unauthorized();
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("origin");
      if (!origin || origin !== new URL(c.req.url).origin) throw forbidden("cross-origin request refused");
    }
  }
  c.set("principal", principal);
  await next();
});

export function requireInstanceAdmin(p: Principal): void {
  if (!p.instance_admin) throw new ApiError("forbidden", "only an instance admin may do this");
}
