/**
 * Deletes an organization's dashboard sessions past their expiry. Such a session is refused anyway
 * (principalForSession checks `expires_at`); this keeps them from piling up in D1. Run by the organization's
 * queue sweep and by every sign-in of the organization.
 */
export const sweepExpiredSessions = (db: D1Database, orgId: string, now = Date.now()): D1PreparedStatement =>
  db.prepare("DELETE FROM auth_sessions WHERE org_id = ? AND expires_at <= ?").bind(orgId, now);
