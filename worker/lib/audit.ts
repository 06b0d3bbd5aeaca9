import type { CreatedBy } from "../task/meta";
import { nextLogNumber } from "../db/log-numbers";
import type { AuditAction } from "./audit-actions";
import type { Principal } from "./context";

export type Actor = CreatedBy | { type: "system"; id: string; name: string };

export interface AuditEntry {
  org_id: string;
  actor: Actor;
  action: AuditAction;
  target_type: string;
  target_id: string;
  details?: Record<string, unknown>;
}

export const actorOf = (p: Principal): Actor => ({ type: "token", id: p.token_id, name: p.token_name });

/**
 * A statement, not a write: callers put it in the batch that makes the change, so
 * auditing costs no extra round trip. `ifChanged` records only when the statement
 * just before it in the batch changed a row (a conditional update that may lose a race):
 * otherwise its time is NULL, which the NOT NULL column refuses and OR IGNORE skips.
 * It stays a one-row VALUES insert, not an INSERT … SELECT … WHERE: SQLite gives a statement
 * that may write several rows a journal of its own inside the batch's transaction, and the
 * tasks' search index (FTS5) flushes its pending terms into the next such statement — whose
 * journal then spills to a temporary file, made and deleted on every create.
 * `org_seq` numbers the organization's entries, so their ids say nothing of other organizations', and never again one
 * a deleted entry had (db/log-numbers.ts).
 */
export function auditStatement(d1: D1Database, e: AuditEntry, now = Date.now(), ifChanged = false): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT OR IGNORE INTO audit_log (org_id, org_seq, at, actor_type, actor_id, actor_name, action, target_type, target_id, details)
       VALUES (?1, ${nextLogNumber("audit")}, ${ifChanged ? "iif(changes() > 0, ?2, NULL)" : "?2"}, ?3, ?4, ?5, ?6, ?7, ?8, ?9)`,
    )
    .bind(e.org_id, now, e.actor.type, e.actor.id, e.actor.name, e.action, e.target_type, e.target_id, e.details ? JSON.stringify(e.details) : null);
}
