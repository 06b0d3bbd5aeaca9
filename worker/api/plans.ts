import { createRoute, z } from "@hono/zod-openapi";
import { actorOf, auditStatement } from "../lib/audit";
import { badRequest, conflict, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { requireRole } from "../lib/roles";
import { iso } from "../lib/time";
import { issueDetails } from "../lib/zod-issues";
import { type Plan, planSchema } from "../task/plan-schema";
import { planAgents } from "../task/dag";
import { validatePlan } from "../task/validate";
import { newApp } from "./app";
import { created, createdJson } from "./created";
import { findPlan, findPlanAt, PLAN_COLUMNS, type PlanRecord, runPlan, saverOf, unchanged } from "./plan-run";
import { baseVersion, ETAG_HEADER, ifMatches, ifMatchOf, newerVersion, noneMatch, versionTag } from "./plan-etag";
import { insertVersion, SaveQuery, saveVersion } from "./plan-save";
import { sourceOf } from "./principal";
import { body, errors, json, LIMITS, MAX_BUDGET_USD, Page, TaskListItem, usd } from "./schemas";
import { type Keyset, keysetSql, pageOf } from "../db/keyset";
import { AUDIT_ACTOR_TYPES } from "../db/schema";
import { diffPlans, PlanChanges } from "../task/plan-diff";
import { cursorAfter, ListQuery } from "./list-query";
import { planSummary, publishPlan } from "../live/plan-events";

const Saver = z
  .object({ type: z.enum(AUDIT_ACTOR_TYPES), id: z.string(), name: z.string() })
  .nullable()
  .openapi({ description: "who saved the version, as the audit log names actors; null for one saved before this was recorded" });
const PlanView = z
  .object({
    id: z.string(), name: z.string(), description: z.string(), version: z.number().int(), definition: z.record(z.string(), z.unknown()), created_at: z.string(), updated_at: z.string(),
    saved_by: Saver,
    agents: z.array(z.string()).openapi({ description: "every agent the current version names, nested steps included: a renamed or deleted one leaves the plan unable to run" }),
  })
  .openapi("Plan");
const VersionView = z.object({
  version: z.number().int(), definition: z.record(z.string(), z.unknown()), created_at: z.string().openapi({ description: "when it was saved" }), saved_by: Saver,
  changes: PlanChanges.nullable().openapi({ description: "what changed from the version before (`from_version`; null for version 1, whose steps are all added)" }),
});
const Id = z.object({ id: z.string().min(1).max(100) });
const PlanBody = z.record(z.string(), z.unknown()).openapi("PlanDefinition", { description: "name, description, params[], steps[] (see DESIGN.md)" });
const RunBody = z
  .object({
    inputs: z.record(z.string(), z.unknown()).default({}), title: z.string().trim().min(1).max(LIMITS.title).optional(), max_cost: usd(MAX_BUDGET_USD).optional(),
    version: z.number().int().min(1).optional().openapi({ description: "the saved version to run, default the current one: a page sends the version it shows, so a version saved meanwhile is not run unseen" }),
  })
  .strict();

const NEWEST_PLANS: Keyset = { columns: ["p.created_at", "p.id"], types: ["number", "string"], order: "DESC" };
const NEWEST_VERSIONS: Keyset = { columns: ["version"], types: ["number"], order: "DESC" };

/** A plan's answer, with its version as `ETag`: a `PUT` sends it back in `If-Match`. */
const tagged = <T extends z.ZodTypeAny>(schema: T) => ({ ...json(schema), headers: ETAG_HEADER });
const createdTagged = <T extends z.ZodTypeAny>(schema: T) => { const doc = createdJson(schema); return { ...doc, headers: { ...doc.headers, ...ETAG_HEADER } }; };

const toView = (r: PlanRecord) => {
  // stored as the schema parsed it, every step with its kind
  const definition = JSON.parse(r.definition) as Record<string, unknown>;
  return {
    id: r.id, name: r.name, description: r.description, version: r.version,
    definition, created_at: iso(r.created_at)!, updated_at: iso(r.updated_at)!, saved_by: saverOf(r), agents: planAgents(definition as unknown as Plan),
  };
};

/** Schema errors are 400; a well-formed plan that cannot run (unknown agent or MCP server, cycle, bad reference) is 422 naming the step. */
async function checkedPlan(d1: D1Database, orgId: string, raw: unknown): Promise<Plan> {
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const details = issueDetails(parsed.error.issues);
    throw badRequest(`invalid plan: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, details);
  }
  const [agents, servers] = await d1.batch<{ name: string }>([
    d1.prepare("SELECT name FROM agents WHERE org_id = ?").bind(orgId),
    d1.prepare("SELECT name FROM mcp_servers WHERE org_id = ?").bind(orgId),
  ]);
  const issues = validatePlan(parsed.data, new Set(agents.results.map((r) => r.name)), new Set(servers.results.map((r) => r.name)));
  if (issues.length) throw unprocessable(`invalid plan: ${issues.map((i) => `${i.step ? `step ${i.step}: ` : ""}${i.message}`).join("; ")}`, issues);
  return parsed.data;
}

export const plansApi = newApp()
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["plans"], summary: "List plans, newest first", request: { query: ListQuery }, responses: { 200: json(Page(PlanView)), ...errors(400, 401) } }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = keysetSql(NEWEST_PLANS, cursorAfter(NEWEST_PLANS, cursor), limit);
      const { results } = await c.env.DB.prepare(
        `SELECT ${PLAN_COLUMNS} FROM plans p
         JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version WHERE p.org_id = ? ${page.where} ${page.tail}`,
      )
        .bind(c.get("principal").org_id, ...page.args)
        .all<PlanRecord>();
      return c.json(pageOf(results, limit, (r) => [r.created_at, r.id], toView), 200);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/", tags: ["plans"], summary: "Create a plan (version 1)", request: { body: body(PlanBody) }, responses: { 201: createdTagged(PlanView), ...errors(400, 401, 403, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const plan = await checkedPlan(c.env.DB, p.org_id, c.req.valid("json"));
      const id = newId("pln");
      const now = Date.now();
      await c.env.DB.batch([
        c.env.DB.prepare("INSERT INTO plans (id, org_id, name, description, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)").bind(id, p.org_id, plan.name, plan.description, now, now),
        insertVersion(c.env.DB, id, 1, plan, actorOf(p), now),
      ]);
      const saved = await findPlan(c.env.DB, p.org_id, id);
      await publishPlan(c.env, p.org_id, "plan.updated", planSummary(saved));
      c.header("etag", versionTag(1));
      return created(c, toView(saved), "plans", id);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/{id}", tags: ["plans"], summary: "Get a plan (current version); `ETag` is its version, and `If-None-Match` naming it is 304", request: { params: Id },
      responses: { 200: tagged(PlanView), 304: { description: "Not modified: still the version `If-None-Match` names", headers: ETAG_HEADER }, ...errors(401, 404) },
    }),
    async (c) => {
      const plan = await findPlan(c.env.DB, c.get("principal").org_id, c.req.valid("param").id);
      if (noneMatch(c.req.header("if-none-match"), plan.version)) return c.body(null, 304, { etag: versionTag(plan.version) });
      return c.json(toView(plan), 200, { etag: versionTag(plan.version) });
    },
  )
  .openapi(
    createRoute({
      method: "put", path: "/{id}", tags: ["plans"],
      summary: "Save a new version; 409 naming the current version when `If-Match` names another, and 409 naming the triggers whose fires it would refuse, unless `triggers=pause`",
      request: { params: Id, query: SaveQuery, body: body(PlanBody) }, responses: { 200: tagged(PlanView), ...errors(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const d1 = c.env.DB;
      const current = await findPlan(d1, p.org_id, c.req.valid("param").id);
      const plan = await checkedPlan(d1, p.org_id, c.req.valid("json"));
      const ifMatch = ifMatchOf(c);
      const newer = (version: number, from: number | null) => newerVersion(current.id, version, from, "edit", `send If-Match: ${versionTag(version)}`);
      if (ifMatch !== undefined && !ifMatches(ifMatch, current.version)) throw newer(current.version, baseVersion(ifMatch));
      if (unchanged(current, plan)) return c.json(toView(current), 200, { etag: versionTag(current.version) });
      // audited in the save's batch: a save that changes nothing made no version and records nothing
      const also = (version: number, at: number) => [
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "plan.update", target_type: "plan", target_id: current.id, details: { version } }, at, true),
      ];
      const saved = await saveVersion(d1, p, current, plan, { pause: c.req.valid("query").triggers === "pause", also, newer: ifMatch === undefined ? undefined : (v) => newer(v, current.version) });
      await publishPlan(c.env, p.org_id, "plan.updated", planSummary(saved));
      return c.json(toView(saved), 200, { etag: versionTag(saved.version) });
    },
  )
  .openapi(
    createRoute({
      method: "delete", path: "/{id}", tags: ["plans"], summary: "Delete a plan (tasks keep the version they ran); 409 while triggers start it, or when `If-Match` names another version",
      request: { params: Id }, responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const d1 = c.env.DB;
      const current = await findPlan(d1, p.org_id, c.req.valid("param").id);
      const ifMatch = ifMatchOf(c);
      const newer = (version: number, from: number | null) => newerVersion(current.id, version, from, "delete", `send If-Match: ${versionTag(version)}`);
      if (ifMatch !== undefined && !ifMatches(ifMatch, current.version)) throw newer(current.version, baseVersion(ifMatch));
      // a trigger made between the read and the delete keeps the plan too: the deletes are conditional on none,
      // and on the version read when If-Match names it, so a save meanwhile keeps it as well
      const unused = "NOT EXISTS (SELECT 1 FROM triggers WHERE plan_id = ?1) AND (?3 IS NULL OR (SELECT version FROM plans WHERE id = ?1) = ?3)";
      const version = ifMatch === undefined ? null : current.version;
      const [triggers, , gone] = await d1.batch<{ id: string; kind: string }>([
        d1.prepare("SELECT id, kind FROM triggers WHERE plan_id = ?1 ORDER BY created_at").bind(current.id),
        d1.prepare(`DELETE FROM plan_versions WHERE plan_id = ?1 AND ${unused}`).bind(current.id, p.org_id, version),
        d1.prepare(`DELETE FROM plans WHERE id = ?1 AND org_id = ?2 AND ${unused}`).bind(current.id, p.org_id, version),
        // named, since the plan is gone once its entry is read
        auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "plan.delete", target_type: "plan", target_id: current.id, details: { name: current.name, version: current.version } }, Date.now(), true),
      ]);
      if (triggers.results.length) {
        const ids = triggers.results.map((t) => t.id);
        throw conflict(`plan ${current.id} is started by ${ids.length === 1 ? "trigger" : "triggers"} ${ids.join(", ")}: delete ${ids.length === 1 ? "it" : "them"} first`, triggers.results.map((t) => ({ trigger_id: t.id, kind: t.kind })));
      }
      if (ifMatch !== undefined && gone.meta.changes !== 1) throw newer((await findPlan(d1, p.org_id, current.id)).version, current.version);
      if (gone.meta.changes === 1) await publishPlan(c.env, p.org_id, "plan.deleted", planSummary(current));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/{id}/versions", tags: ["plans"], summary: "Every saved version, newest first",
      request: { params: Id, query: ListQuery }, responses: { 200: json(Page(VersionView)), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = cursorAfter(NEWEST_VERSIONS, cursor);
      const current = await findPlan(c.env.DB, c.get("principal").org_id, c.req.valid("param").id);
      const page = keysetSql(NEWEST_VERSIONS, after, limit);
      const { results } = await c.env.DB.prepare(`SELECT version, definition, created_at, saved_by_type, saved_by_id, saved_by_name FROM plan_versions WHERE plan_id = ? ${page.where} ${page.tail}`)
        .bind(current.id, ...page.args)
        .all<Pick<PlanRecord, "version" | "definition" | "created_at" | "saved_by_type" | "saved_by_id" | "saved_by_name">>();
      // the page reads one row past its last (to know whether another page follows): the version before that last one
      const plans = new Map(results.map((v) => [v.version, planSchema.safeParse(JSON.parse(v.definition))]));
      const changes = (version: number) => {
        const [prev, next] = [version === 1 ? null : plans.get(version - 1), plans.get(version)];
        if (prev === undefined || !next?.success || (prev && !prev.success)) return null;
        return diffPlans(prev?.data ?? null, next.data, prev ? version - 1 : null);
      };
      const view = (v: (typeof results)[number]) => ({
        version: v.version, definition: JSON.parse(v.definition) as Record<string, unknown>, created_at: iso(v.created_at)!, saved_by: saverOf(v), changes: changes(v.version),
      });
      return c.json(pageOf(results, limit, (v) => [v.version], view), 200);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/{id}/run", tags: ["plans"], summary: "Start a task on the current version, or the saved `version` named", request: { params: Id, body: body(RunBody) }, responses: { 201: createdJson(TaskListItem), ...errors(400, 401, 403, 404, 409, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const { inputs, title, max_cost, version } = c.req.valid("json");
      const planId = c.req.valid("param").id;
      const task = await runPlan(c.env, p, version === undefined ? planId : await findPlanAt(c.env.DB, p.org_id, planId, version), {
        inputs, title, max_cost_nanos: max_cost == null ? null : Math.round(max_cost * 1e9), source: sourceOf(p),
        audit: { actor: actorOf(p), action: "task.create", details: { plan_id: planId } },
        also: c.get("idempotentTask"),
      });
      return created(c, task, "tasks", task.id);
    },
  );

export type PlanT = z.infer<typeof PlanView>;
export type PlanVersionT = z.infer<typeof VersionView>;
