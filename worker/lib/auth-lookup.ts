import type { Role } from "../db/schema";
import type { Principal } from "./context";
import { sha256Hex } from "./crypto";

interface TokenRow {
  id: string;
  org_id: string;
  name: string;
  role: Role;
  instance_admin: number;
  token_hash: string;
  expires_at: number | null;
}

const toPrincipal = (row: TokenRow, via: Principal["via"]): Principal => ({
  org_id: row.org_id,
  token_id: row.id,
  token_name: row.name,
  role: row.role,
  instance_admin: row.instance_admin === 1,
  expires_at: row.expires_at,
  via,
});

/** Whoever holds `p` in memory (a token's gate, an open stream) asks this: a read that found the token live can outlast its expiry. */
export const expired = (p: Pick<Principal, "expires_at">, now = Date.now()): boolean => p.expires_at !== null && p.expires_at <= now;

export async function principalForTokenHash(d1: D1Database, hash: string, via: Principal["via"]): Promise<Principal | null> {
  const row = await d1
    .prepare(
      "SELECT id, org_id, name, role, instance_admin, token_hash, expires_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
    )
    .bind(hash, Date.now())
    .first<TokenRow>();
  return row ? toPrincipal(row, via) : null;
}

export const principalForToken = async (d1: D1Database, token: string) => principalForTokenHash(d1, await sha256Hex(token), "bearer");

export interface SessionReading {
  principal: Principal;
  /** the hash of the session's token, whose gate counts the session's requests too */
  token_hash: string;
  session_expires_at: number;
}

/** The session whose id hashes to `idHash`, unless it, or its token, has ended. */
export async function principalForSessionHash(d1: D1Database, idHash: string): Promise<SessionReading | null> {
  const now = Date.now();
  const row = await d1
    .prepare(
      `SELECT t.id, t.org_id, t.name, t.role, t.instance_admin, t.token_hash, t.expires_at, s.expires_at AS session_expires_at FROM auth_sessions s
       JOIN api_tokens t ON t.id = s.token_id
       WHERE s.id_hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`,
    )
    .bind(idHash, now, now)
    .first<TokenRow & { session_expires_at: number }>();
  return row ? { principal: toPrincipal(row, "session"), token_hash: row.token_hash, session_expires_at: row.session_expires_at } : null;
}
