import type { Bindings } from "../env";
import type { TaskSource } from "../db/schema";
import type { TaskListItem } from "../db/task-row";
import type { Actor } from "../lib/audit";
import type { Principal } from "../lib/context";
import { ApiError, notFound, unprocessable } from "../lib/errors";
import { createTask, type NewTask } from "../task/create";
import type { CreatedBy } from "../task/meta";
import { resolveInputs } from "../task/params";
import { canonicalJson } from "../lib/canonical-json";
import { type Plan, planSchema } from "../task/plan-schema";
import { createdBy } from "./principal";

export interface PlanRecord {
  id: string;
  name: string;
  description: string;
  version: number;
  definition: string;
  created_at: number;
  updated_at: number;
  /** who saved this version (NULL for one saved before savers were kept) */
  saved_by_type: Actor["type"] | null;
  saved_by_id: string | null;
  saved_by_name: string | null;
}

/** A plan's columns with those of its version `v`, for a `PlanRecord`. */
export const PLAN_COLUMNS = "p.id, p.name, p.description, p.version, v.definition, p.created_at, p.updated_at, v.saved_by_type, v.saved_by_id, v.saved_by_name";

export async function findPlan(d1: D1Database, orgId: string, id: string): Promise<PlanRecord> {
  const row = await d1
    .prepare(`SELECT ${PLAN_COLUMNS} FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version WHERE p.id = ? AND p.org_id = ?`)
    .bind(id, orgId)
    .first<PlanRecord>();
  if (!row) throw notFound("plan");
  return row;
}

/** The plan with `version` in place of its current one: 404 for an unknown plan, 422 for a version it never had (or no longer has). */
export async function findPlanAt(d1: D1Database, orgId: string, id: string, version: number): Promise<PlanRecord> {
  const row = await d1
    .prepare(`SELECT ${PLAN_COLUMNS.replace("p.version", "v.version")} FROM plans p LEFT JOIN plan_versions v ON v.plan_id = p.id AND v.version = ? WHERE p.id = ? AND p.org_id = ?`)
    .bind(version, id, orgId)
    .first<PlanRecord & { version: number | null }>();
  if (!row) throw notFound("plan");
  if (row.version === null) throw unprocessable(`plan ${id} has no version ${version}`, { plan_id: id, plan_version: version });
  return row as PlanRecord;
}

/** Who saved a plan's version, as the audit log names actors; null when it was saved before that was kept. */
export const saverOf = (r: Pick<PlanRecord, "saved_by_type" | "saved_by_id" | "saved_by_name">): Actor | null =>
  r.saved_by_type && r.saved_by_id ? ({ type: r.saved_by_type, id: r.saved_by_id, name: r.saved_by_name ?? "" } as Actor) : null;

/** Whether saving `plan` would change nothing: the same plan as the current version, whatever its key order or spelt-out defaults. */
export function unchanged(current: PlanRecord, plan: Plan): boolean {
  const stored = planSchema.safeParse(JSON.parse(current.definition));
  return stored.success && canonicalJson(JSON.stringify(stored.data)) === canonicalJson(JSON.stringify(plan));
}

/** A plan that a request's body names: unknown is 422, as an unknown agent is; 404 is for the path's own resource. */
export async function findNamedPlan(d1: D1Database, orgId: string, id: string): Promise<PlanRecord> {
  return findPlan(d1, orgId, id).catch((e: unknown) => {
    throw e instanceof ApiError && e.code === "not_found" ? unprocessable(`unknown plan "${id}"`, { plan_id: id }) : e;
  });
}

/** A version of a task's plan, for a rerun on it: `current` or a version number; 422 when the task ran no saved plan, or the version is gone. */
export async function planAt(d1: D1Database, orgId: string, planId: string | null, version: number | "current"): Promise<{ plan: Plan; version: number }> {
  if (!planId) throw unprocessable("this task was not started from a saved plan: rerun it without plan_version");
  if (version === "current") {
    const current = await findNamedPlan(d1, orgId, planId);
    return { plan: JSON.parse(current.definition) as Plan, version: current.version };
  }
  const row = await d1
    .prepare("SELECT v.definition FROM plan_versions v JOIN plans p ON p.id = v.plan_id WHERE v.plan_id = ? AND p.org_id = ? AND v.version = ?")
    .bind(planId, orgId, version)
    .first<{ definition: string }>();
  if (!row) throw unprocessable(`plan ${planId} has no version ${version}`, { plan_id: planId, plan_version: version });
  return { plan: JSON.parse(row.definition) as Plan, version };
}

/** Who starts a plan: a token's principal, or a trigger acting for its organization. */
export type PlanStarter = Principal | { org_id: string; created_by: CreatedBy };

/** Starts a task on the plan's current version (read here when given by id); the task keeps that exact version. */
export async function runPlan(
  env: Bindings,
  p: PlanStarter,
  plan: string | PlanRecord,
  o: { inputs: Record<string, unknown>; title?: string; max_cost_nanos?: number | null; source: TaskSource; trigger_id?: string | null; trigger_paused?: boolean; audit?: NewTask["audit"]; also?: NewTask["also"] },
): Promise<TaskListItem> {
  const record = typeof plan === "string" ? await findPlan(env.DB, p.org_id, plan) : plan;
  const definition = JSON.parse(record.definition) as Plan;
  const resolved = resolveInputs(definition.params, o.inputs);
  if (!resolved.ok) throw unprocessable(`invalid inputs: ${resolved.issues.map((i) => `${i.param}: ${i.message}`).join("; ")}`, resolved.issues);
  return createTask(env, {
    org_id: p.org_id,
    title: o.title ?? definition.name,
    description: definition.description,
    source: o.source,
    created_by: "created_by" in p ? p.created_by : createdBy(p),
    plan: definition,
    plan_id: record.id,
    plan_version: record.version,
    inputs: resolved.values,
    max_cost_nanos: o.max_cost_nanos ?? null,
    trigger_id: o.trigger_id ?? null,
    trigger_paused: o.trigger_paused,
    audit: o.audit,
    also: o.also,
  });
}
