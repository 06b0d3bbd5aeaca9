import type { TriggerKind } from "../db/schema";
import type { TaskListItem } from "../db/task-row";
import type { Bindings } from "../env";
import { runPlan } from "../api/plan-run";
import { ApiError } from "../lib/errors";
import { log } from "../lib/log";
import type { CreatedBy } from "../task/meta";

export interface TriggerRow {
  id: string;
  org_id: string;
  kind: TriggerKind;
  plan_id: string;
  title: string | null;
  cron: string | null;
  timezone: string | null;
  inputs: string;
  input_map: string | null;
  secret: string | null;
  /** the secret before the latest rotation, accepted until `previous_secret_expires_at` (ms) */
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  paused: number;
  created_by: string;
  created_at: number;
  updated_at: number;
  /** where the schedule counts from: the create, the latest change of cron or timezone, or resume (not any edit) */
  schedule_from: number;
  last_fired_at: number | null;
  next_fire_at: number | null;
  /** not kept: read from its tasks (TRIGGER_SELECT), so it names the newest there is */
  last_task_id: string | null;
  last_error: string | null;
  /** a webhook's cap on deliveries a minute; null: the instance's (webhook-rate.ts) */
  rate_limit_per_min: number | null;
}

/** A trigger's row with its newest task (one step down `tasks_trigger_seq`); `WHERE …` follows. */
export const TRIGGER_SELECT = "SELECT *, (SELECT id FROM tasks WHERE tasks.trigger_id = triggers.id ORDER BY seq DESC LIMIT 1) AS last_task_id FROM triggers";

export async function loadTrigger(d1: D1Database, id: string, orgId?: string): Promise<TriggerRow | null> {
  const sql = `${TRIGGER_SELECT} WHERE id = ?${orgId ? " AND org_id = ?" : ""}`;
  return d1.prepare(sql).bind(...(orgId ? [id, orgId] : [id])).first<TriggerRow>();
}

export const triggerActor = (t: TriggerRow): CreatedBy => ({ type: "trigger", id: t.id, name: t.title ?? `${t.kind} trigger` });

/**
 * The saved inputs with `given` laid over them. A null counts as not given (as a start's inputs take it), so a
 * sender's `"field": null` leaves the saved value rather than dropping it for the param's default; one over
 * nothing saved stays, for the start to take as not given or refuse as an unknown param.
 */
export function overlayInputs(saved: Record<string, unknown>, given: Record<string, unknown>): Record<string, unknown> {
  const out = { ...saved };
  for (const [name, value] of Object.entries(given)) {
    // defineProperty keeps a param named like an Object.prototype member a plain own value
    if (value !== null || !Object.hasOwn(out, name)) Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Starts a task from the trigger's plan: its saved inputs, overlaid with the
 * webhook's body. Records the outcome on the trigger: a success in the create's own batch, so no stop after it leaves
 * the last fire's error standing.
 */
export async function fireTrigger(
  env: Bindings,
  t: TriggerRow,
  o: {
    inputs?: Record<string, unknown>;
    /** in the create's own D1 batch (NewTask.also) */ also?: (taskId: string) => D1PreparedStatement[];
    /**
     * A person's run (`run` of the API or the dashboard): the task is theirs, as its creator and in the audit log, and
     * its `trigger_id` still says which trigger; its failure is answered to them, not kept as the trigger's, which says
     * how its fires fare.
     */
    byHand?: CreatedBy;
  } = {},
): Promise<TaskListItem> {
  const saved = JSON.parse(t.inputs) as Record<string, unknown>;
  const by = o.byHand ?? triggerActor(t);
  const d1 = env.DB;
  try {
    const task = await runPlan(env, { org_id: t.org_id, created_by: by }, t.plan_id, {
      inputs: overlayInputs(saved, o.inputs ?? {}), title: t.title ?? undefined, source: t.kind, trigger_id: t.id, trigger_paused: t.paused === 1,
      also: (taskId) => [...(o.also?.(taskId) ?? []), d1.prepare("UPDATE triggers SET last_error = NULL WHERE id = ?2 AND last_error IS NOT NULL AND EXISTS (SELECT 1 FROM tasks WHERE id = ?1)").bind(taskId, t.id)],
      // in the create's batch, so a restart cannot leave a trigger's task unaudited
      audit: { actor: by, action: "task.create", details: { trigger_id: t.id } },
    });
    return task;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!(e instanceof ApiError)) log("warn", "trigger fire failed", { trigger_id: t.id, error: message });
    if (o.byHand) throw e;
    await d1.prepare("UPDATE triggers SET last_error = ? WHERE id = ?").bind(message.slice(0, 2000), t.id).run();
    throw e;
  }
}
