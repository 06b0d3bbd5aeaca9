import type { CreatedBy } from "../task/meta";
import type { Principal } from "./context";

export type Actor = CreatedBy;

export interface AuditEntry {
  org_id: string;
  actor: Actor;
  action: string;
  target_type: string;
  target_id: string;
  details?: Record<string, unknown>;
}

export const actorOf = (p: Principal): Actor => ({ type: "token", id: p.token_id, name: p.token_name });

/**
 * A statement, not a write: callers put it in the batch that makes the change, so
 * auditing costs no extra round trip. `ifChanged` records only when the statement
 * just before it in the batch changed a row (a conditional update that may lose a race).
 */
export function auditStatement(d1: D1Database, e: AuditEntry, now = Date.now(), ifChanged = false): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO audit_log (org_id, at, actor_type, actor_id, actor_name, action, target_type, target_id, details)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? ${ifChanged ? "WHERE changes() > 0" : ""}`,
    )
    .bind(e.org_id, now, e.actor.type, e.actor.id, e.actor.name, e.action, e.target_type, e.target_id, e.details ? JSON.stringify(e.details) : null);
}
