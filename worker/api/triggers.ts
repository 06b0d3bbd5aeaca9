import { createRoute, z } from "@hono/zod-openapi";
import type { Bindings } from "../env";
import { actorOf, auditStatement } from "../lib/audit";
import type { Principal } from "../lib/context";
import { notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { requireRole } from "../lib/roles";
import { iso } from "../lib/time";
import { resolveInputs } from "../task/params";
import type { Plan } from "../task/plan-schema";
import { validateCron } from "../triggers/cron";
import { INPUT_PATH } from "../triggers/input-map";
import { fireTrigger, loadTrigger, type TriggerRow } from "../triggers/fire";
import { newWebhookSecret } from "../triggers/webhook-signature";
import { newApp } from "./app";
import { findNamedPlan } from "./plan-run";
import { createdBy } from "./principal";
import { body, CreatedBy, errors, json, LIMITS, Page, TaskListItem } from "./schemas";
import { type Keyset, keysetSql, pageOf } from "../db/keyset";
import { cursorAfter, ListQuery } from "./list-query";

const Inputs = z.record(z.string(), z.unknown()).default({});
const Title = z.string().trim().min(1).max(LIMITS.title).optional();
const PlanId = z.string().min(1).max(100);
const InputMap = z
  .record(z.string().min(1).max(100), z.string().regex(INPUT_PATH, "a dot path into the body: repository.full_name, commits.0.id"))
  .refine((m) => Object.keys(m).length <= 50, "at most 50 params")
  .openapi({ description: "plan params filled from the delivery's JSON body by dot path (`repository.full_name`, `commits.0.id`); the rest of the body is ignored. Without it, the body is the inputs", example: { repo: "repository.full_name", sha: "after" } });
const CreateTrigger = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("cron"), plan_id: PlanId, cron: z.string().min(1).max(200), timezone: z.string().min(1).max(64).default("UTC"), inputs: Inputs, title: Title }).strict(),
    z.object({ kind: z.literal("webhook"), plan_id: PlanId, inputs: Inputs, input_map: InputMap.optional(), title: Title }).strict(),
  ])
  .openapi("CreateTrigger");

const RunTrigger = z.object({ inputs: z.record(z.string(), z.unknown()).optional() }).strict().openapi("RunTrigger");

const TriggerView = z
  .object({
    id: z.string(), kind: z.enum(["cron", "webhook"]), plan_id: z.string(), title: z.string().nullable(), cron: z.string().nullable(), timezone: z.string().nullable(),
    inputs: z.record(z.string(), z.unknown()), input_map: z.record(z.string(), z.string()).nullable(), paused: z.boolean(), created_by: CreatedBy, created_at: z.string(), last_fired_at: z.string().nullable(),
    next_fire_at: z.string().nullable(), last_task_id: z.string().nullable(), last_error: z.string().nullable(),
    webhook_url: z.string().nullable().openapi({ description: "POST here, signed per Standard Webhooks" }),
  })
  .openapi("Trigger");
const NewTrigger = TriggerView.extend({ secret: z.string().nullable().openapi({ description: "the webhook's `whsec_…` secret, shown this once" }) }).openapi("NewTrigger");
const Id = z.object({ id: z.string().min(1).max(100) });

const toView = (t: TriggerRow, origin: string) => ({
  id: t.id, kind: t.kind, plan_id: t.plan_id, title: t.title, cron: t.cron, timezone: t.timezone, inputs: JSON.parse(t.inputs) as Record<string, unknown>,
  input_map: t.input_map === null ? null : (JSON.parse(t.input_map) as Record<string, string>), paused: t.paused === 1, created_by: JSON.parse(t.created_by) as z.infer<typeof CreatedBy>, created_at: iso(t.created_at)!, last_fired_at: iso(t.last_fired_at),
  next_fire_at: t.paused ? null : iso(t.next_fire_at), last_task_id: t.last_task_id, last_error: t.last_error,
  webhook_url: t.kind === "webhook" ? `${origin}/hooks/${t.id}` : null,
});

const clock = (env: Bindings, id: string) => env.TRIGGER_CLOCK.get(env.TRIGGER_CLOCK.idFromName(id));

async function requireTrigger(env: Bindings, p: Principal, id: string): Promise<TriggerRow> {
  const t = await loadTrigger(env.DB, id, p.org_id);
  if (!t) throw notFound("trigger");
  return t;
}

/** Pauses or resumes; a resumed cron trigger skips what it missed while paused. */
async function setPaused(env: Bindings, p: Principal, id: string, paused: boolean): Promise<TriggerRow> {
  const t = await requireTrigger(env, p, id);
  const now = Date.now();
  const next = !paused && t.kind === "cron" ? await clock(env, t.id).arm(t.id, t.cron!, t.timezone!, now) : null;
  await env.DB.batch([
    env.DB.prepare("UPDATE triggers SET paused = ?, updated_at = ?, next_fire_at = ? WHERE id = ? AND org_id = ?").bind(paused ? 1 : 0, now, next, t.id, p.org_id),
    auditStatement(env.DB, { org_id: p.org_id, actor: actorOf(p), action: paused ? "trigger.pause" : "trigger.resume", target_type: "trigger", target_id: t.id }, now),
  ]);
  return { ...t, paused: paused ? 1 : 0, updated_at: now, next_fire_at: next };
}

const NEWEST: Keyset = { columns: ["created_at", "id"], types: ["number", "string"], order: "DESC" };

export const triggersApi = newApp()
  .openapi(
    createRoute({
      method: "post", path: "/", tags: ["triggers"], summary: "Create a cron or webhook trigger on a saved plan",
      request: { body: body(CreateTrigger) }, responses: { 201: json(NewTrigger, "Created"), ...errors(400, 401, 403, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const input = c.req.valid("json");
      const plan = await findNamedPlan(c.env.DB, p.org_id, input.plan_id);
      if (input.kind === "cron") {
        const check = validateCron(input.cron, input.timezone);
        if (!check.ok) throw unprocessable(`invalid cron: ${check.message}`, { cron: input.cron, timezone: input.timezone });
      }
      // A cron trigger's saved inputs must satisfy the plan: nothing adds to them when the clock fires. A webhook's
      // deliveries add theirs, so only what is saved is checked (unknown params, values), not what is missing.
      const params = (JSON.parse(plan.definition) as Plan).params;
      const resolved = resolveInputs(params, input.inputs, { partial: input.kind === "webhook" });
      if (!resolved.ok) throw unprocessable(`invalid inputs: ${resolved.issues.map((i) => `${i.param}: ${i.message}`).join("; ")}`, resolved.issues);
      const inputMap = input.kind === "webhook" ? input.input_map : undefined;
      const unmapped = Object.keys(inputMap ?? {}).filter((name) => !params.some((p) => p.name === name));
      if (unmapped.length) {
        const known = params.length ? `; the plan declares ${params.map((p) => p.name).join(", ")}` : "; the plan declares none";
        throw unprocessable(`input_map names unknown params: ${unmapped.join(", ")}${known}`, unmapped.map((param) => ({ param, message: "unknown param" })));
      }
      const now = Date.now();
      const t: TriggerRow = {
        id: newId("trg"), org_id: p.org_id, kind: input.kind, plan_id: plan.id, title: input.title ?? null,
        cron: input.kind === "cron" ? input.cron.trim().split(/\s+/).join(" ") : null, timezone: input.kind === "cron" ? input.timezone : null,
        inputs: JSON.stringify(input.inputs), input_map: inputMap ? JSON.stringify(inputMap) : null, secret: input.kind === "webhook" ? newWebhookSecret() : null, paused: 0,
        created_by: JSON.stringify(createdBy(p)), created_at: now, updated_at: now, last_fired_at: null, next_fire_at: null, last_task_id: null, last_error: null,
      };
      // Armed first: a trigger row with no alarm would never fire; an alarm with no row stops itself.
      if (t.kind === "cron") t.next_fire_at = await clock(c.env, t.id).arm(t.id, t.cron!, t.timezone!, now);
      // only while the plan is there: a delete of it between the read above and this write (409 while triggers
      // start it) would otherwise leave a trigger firing into "plan not found"
      const [inserted] = await c.env.DB.batch([
        c.env.DB.prepare(
          `INSERT INTO triggers (id, org_id, kind, plan_id, title, cron, timezone, inputs, input_map, secret, paused, created_by, created_at, updated_at, next_fire_at)
           SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM plans WHERE id = ? AND org_id = ?)`,
        ).bind(t.id, t.org_id, t.kind, t.plan_id, t.title, t.cron, t.timezone, t.inputs, t.input_map, t.secret, t.created_by, now, now, t.next_fire_at, t.plan_id, t.org_id),
        auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "trigger.create", target_type: "trigger", target_id: t.id, details: { kind: t.kind, plan_id: t.plan_id } }, now, true),
      ]);
      if (inserted.meta.changes === 0) throw unprocessable(`unknown plan "${input.plan_id}"`, { plan_id: input.plan_id });
      return c.json({ ...toView(t, new URL(c.req.url).origin), secret: t.secret }, 201);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["triggers"], summary: "List triggers, newest first", request: { query: ListQuery }, responses: { 200: json(Page(TriggerView)), ...errors(400, 401) } }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = keysetSql(NEWEST, cursorAfter(NEWEST, cursor), limit);
      const { results } = await c.env.DB.prepare(`SELECT * FROM triggers WHERE org_id = ? ${page.where} ${page.tail}`).bind(c.get("principal").org_id, ...page.args).all<TriggerRow>();
      const origin = new URL(c.req.url).origin;
      return c.json(pageOf(results, limit, (t) => [t.created_at, t.id], (t) => toView(t, origin)), 200);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/{id}", tags: ["triggers"], summary: "Get a trigger", request: { params: Id }, responses: { 200: json(TriggerView), ...errors(401, 404) } }),
    async (c) => c.json(toView(await requireTrigger(c.env, c.get("principal"), c.req.valid("param").id), new URL(c.req.url).origin), 200),
  )
  .openapi(
    createRoute({ method: "delete", path: "/{id}", tags: ["triggers"], summary: "Delete a trigger; it fires no more", request: { params: Id }, responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { id } = c.req.valid("param");
      const [del] = await c.env.DB.batch([
        c.env.DB.prepare("DELETE FROM triggers WHERE id = ? AND org_id = ?").bind(id, p.org_id),
        auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "trigger.delete", target_type: "trigger", target_id: id }, Date.now(), true),
        c.env.DB.prepare("DELETE FROM webhook_deliveries WHERE trigger_id = ? AND changes() > 0").bind(id),
      ]);
      if (del.meta.changes !== 1) throw notFound("trigger");
      await clock(c.env, id).stop();
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/{id}/pause", tags: ["triggers"], summary: "Pause: it fires no more until resumed", request: { params: Id }, responses: { 200: json(TriggerView), ...errors(401, 403, 404) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      return c.json(toView(await setPaused(c.env, p, c.req.valid("param").id, true), new URL(c.req.url).origin), 200);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/{id}/resume", tags: ["triggers"], summary: "Resume from the next scheduled time", request: { params: Id }, responses: { 200: json(TriggerView), ...errors(401, 403, 404) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      return c.json(toView(await setPaused(c.env, p, c.req.valid("param").id, false), new URL(c.req.url).origin), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/run", tags: ["triggers"], summary: "Start a task from the trigger now: its saved inputs, overlaid with the body's `inputs` (as a webhook delivery's are)",
      request: { params: Id, body: { required: false, content: { "application/json": { schema: RunTrigger } } } }, responses: { 201: json(TaskListItem, "Created"), ...errors(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "member");
      const t = await requireTrigger(c.env, p, c.req.valid("param").id);
      const { inputs } = c.req.valid("json");
      const also = (taskId: string) => [
        auditStatement(c.env.DB, {
          org_id: p.org_id, actor: actorOf(p), action: "trigger.run", target_type: "trigger", target_id: t.id, details: { task_id: taskId, ...(inputs ? { inputs } : {}) },
        }),
        ...(c.get("idempotentTask")?.(taskId) ?? []),
      ];
      return c.json(await fireTrigger(c.env, t, { inputs, also }), 201);
    },
  );

export type TriggerT = z.infer<typeof TriggerView>;
export type NewTriggerT = z.infer<typeof NewTrigger>;
