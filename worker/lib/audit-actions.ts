/**
 * Every action the audit log records, `<target>.<verb>`. One list, so a write cannot invent a name the
 * log's filter does not offer; the dashboard's Action filter is built from it. Add a name here before
 * writing it.
 */
export const AUDIT_ACTIONS = [
  "task.create", "task.rerun", "task.cancel", "task.purge",
  "step.approve", "step.reject", "session.respond",
  "plan.create", "plan.update", "plan.delete",
  "agent.create", "agent.update", "agent.delete",
  "trigger.create", "trigger.update", "trigger.run", "trigger.pause", "trigger.resume", "trigger.rotate_secret", "trigger.expire_previous_secret", "trigger.delete",
  "token.create", "token.update", "token.revoke",
  "subscription.create", "subscription.update", "subscription.rotate_secret", "subscription.delete",
  "pricing.update", "pricing.delete", "mcp_server.set", "mcp_server.delete",
  "settings.update", "org.create", "search_index.merge",
  "auth.sign_in", "auth.lockout",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
