import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { AUDIT_ACTOR_TYPES } from "../db/schema";
import { actorOf, auditStatement } from "../lib/audit";
import type { AuditAction } from "../lib/audit-actions";
import type { AppEnv } from "../lib/context";
import { log } from "../lib/log";
import { requireRole } from "../lib/roles";
import { iso } from "../lib/time";
import { newApp } from "./app";
import { filterValue, invalidCursor } from "./list-query";
import { errors, json, limitParam, Page } from "./schemas";

const AuditItem = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.object({ type: z.enum(AUDIT_ACTOR_TYPES), id: z.string(), name: z.string() }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string() }),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("AuditEntry");

interface AuditRow {
  seq: number;
  at: number;
  actor_type: (typeof AUDIT_ACTOR_TYPES)[number];
  actor_id: string;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string;
  details: string | null;
}

const Query = z.object({
  cursor: z.string().max(40).optional(),
  limit: limitParam(50),
  action: filterValue(64).optional().openapi({ description: "only this action, e.g. `step.approve`" }),
  actor: filterValue(64).optional().openapi({ description: "only what this actor did: a token's id, or `system`'s" }),
  target: filterValue(128).optional().openapi({ description: "only what was done to this target: a task's, plan's, trigger's, token's… id" }),
});

/** Each filter and the column it matches; actor and target each have an index that keeps the org's order. */
const FILTERS = [["action", "action"], ["actor", "actor_id"], ["target", "target_id"]] as const;

const encodeCursor = (seq: number) => `a${seq.toString(36)}`;
const decodeCursor = (c: string) => (/^a[0-9a-z]{1,12}$/.test(c) ? parseInt(c.slice(1), 36) : null);

export const auditApi = newApp().openapi(
  createRoute({
    method: "get", path: "/", tags: ["audit"], summary: "Who did what, newest first (admins); `action`, `actor` and `target` narrow it",
    request: { query: Query }, responses: { 200: json(Page(AuditItem)), ...errors(400, 401, 403) },
  }),
  async (c) => {
    const p = c.get("principal");
    requireRole(p, "admin");
    const { cursor, limit, ...filters } = c.req.valid("query");
    const before = cursor ? decodeCursor(cursor) : Number.MAX_SAFE_INTEGER;
    if (before == null) throw invalidCursor();
    const where = FILTERS.filter(([name]) => filters[name] !== undefined);
    const { results } = await c.env.DB.prepare(
      `SELECT org_seq AS seq, at, actor_type, actor_id, actor_name, action, target_type, target_id, details FROM audit_log
       WHERE org_id = ? AND org_seq < ? ${where.map(([, column]) => `AND ${column} = ?`).join(" ")} ORDER BY org_seq DESC LIMIT ?`,
    )
      .bind(p.org_id, before, ...where.map(([name]) => filters[name]), limit + 1)
      .all<AuditRow>();
    const page = results.slice(0, limit);
    return c.json({
      items: page.map((r) => ({
        id: encodeCursor(r.seq), at: iso(r.at)!, actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name }, action: r.action,
        target: { type: r.target_type, id: r.target_id }, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
      })),
      next_cursor: results.length > limit ? encodeCursor(page[page.length - 1].seq) : null,
    }, 200);
  },
);

type Target = { action: AuditAction; type: string; id: string; details?: Record<string, unknown> };
type Rule = [method: string, path: RegExp, target: (m: RegExpExecArray, res: Record<string, unknown>, req: Record<string, unknown>) => Target];

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** Mutations whose routes make no D1 batch of their own to carry an audit row; task creation, agent deletion, a plan's new version and deletion, tokens, triggers, orgs and prices audit in their batches. */
const RULES: Rule[] = [
  ["DELETE", /^\/tasks\/([^/]+)$/, (m) => ({ action: "task.cancel", type: "task", id: m[1] })],
  ["POST", /^\/tasks\/([^/]+)\/steps\/([^/]+)\/approve$/, (m, r) => ({ action: "step.approve", type: "task", id: m[1], details: { step: decodeURIComponent(m[2]), run: r.run } })],
  ["POST", /^\/tasks\/([^/]+)\/steps\/([^/]+)\/reject$/, (m, r) => ({ action: "step.reject", type: "task", id: m[1], details: { step: decodeURIComponent(m[2]), run: r.run } })],
  ["POST", /^\/sessions\/([^/]+)\/respond$/, (m, r, q) => ({ action: "session.respond", type: "task", id: str(r.task_id), details: { session_id: m[1], call_id: q.call_id } })],
  ["POST", /^\/agents$/, (_, r) => ({ action: "agent.create", type: "agent", id: str(r.id), details: { name: r.name } })],
  ["PUT", /^\/agents\/([^/]+)$/, (m, r) => ({ action: "agent.update", type: "agent", id: str(r.id) || m[1] })],
  ["POST", /^\/plans$/, (_, r) => ({ action: "plan.create", type: "plan", id: str(r.id), details: { name: r.name } })],
];

/**
 * Records successful mutations once the route has made its response, before it is sent. These routes write
 * through Durable Objects or their own code, so no batch of theirs carries the row; written after the answer
 * (in `waitUntil`), it was lost to a process killed in between, while the change it records stayed.
 */
export const auditMutations = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.req.method === "GET" || c.res.status >= 300 || c.res.headers.get("idempotent-replayed") || c.get("changedNothing")) return;
  const path = c.req.path.replace(/^.*?\/api\/v1/, "");
  for (const [method, re, target] of RULES) {
    const m = method === c.req.method ? re.exec(path) : null;
    if (!m) continue;
    const needsBody = c.res.status !== 204 && c.res.headers.get("content-type")?.includes("json");
    const res = needsBody ? ((await c.res.clone().json().catch(() => ({}))) as Record<string, unknown>) : {};
    // the body the route validated, cached by the request: read again only for the rules that name what it held
    const req = target.length > 2 ? ((await c.req.json().catch(() => ({}))) as Record<string, unknown>) : {};
    const t = target(m, res, req);
    if (!t.id) return;
    const p = c.get("principal");
    const stmt = auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: t.action, target_type: t.type, target_id: t.id, details: t.details });
    // the change is made: a failed write of its record is logged, not answered as a failure of the change
    await stmt.run().catch((e: unknown) => log("error", "audit write failed", { error: String(e), action: t.action }));
    return;
  }
});

export type AuditEntryT = z.infer<typeof AuditItem>;
