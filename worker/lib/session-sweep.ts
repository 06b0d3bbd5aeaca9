/**
 * Deletes an organization's dashboard sessions past their expiry. Such a session is refused anyway
 * (principalForSessionHash checks `expires_at`); this keeps them from piling up in D1. Run by the organization's
 * queue sweep and by every sign-in of the organization; each token's gate deletes its own as they expire (below).
 */
export const sweepExpiredSessions = (db: D1Database, orgId: string, now = Date.now()): D1PreparedStatement =>
  db.prepare("DELETE FROM auth_sessions WHERE org_id = ? AND expires_at <= ?").bind(orgId, now);

/**
 * Deletes a token's expired sessions (its gate's alarm, token-gate.ts) and answers when its next one
 * expires, null when none is left.
 */
export async function sweepTokenSessions(db: D1Database, tokenId: string, now = Date.now()): Promise<number | null> {
  const [, next] = await db.batch<{ at: number | null }>([
    db.prepare("DELETE FROM auth_sessions WHERE token_id = ? AND expires_at <= ?").bind(tokenId, now),
    db.prepare("SELECT MIN(expires_at) AS at FROM auth_sessions WHERE token_id = ?").bind(tokenId),
  ]);
  return next.results[0]?.at ?? null;
}
