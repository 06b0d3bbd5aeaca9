import type { TriggerPatch } from "../api/triggers";
import type { Bindings } from "../env";
import { actorOf, auditStatement } from "../lib/audit";
import type { Principal } from "../lib/context";
import { badRequest, conflict, notFound, unprocessable } from "../lib/errors";
import { untilWritten } from "../lib/write-race";
import { declaredNames, resolveInputs } from "../task/params";
import type { Param, Plan } from "../task/plan-schema";
import { findNamedPlan } from "../api/plan-run";
import { canonicalTimeZone, validateCron } from "./cron";
import { loadTrigger, type TriggerRow } from "./fire";
import { describeGaps, triggerGaps, unknownParams } from "./plan-fit";
import { newWebhookSecret } from "./webhook-signature";

export const clock = (env: Bindings, id: string) => env.TRIGGER_CLOCK.get(env.TRIGGER_CLOCK.idFromName(id));

export const normalCron = (cron: string) => cron.trim().split(/\s+/).join(" ");

export function checkSchedule(cron: string, timezone: string): void {
  const check = validateCron(cron, timezone);
  if (!check.ok) throw unprocessable(`invalid cron: ${check.message}`, { cron, timezone });
}

/** The plan's params as of its `version`: a trigger's write is conditional on it, since a save meanwhile was not checked against the trigger. */
export async function planParams(d1: D1Database, orgId: string, planId: string): Promise<{ id: string; version: number; params: Param[] }> {
  const plan = await findNamedPlan(d1, orgId, planId);
  return { id: plan.id, version: plan.version, params: (JSON.parse(plan.definition) as Plan).params };
}

/** `AND`-ed to a trigger's write checked against the plan's version `?n` (null: not checked, any version). */
export const planStill = (n: number, planId = "plan_id") => `(?${n} IS NULL OR (SELECT version FROM plans WHERE id = ${planId}) = ?${n})`;

/**
 * A cron trigger's saved inputs must satisfy the plan: nothing adds to them when the clock fires. A webhook's
 * deliveries add theirs, so only what is saved is checked (unknown params, values), not what is missing.
 */
export function checkInputs(params: Param[], inputs: Record<string, unknown>, kind: TriggerRow["kind"]): void {
  const resolved = resolveInputs(params, inputs, { partial: kind === "webhook" });
  if (!resolved.ok) throw unprocessable(`invalid inputs: ${resolved.issues.map((i) => `${i.param}: ${i.message}`).join("; ")}`, resolved.issues);
}

export function checkInputMap(params: Param[], inputMap: Record<string, string>): void {
  const unmapped = unknownParams(params, inputMap);
  if (!unmapped.length) return;
  throw unprocessable(`input_map names unknown params: ${unmapped.join(", ")}${declaredNames(params)}`, unmapped.map((param) => ({ param, message: "unknown param" })));
}

/** What the checks of its fields leave: a webhook's input_map and inputs that together miss a required param. */
export function checkGaps(params: Param[], t: TriggerRow): void {
  const issues = triggerGaps(params, t);
  if (issues.length) throw unprocessable(`invalid inputs: ${describeGaps(issues)}`, issues);
}

/** A paused trigger resumes only if its plan, as it is now, would take its fires (a save may have paused it for this). */
export async function checkResumable(d1: D1Database, orgId: string, t: TriggerRow): Promise<number> {
  const plan = await planParams(d1, orgId, t.plan_id);
  const issues = triggerGaps(plan.params, t);
  if (!issues.length) return plan.version;
  throw unprocessable(`cannot resume: the plan's current version would refuse every fire: ${describeGaps(issues)}; change the trigger's inputs first`, issues);
}

const ONLY: Record<TriggerRow["kind"], (keyof TriggerPatch)[]> = { cron: ["input_map", "rate_limit_per_min"], webhook: ["cron", "timezone"] };

/** How many times a PATCH reads, checks and writes before a write that keeps losing a race is 409. */
export const TRIGGER_UPDATE_ATTEMPTS = 5;

/**
 * Changes what the patch names, checked as a create is. A new schedule or a resume re-arms the clock
 * from now (no catching up); the write is conditional on the trigger (and the plan it was checked against) not
 * having changed since it was read. A PATCH takes no precondition, so one whose write lost that race to another
 * change reads both again, checks again and writes again, laid over what the other wrote (two PATCHes of different
 * fields both land): 409 only when it keeps losing, after TRIGGER_UPDATE_ATTEMPTS tries.
 */
export async function updateTrigger(env: Bindings, p: Principal, id: string, patch: TriggerPatch): Promise<TriggerRow> {
  return untilWritten(TRIGGER_UPDATE_ATTEMPTS, () => tryUpdateTrigger(env, p, id, patch), () => conflict("the trigger or its plan kept changing while saving; reload and try again"));
}

/** One read-check-write of a PATCH: the trigger as saved, or null when another change landed between the read and the write. */
async function tryUpdateTrigger(env: Bindings, p: Principal, id: string, patch: TriggerPatch): Promise<TriggerRow | null> {
  const t = await loadTrigger(env.DB, id, p.org_id);
  if (!t) throw notFound("trigger");
  const foreign = ONLY[t.kind].filter((k) => patch[k] !== undefined);
  if (foreign.length) throw badRequest(`invalid request: a ${t.kind} trigger has no ${foreign.join(" or ")}`, foreign.map((path) => ({ path, message: `not a ${t.kind} trigger's` })));
  const cron = patch.cron !== undefined ? normalCron(patch.cron) : t.cron;
  if (patch.cron !== undefined || patch.timezone !== undefined) checkSchedule(cron!, patch.timezone ?? t.timezone!);
  const timezone = patch.timezone !== undefined ? canonicalTimeZone(patch.timezone) : t.timezone;
  // only a schedule that differs is new: one a client sends back as it was keeps a fire already due
  const scheduled = cron !== t.cron || canonicalTimeZone(timezone!) !== canonicalTimeZone(t.timezone!);
  let params: Param[] | null = null;
  let planVersion: number | null = null;
  if (patch.inputs !== undefined || patch.input_map) {
    ({ params, version: planVersion } = await planParams(env.DB, p.org_id, t.plan_id));
    if (patch.inputs !== undefined) checkInputs(params, patch.inputs, t.kind);
    if (patch.input_map) checkInputMap(params, patch.input_map);
  }
  // updated_at is what the write is conditional on: it must differ from the one read, even within a millisecond
  const now = Math.max(Date.now(), t.updated_at + 1);
  const paused = patch.paused === undefined ? t.paused : patch.paused ? 1 : 0;
  const next: TriggerRow = {
    ...t, cron, timezone, paused, updated_at: now,
    // only a new schedule or a resume moves where the schedule counts from: an edit skips no fire already due
    schedule_from: scheduled || (t.paused && !paused) ? now : t.schedule_from,
    title: patch.title === undefined ? t.title : patch.title,
    inputs: patch.inputs === undefined ? t.inputs : JSON.stringify(patch.inputs),
    input_map: patch.input_map === undefined ? t.input_map : patch.input_map && JSON.stringify(patch.input_map),
    rate_limit_per_min: patch.rate_limit_per_min === undefined ? t.rate_limit_per_min : patch.rate_limit_per_min,
    // new inputs answer what a fire (or a plan's save) found wrong with the old ones
    last_error: patch.inputs !== undefined || patch.input_map !== undefined ? null : t.last_error,
  };
  if (params) checkGaps(params, next);
  if (t.paused && !paused) planVersion = await checkResumable(env.DB, p.org_id, next);
  // Armed first, as on create: a resumed row with no alarm would never fire, while an alarm ahead of its row reads the row.
  const arms = !paused && t.kind === "cron" && (scheduled || t.paused === 1);
  if (paused) next.next_fire_at = null;
  else if (arms) next.next_fire_at = await clock(env, t.id).arm(t.id, cron!, timezone!, now);
  const [upd] = await env.DB.batch([
    env.DB.prepare(
      `UPDATE triggers SET title = ?1, cron = ?2, timezone = ?3, inputs = ?4, input_map = ?5, paused = ?6, next_fire_at = ?7, last_error = ?8, updated_at = ?9, schedule_from = ?14, rate_limit_per_min = ?15
       WHERE id = ?10 AND org_id = ?11 AND updated_at = ?12 AND ${planStill(13)}`,
    ).bind(next.title, next.cron, next.timezone, next.inputs, next.input_map, next.paused, next.next_fire_at, next.last_error, now, t.id, p.org_id, t.updated_at, planVersion, next.schedule_from, next.rate_limit_per_min),
    auditStatement(env.DB, { org_id: p.org_id, actor: actorOf(p), action: "trigger.update", target_type: "trigger", target_id: t.id, details: { ...patch } }, now, true),
  ]);
  if (upd.meta.changes !== 1) {
    const saved = await loadTrigger(env.DB, id, p.org_id);
    if (!saved) throw notFound("trigger");
    // only a try that armed the clock has an alarm to put back
    if (arms) await rearmAsSaved(env, saved);
    return null;
  }
  return next;
}

/** After a refused write that had armed the clock already: back on the schedule the row keeps (a paused one's alarm only finds it paused). */
export async function rearmAsSaved(env: Bindings, t: TriggerRow): Promise<void> {
  if (t.kind === "cron" && !t.paused) await clock(env, t.id).arm(t.id, t.cron!, t.timezone!, Date.now(), t.updated_at);
}

/**
 * A new secret for a webhook trigger. The one it replaces keeps verifying for `graceSeconds` (0: refused at once),
 * and is kept after that only to tell a sender still using it why it is refused. The current secret is taken in the
 * UPDATE itself, so two rotations at once cannot keep a secret neither replaced.
 */
export async function rotateTriggerSecret(env: Bindings, p: Principal, id: string, graceSeconds: number): Promise<TriggerRow> {
  const t = await loadWebhook(env, p, id);
  const now = Date.now();
  const secret = newWebhookSecret();
  const expires = now + graceSeconds * 1000;
  const [upd] = await env.DB.batch([
    env.DB.prepare("UPDATE triggers SET previous_secret = secret, previous_secret_expires_at = ?1, secret = ?2, updated_at = ?3 WHERE id = ?4 AND org_id = ?5").bind(
      expires, secret, now, t.id, p.org_id,
    ),
    auditStatement(env.DB, { org_id: p.org_id, actor: actorOf(p), action: "trigger.rotate_secret", target_type: "trigger", target_id: t.id, details: { grace_seconds: graceSeconds } }, now, true),
  ]);
  if (upd.meta.changes !== 1) throw notFound("trigger");
  return { ...t, secret, previous_secret: t.secret, previous_secret_expires_at: expires, updated_at: now };
}

/** Ends the grace window of the secret a rotation replaced: from now on only the current one verifies. */
export async function expirePreviousSecret(env: Bindings, p: Principal, id: string): Promise<TriggerRow> {
  const t = await loadWebhook(env, p, id);
  const now = Date.now();
  const [upd] = await env.DB.batch([
    env.DB.prepare("UPDATE triggers SET previous_secret_expires_at = ?1, updated_at = ?1 WHERE id = ?2 AND org_id = ?3 AND previous_secret_expires_at > ?1").bind(now, t.id, p.org_id),
    auditStatement(env.DB, { org_id: p.org_id, actor: actorOf(p), action: "trigger.expire_previous_secret", target_type: "trigger", target_id: t.id }, now, true),
  ]);
  if (upd.meta.changes !== 1) {
    if (!(await loadTrigger(env.DB, id, p.org_id))) throw notFound("trigger");
    throw conflict("no previous secret is accepted: only the current one verifies deliveries");
  }
  return { ...t, previous_secret_expires_at: now, updated_at: now };
}

async function loadWebhook(env: Bindings, p: Principal, id: string): Promise<TriggerRow> {
  const t = await loadTrigger(env.DB, id, p.org_id);
  if (!t) throw notFound("trigger");
  if (t.kind !== "webhook") throw unprocessable("a cron trigger has no secret: only webhook deliveries are signed");
  return t;
}
