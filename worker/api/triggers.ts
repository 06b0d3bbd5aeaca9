import { createRoute, z } from "@hono/zod-openapi";
import type { Bindings } from "../env";
import { actorOf, auditStatement } from "../lib/audit";
import type { Principal } from "../lib/context";
import { conflict, notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { requireRole } from "../lib/roles";
import { iso } from "../lib/time";
import { canonicalTimeZone, type CronCheck, cronSyntax, nextFire, timeZoneCheck } from "../triggers/cron";
import { INPUT_PATH } from "../triggers/input-map";
import { publishChange } from "../live/change-events";
import { fireTrigger, loadTrigger, TRIGGER_SELECT, type TriggerRow } from "../triggers/fire";
import { untilWritten } from "../lib/write-race";
import { checkGaps, checkInputMap, checkInputs, checkResumable, checkSchedule, clock, expirePreviousSecret, normalCron, planParams, planStill, rearmAsSaved, rotateTriggerSecret, TRIGGER_UPDATE_ATTEMPTS, updateTrigger } from "../triggers/manage";
import { DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS, previousSecretExpiry, replayedSecret } from "../triggers/secret-rotation";
import { PLAN_AGENTS_MISSING } from "../triggers/uses";
import { newWebhookSecret } from "../triggers/webhook-signature";
import { MAX_WEBHOOK_RATE_PER_MIN, webhookRate } from "../triggers/webhook-rate";
import { newApp } from "./app";
import { created, createdJson } from "./created";
import { replayingSecret } from "./idempotency";
import { createdBy } from "./principal";
import { body, CreatedBy, errors, intParam, json, LIMITS, Page, TaskListItem } from "./schemas";
import { type Keyset, keysetSql, pageOf } from "../db/keyset";
import { cursorAfter, ListQuery } from "./list-query";

const Inputs = z.record(z.string(), z.unknown()).default({});
const Title = z.string().trim().min(1).max(LIMITS.title);
/** A check of cron.ts as a zod refinement: what fails it is a malformed request (400 naming the field), not one that cannot be done. */
const checked = (check: (s: string) => CronCheck) => (s: string, ctx: z.RefinementCtx) => {
  const r = check(s);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
};
const Cron = z.string().min(1).max(200).superRefine(checked(cronSyntax)).openapi({ description: "5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first" });
const Timezone = z.string().min(1).max(64).superRefine(checked(timeZoneCheck)).openapi({ description: "an IANA name: Europe/Paris, UTC" });
const PlanId = z.string().min(1).max(100);
const InputMap = z
  .record(z.string().min(1).max(100), z.string().regex(INPUT_PATH, "a dot path into the body: repository.full_name, commits.0.id"))
  .refine((m) => Object.keys(m).length <= 50, "at most 50 params")
  .openapi({ description: "plan params filled from the delivery's JSON body by dot path (`repository.full_name`, `commits.0.id`); the rest of the body is ignored. Without it, the body is the inputs", example: { repo: "repository.full_name", sha: "after" } });
const RateLimitPerMin = z
  .number()
  .int()
  .min(1)
  .max(MAX_WEBHOOK_RATE_PER_MIN)
  .nullable()
  .openapi({ description: "a webhook's cap on deliveries a minute (past it 429 with `retry-after`); null: the instance's `WEBHOOK_RATE_LIMIT_PER_MIN` (60 unless set)", example: 120 });
const CreateTrigger = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("cron"), plan_id: PlanId, cron: Cron, timezone: Timezone.default("UTC"), inputs: Inputs, title: Title.optional() }).strict(),
    z.object({ kind: z.literal("webhook"), plan_id: PlanId, inputs: Inputs, input_map: InputMap.optional(), title: Title.optional(), rate_limit_per_min: RateLimitPerMin.optional() }).strict(),
  ])
  .openapi("CreateTrigger");

const UpdateTrigger = z
  .object({
    title: Title.nullable(), cron: Cron, timezone: Timezone, inputs: z.record(z.string(), z.unknown()), input_map: InputMap.nullable(), rate_limit_per_min: RateLimitPerMin,
    paused: z.boolean().openapi({ description: "as pause and resume: a resumed cron trigger skips what it missed" }),
  })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: "change at least one field" })
  .openapi("UpdateTrigger", { description: "cron and timezone for cron triggers, input_map and rate_limit_per_min for webhooks; checked against the plan as a create is" });
export type TriggerPatch = z.infer<typeof UpdateTrigger>;

const RotateSecret = z
  .object({
    grace_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(DEFAULT_GRACE_SECONDS).openapi({
      description: `how long the replaced secret still verifies deliveries, in seconds (0: refused at once; at most ${MAX_GRACE_SECONDS}, 7 days)`,
      example: 3600,
    }),
  })
  .strict()
  .openapi("RotateSecret");

const RunTrigger = z.object({ inputs: z.record(z.string(), z.unknown()).optional() }).strict().openapi("RunTrigger");

const TriggerView = z
  .object({
    id: z.string(), kind: z.enum(["cron", "webhook"]), plan_id: z.string(), title: z.string().nullable(), cron: z.string().nullable(), timezone: z.string().nullable(),
    inputs: z.record(z.string(), z.unknown()), input_map: z.record(z.string(), z.string()).nullable(), paused: z.boolean(), created_by: CreatedBy, created_at: z.string(), updated_at: z.string(), last_fired_at: z.string().nullable(),
    next_fire_at: z.string().nullable(), last_task_id: z.string().nullable(), last_error: z.string().nullable(),
    webhook_url: z.string().nullable().openapi({ description: "POST here, signed per Standard Webhooks" }),
    previous_secret_expires_at: z.string().nullable().openapi({ description: "until when the secret a rotation replaced still verifies deliveries; null: only the current one does" }),
    rate_limit_per_min: z.number().int().nullable().openapi({ description: "the webhook's own cap on deliveries a minute; null: the instance's applies" }),
    effective_rate_limit_per_min: z.number().int().nullable().openapi({
      description: "the cap its deliveries meet now (its own, else the instance's `WEBHOOK_RATE_LIMIT_PER_MIN`); null: none (a cron trigger, or the instance's is 0)",
    }),
  })
  .openapi("Trigger");
const NewTrigger = TriggerView.extend({
  secret: z.string().nullable().openapi({ description: "the webhook's `whsec_…` secret, shown this once (a replayed create shows it only while it is still the current one)" }),
  secret_note: z.string().optional().openapi({ description: "on a replayed create or rotation whose secret was rotated since, or whose trigger was deleted: why `secret` is null" }),
}).openapi("NewTrigger");
const Id = z.object({ id: z.string().min(1).max(100) });

const toView = (t: TriggerRow, origin: string, env: Bindings) => ({
  id: t.id, kind: t.kind, plan_id: t.plan_id, title: t.title, cron: t.cron, timezone: t.timezone && canonicalTimeZone(t.timezone), inputs: JSON.parse(t.inputs) as Record<string, unknown>,
  input_map: t.input_map === null ? null : (JSON.parse(t.input_map) as Record<string, string>), paused: t.paused === 1, created_by: JSON.parse(t.created_by) as z.infer<typeof CreatedBy>, created_at: iso(t.created_at)!, updated_at: iso(t.updated_at)!, last_fired_at: iso(t.last_fired_at),
  next_fire_at: t.paused ? null : iso(t.next_fire_at), last_task_id: t.last_task_id, last_error: t.last_error,
  webhook_url: t.kind === "webhook" ? `${origin}/hooks/${t.id}` : null,
  previous_secret_expires_at: iso(previousSecretExpiry(t, Date.now())),
  rate_limit_per_min: t.rate_limit_per_min,
  effective_rate_limit_per_min: webhookRate(env, t),
});

async function requireTrigger(env: Bindings, p: Principal, id: string): Promise<TriggerRow> {
  const t = await loadTrigger(env.DB, id, p.org_id);
  if (!t) throw notFound("trigger");
  return t;
}

/**
 * Pauses or resumes; a resumed cron trigger skips what it missed while paused. A resume is checked against the plan as
 * it is, in SQL too: one whose write loses to a save of the plan reads both again and is checked against the version
 * saved (200, or 422 when that version would refuse its fires), as a PATCH is; 409 only when it keeps losing.
 */
async function setPaused(env: Bindings, p: Principal, id: string, paused: boolean): Promise<TriggerRow> {
  return untilWritten(TRIGGER_UPDATE_ATTEMPTS, () => trySetPaused(env, p, id, paused), () => conflict("the trigger's plan kept changing while resuming it; try again"));
}

/** One read-check-write of a pause or resume: the trigger as saved, or null when a save of its plan landed between them. */
async function trySetPaused(env: Bindings, p: Principal, id: string, paused: boolean): Promise<TriggerRow | null> {
  const t = await requireTrigger(env, p, id);
  // as a repeated PUT: a pause of a paused trigger (or a resume of a running one) changes nothing, nor is audited
  if ((t.paused === 1) === paused) return t;
  const planVersion = t.paused && !paused ? await checkResumable(env.DB, p.org_id, t) : null;
  // the clock arms for this row's updated_at, which must be newer than the one read
  const now = Math.max(Date.now(), t.updated_at + 1);
  const next = !paused && t.kind === "cron" ? await clock(env, t.id).arm(t.id, t.cron!, t.timezone!, now) : null;
  const [upd] = await env.DB.batch([
    // a resume counts the schedule from now: what came due while paused is skipped
    env.DB.prepare(`UPDATE triggers SET paused = ?1, updated_at = ?2, next_fire_at = ?3, schedule_from = CASE WHEN ?1 = 0 AND paused = 1 THEN ?2 ELSE schedule_from END WHERE id = ?4 AND org_id = ?5 AND paused != ?1 AND ${planStill(6)}`).bind(paused ? 1 : 0, now, next, t.id, p.org_id, planVersion),
    auditStatement(env.DB, { org_id: p.org_id, actor: actorOf(p), action: paused ? "trigger.pause" : "trigger.resume", target_type: "trigger", target_id: t.id }, now, true),
  ]);
  if (upd.meta.changes !== 1) {
    const saved = await loadTrigger(env.DB, id, p.org_id);
    if (!saved) throw notFound("trigger");
    // another request paused or resumed it first
    if ((saved.paused === 1) === paused) return saved;
    await rearmAsSaved(env, saved);
    return null;
  }
  return { ...t, paused: paused ? 1 : 0, updated_at: now, schedule_from: t.paused && !paused ? now : t.schedule_from, next_fire_at: next };
}

const NextFiresQuery = z.object({ cron: Cron, timezone: Timezone.default("UTC"), count: intParam(1, 20).default(5).openapi({ description: "1–20, default 5" }) });
const NextFires = z
  .object({
    cron: z.string(), timezone: z.string().openapi({ description: "the zone's canonical IANA name, as a trigger stores it" }),
    next: z.array(z.string()).openapi({ description: "the next fire times, ISO 8601 UTC, soonest first" }),
  })
  .openapi("NextFires");

/** A replayed create or rotation (Idempotency-Key) shows its secret only while it is still the trigger's current one. */
export const replayedTrigger = replayingSecret(async (c, id, kept) =>
  replayedSecret(kept, await loadTrigger(c.env.DB, id, c.get("principal").org_id), Date.now()));

/** The trigger a route changed, once the org feed has told open dashboards. */
const changed = async <T extends { id: string }>(env: Bindings, p: Principal, t: T): Promise<T> => {
  await publishChange(env, p.org_id, "trigger.updated", t.id);
  return t;
};

const NEWEST: Keyset = { columns: ["created_at", "id"], types: ["number", "string"], order: "DESC" };

export const triggersApi = newApp()
  .openapi(
    createRoute({
      method: "post", path: "/", tags: ["triggers"], summary: "Create a cron or webhook trigger on a saved plan",
      request: { body: body(CreateTrigger) }, responses: { 201: createdJson(NewTrigger), ...errors(400, 401, 403, 409, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const input = c.req.valid("json");
      const plan = await planParams(c.env.DB, p.org_id, input.plan_id);
      if (input.kind === "cron") checkSchedule(input.cron, input.timezone);
      checkInputs(plan.params, input.inputs, input.kind);
      const inputMap = input.kind === "webhook" ? input.input_map : undefined;
      if (inputMap) checkInputMap(plan.params, inputMap);
      const now = Date.now();
      const t: TriggerRow = {
        id: newId("trg"), org_id: p.org_id, kind: input.kind, plan_id: plan.id, title: input.title ?? null,
        cron: input.kind === "cron" ? normalCron(input.cron) : null, timezone: input.kind === "cron" ? canonicalTimeZone(input.timezone) : null,
        inputs: JSON.stringify(input.inputs), input_map: inputMap ? JSON.stringify(inputMap) : null, secret: input.kind === "webhook" ? newWebhookSecret() : null,
        previous_secret: null, previous_secret_expires_at: null, paused: 0,
        created_by: JSON.stringify(createdBy(p)), created_at: now, updated_at: now, schedule_from: now, last_fired_at: null, next_fire_at: null, last_task_id: null, last_error: null,
        rate_limit_per_min: input.kind === "webhook" ? (input.rate_limit_per_min ?? null) : null,
      };
      checkGaps(plan.params, t);
      // Armed first: a trigger row with no alarm would never fire; an alarm with no row stops itself.
      if (t.kind === "cron") t.next_fire_at = await clock(c.env, t.id).arm(t.id, t.cron!, t.timezone!, now);
      // only while the plan and every agent it names are there: a delete of one between the read above and this
      // write (409 while triggers use it) would otherwise leave a trigger firing into "not found"
      const [missing, inserted] = await c.env.DB.batch<{ name: string }>([
        c.env.DB.prepare(PLAN_AGENTS_MISSING).bind(t.plan_id, t.org_id),
        c.env.DB.prepare(
          `INSERT INTO triggers (id, org_id, kind, plan_id, title, cron, timezone, inputs, input_map, secret, paused, created_by, created_at, updated_at, schedule_from, next_fire_at, rate_limit_per_min)
           SELECT ?3, ?2, ?4, ?1, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, ?12, ?12, ?12, ?13, ?15
           WHERE EXISTS (SELECT 1 FROM plans WHERE id = ?1 AND org_id = ?2) AND ${planStill(14, "?1")} AND NOT EXISTS (${PLAN_AGENTS_MISSING})`,
        ).bind(t.plan_id, t.org_id, t.id, t.kind, t.title, t.cron, t.timezone, t.inputs, t.input_map, t.secret, t.created_by, now, t.next_fire_at, plan.version, t.rate_limit_per_min),
        auditStatement(c.env.DB, { org_id: p.org_id, actor: actorOf(p), action: "trigger.create", target_type: "trigger", target_id: t.id, details: { kind: t.kind, plan_id: t.plan_id } }, now, true),
      ]);
      if (missing.results.length) {
        const names = missing.results.map((a) => a.name);
        throw unprocessable(`the plan names unknown ${names.length === 1 ? "agent" : "agents"} ${names.join(", ")}: it could not start a task`, { agents: names });
      }
      if (inserted.meta.changes === 0) {
        if (await c.env.DB.prepare("SELECT 1 FROM plans WHERE id = ? AND org_id = ?").bind(t.plan_id, t.org_id).first()) {
          throw conflict("the plan was saved while the trigger was made, and its new version was not checked against the trigger's inputs; try again");
        }
        throw unprocessable(`unknown plan "${input.plan_id}"`, { plan_id: input.plan_id });
      }
      await publishChange(c.env, p.org_id, "trigger.updated", t.id);
      return created(c, { ...toView(t, new URL(c.req.url).origin, c.env), secret: t.secret }, "triggers", t.id);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/", tags: ["triggers"], summary: "List triggers, newest first", request: { query: ListQuery }, responses: { 200: json(Page(TriggerView)), ...errors(400, 401) } }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = keysetSql(NEWEST, cursorAfter(NEWEST, cursor), limit);
      const { results } = await c.env.DB.prepare(`${TRIGGER_SELECT} WHERE org_id = ? ${page.where} ${page.tail}`).bind(c.get("principal").org_id, ...page.args).all<TriggerRow>();
      const origin = new URL(c.req.url).origin;
      return c.json(pageOf(results, limit, (t) => [t.created_at, t.id], (t) => toView(t, origin, c.env)), 200);
    },
  )
  .openapi(
    // before /{id}, which would take "next-fires" for an id
    createRoute({
      method: "get", path: "/next-fires", tags: ["triggers"], summary: "When a cron schedule would fire next, checked as a trigger's is: for a form to show before saving",
      request: { query: NextFiresQuery }, responses: { 200: json(NextFires), ...errors(400, 401, 422) },
    }),
    async (c) => {
      const { cron, timezone, count } = c.req.valid("query");
      checkSchedule(cron, timezone);
      const expr = normalCron(cron);
      const zone = canonicalTimeZone(timezone);
      const next: string[] = [];
      for (let after = new Date(); next.length < count; ) {
        after = nextFire(expr, zone, after);
        next.push(after.toISOString());
      }
      return c.json({ cron: expr, timezone: zone, next }, 200);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/{id}", tags: ["triggers"], summary: "Get a trigger", request: { params: Id }, responses: { 200: json(TriggerView), ...errors(401, 404) } }),
    async (c) => c.json(toView(await requireTrigger(c.env, c.get("principal"), c.req.valid("param").id), new URL(c.req.url).origin, c.env), 200),
  )
  .openapi(
    createRoute({
      method: "patch", path: "/{id}", tags: ["triggers"], summary: "Change a trigger's title, schedule, inputs, input_map or paused, checked as a create is",
      request: { params: Id, body: body(UpdateTrigger) }, responses: { 200: json(TriggerView), ...errors(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      return c.json(toView(await changed(c.env, p, await updateTrigger(c.env, p, c.req.valid("param").id, c.req.valid("json"))), new URL(c.req.url).origin, c.env), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/rotate-secret", tags: ["triggers"],
      summary: "A new webhook secret, shown once; the old one still verifies deliveries for `grace_seconds` (default 24 h; 0: refused at once)",
      request: { params: Id, body: { required: false, content: { "application/json": { schema: RotateSecret } } } }, responses: { 200: json(NewTrigger), ...errors(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      // with no body sent the validator hands on nothing, its default not applied
      const t = await changed(c.env, p, await rotateTriggerSecret(c.env, p, c.req.valid("param").id, c.req.valid("json")?.grace_seconds ?? DEFAULT_GRACE_SECONDS));
      return c.json({ ...toView(t, new URL(c.req.url).origin, c.env), secret: t.secret }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/expire-previous-secret", tags: ["triggers"], summary: "Stop accepting the secret a rotation replaced now, before its grace window ends; 409 when none is accepted",
      request: { params: Id }, responses: { 200: json(TriggerView), ...errors(401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      return c.json(toView(await changed(c.env, p, await expirePreviousSecret(c.env, p, c.req.valid("param").id)), new URL(c.req.url).origin, c.env), 200);
    },
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
        c.env.DB.prepare("DELETE FROM cron_fires WHERE trigger_id = ? AND NOT EXISTS (SELECT 1 FROM triggers WHERE id = ?)").bind(id, id),
      ]);
      if (del.meta.changes !== 1) throw notFound("trigger");
      await clock(c.env, id).stop();
      await publishChange(c.env, p.org_id, "trigger.deleted", id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/{id}/pause", tags: ["triggers"], summary: "Pause: it fires no more until resumed", request: { params: Id }, responses: { 200: json(TriggerView), ...errors(401, 403, 404) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      return c.json(toView(await changed(c.env, p, await setPaused(c.env, p, c.req.valid("param").id, true)), new URL(c.req.url).origin, c.env), 200);
    },
  )
  .openapi(
    createRoute({ method: "post", path: "/{id}/resume", tags: ["triggers"], summary: "Resume from the next scheduled time; 422 while the plan's current version would refuse its fires", request: { params: Id }, responses: { 200: json(TriggerView), ...errors(401, 403, 404, 409, 422) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      return c.json(toView(await changed(c.env, p, await setPaused(c.env, p, c.req.valid("param").id, false)), new URL(c.req.url).origin, c.env), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/{id}/run", tags: ["triggers"], summary: "Start a task from the trigger now: its saved inputs, overlaid with the body's `inputs` (as a webhook delivery's are)",
      request: { params: Id, body: { required: false, content: { "application/json": { schema: RunTrigger } } } }, responses: { 201: createdJson(TaskListItem), ...errors(400, 401, 403, 404, 422) },
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
      const task = await fireTrigger(c.env, t, { inputs, also, byHand: createdBy(p) });
      return created(c, task, "tasks", task.id);
    },
  );

export type TriggerT = z.infer<typeof TriggerView>;
export type NewTriggerT = z.infer<typeof NewTrigger>;
