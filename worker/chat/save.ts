import { findPlan, type PlanRecord, unchanged } from "../api/plan-run";
import { newerVersion } from "../api/plan-etag";
import { insertVersion, saveVersion } from "../api/plan-save";
import { actorOf, auditStatement } from "../lib/audit";
import type { Principal } from "../lib/context";
import { ApiError, conflict } from "../lib/errors";
import { newId } from "../lib/ids";
import type { Plan } from "../task/plan-schema";

/**
 * A draft becomes a plan: a new version of the plan the conversation came from (or was saved as),
 * else (or when `asNew`) a new plan; when the plan it came from was deleted meanwhile, 409 unless `asNew`.
 * The same plan as the current version saves nothing. A new version replaces only the version
 * `replaces` (when given), is checked against the plan's triggers and made as `PUT /plans/{id}` makes one.
 */
export async function saveDraft(d1: D1Database, p: Principal, planId: string | null, plan: Plan, o: { pause: boolean; replaces: number | null; asNew?: boolean }): Promise<{ record: PlanRecord; created: boolean; changed: boolean }> {
  const now = Date.now();
  const actor = actorOf(p);
  const current = planId && !o.asNew ? await findPlan(d1, p.org_id, planId).catch((e: unknown) => {
    // a Save that would quietly become another plan is told apart, so the person chooses
    throw e instanceof ApiError && e.code === "not_found"
      ? conflict(`plan ${planId}, which this conversation edits, was deleted: save with {"as_new": true} to save the draft as a new plan`, { plan_id: planId, deleted: true })
      : e;
  }) : null;
  if (!current) {
    const id = newId("pln");
    await d1.batch([
      d1.prepare("INSERT INTO plans (id, org_id, name, description, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)").bind(id, p.org_id, plan.name, plan.description, now, now),
      insertVersion(d1, id, 1, plan, actor, now),
      auditStatement(d1, { org_id: p.org_id, actor, action: "plan.create", target_type: "plan", target_id: id, details: { name: plan.name, via: "chat" } }, now),
    ]);
    return { record: await findPlan(d1, p.org_id, id), created: true, changed: true };
  }
  if (unchanged(current, plan)) return { record: current, created: false, changed: false };
  if (o.replaces != null && current.version !== o.replaces) {
    throw newerVersion(current.id, current.version, o.replaces, "draft", `save with {"plan_version": ${current.version}}`);
  }
  const also = (version: number, at: number) => [
    auditStatement(d1, { org_id: p.org_id, actor, action: "plan.update", target_type: "plan", target_id: current.id, details: { version, via: "chat" } }, at, true),
  ];
  const newer = o.replaces == null ? undefined : (version: number) => newerVersion(current.id, version, current.version, "draft", `save with {"plan_version": ${version}}`);
  return { record: await saveVersion(d1, p, current, plan, { pause: o.pause, also, newer }), created: false, changed: true };
}
