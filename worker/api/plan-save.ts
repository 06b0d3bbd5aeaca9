import { z } from "@hono/zod-openapi";
import { type Actor, actorOf, auditStatement } from "../lib/audit";
import type { Principal } from "../lib/context";
import { type ApiError, conflict } from "../lib/errors";
import type { Plan } from "../task/plan-schema";
import type { TriggerRow } from "../triggers/fire";
import { brokenTriggers, describeGaps, type TriggerGaps } from "../triggers/plan-fit";
import { findPlan, type PlanRecord, unchanged } from "./plan-run";

export const SaveQuery = z.object({
  triggers: z.enum(["pause"]).optional().openapi({ description: "`pause`: save even though the new version would refuse the fires of some triggers, pausing those (each says why in `last_error`) until their inputs are changed to fit" }),
});

function breaksTriggers(broken: TriggerGaps[]) {
  const list = broken.map((g) => `${g.trigger_id} (${describeGaps(g.issues)})`).join(", ");
  return conflict(
    `this version would refuse every fire of ${broken.length === 1 ? "trigger" : "triggers"} ${list}: give the new params defaults, or save with ?triggers=pause to pause ${broken.length === 1 ? "it" : "them"}, then give ${broken.length === 1 ? "it" : "them"} the inputs it needs and resume`,
    broken,
  );
}

/** Pauses a trigger the new version breaks, in the save's batch: only once the save happened (the plan is at `version`). */
function pauseStatements(d1: D1Database, p: Principal, g: TriggerGaps, planId: string, version: number, now: number) {
  return [
    d1.prepare("UPDATE triggers SET paused = 1, next_fire_at = NULL, last_error = ?, updated_at = ? WHERE id = ? AND (SELECT version FROM plans WHERE id = ?) = ?")
      .bind(`paused by the save of plan v${version}, which its inputs do not fit: ${describeGaps(g.issues)}`.slice(0, 2000), now, g.trigger_id, planId, version),
    auditStatement(d1, { org_id: p.org_id, actor: actorOf(p), action: "trigger.pause", target_type: "trigger", target_id: g.trigger_id, details: { plan_id: planId, plan_version: version, issues: g.issues } }, now, true),
  ];
}

/**
 * The statement that stores a version with who saved it (as the audit log names actors). `ifChanged`: only when
 * the statement just before it in the batch changed a row (the conditional bump of the plan's version).
 */
export function insertVersion(d1: D1Database, planId: string, version: number, plan: Plan, by: Actor, now: number, ifChanged = false): D1PreparedStatement {
  const columns = "plan_id, version, definition, created_at, saved_by_type, saved_by_id, saved_by_name";
  return d1
    .prepare(ifChanged ? `INSERT OR IGNORE INTO plan_versions (${columns}) SELECT ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1` : `INSERT INTO plan_versions (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .bind(planId, version, JSON.stringify(plan), now, by.type, by.id, by.name);
}

/** Saves tried when another save or a trigger's change came between the read and the write, and nothing asked for a version. */
const SAVE_ATTEMPTS = 5;

/**
 * Saves `plan` as the next version of `current`: 409 naming the triggers whose fires it would refuse, unless
 * `pause`, which pauses them in the same batch. `also` adds statements run only if the version was made.
 * `newer`, given when the save builds on a version it names (`If-Match`), is the error when another save made a
 * version meanwhile; without it the save goes over whatever version is current, read again.
 */
export async function saveVersion(
  d1: D1Database, p: Principal, current: PlanRecord, plan: Plan,
  o: { pause: boolean; also?: (version: number, now: number) => D1PreparedStatement[]; newer?: (version: number) => ApiError },
): Promise<PlanRecord> {
  for (let attempt = 1; ; attempt++) {
    const { results: triggers } = await d1.prepare("SELECT * FROM triggers WHERE plan_id = ? AND org_id = ? ORDER BY created_at").bind(current.id, p.org_id).all<TriggerRow>();
    // a paused trigger fires nothing: it is checked when it resumes
    const broken = brokenTriggers(plan.params, triggers.filter((t) => !t.paused));
    if (broken.length && !o.pause) throw breaksTriggers(broken);
    const now = Date.now();
    const next = current.version + 1;
    // Conditional on the version and the triggers we read: two concurrent saves cannot both become version N+1,
    // and a trigger made or changed meanwhile was not checked against this version.
    const by = actorOf(p);
    const seen = `${triggers.length}:${Math.max(0, ...triggers.map((t) => t.updated_at))}`;
    const [bump] = await d1.batch([
      d1.prepare(
        `UPDATE plans SET name = ?, description = ?, version = ?, updated_at = ? WHERE id = ?5 AND org_id = ? AND version = ?
         AND (SELECT count(*) || ':' || ifnull(max(updated_at), 0) FROM triggers WHERE plan_id = ?5) = ?`,
      ).bind(plan.name, plan.description, next, now, current.id, p.org_id, current.version, seen),
      insertVersion(d1, current.id, next, plan, by, now, true),
      ...broken.flatMap((g) => pauseStatements(d1, p, g, current.id, next, now)),
      ...(o.also?.(next, now) ?? []),
    ]);
    // what this save wrote: a read now could find a later save's
    if (bump.meta.changes === 1) {
      return { ...current, name: plan.name, description: plan.description, version: next, definition: JSON.stringify(plan), updated_at: now, saved_by_type: by.type, saved_by_id: by.id, saved_by_name: by.name };
    }
    const latest = await findPlan(d1, p.org_id, current.id);
    if (latest.version !== current.version && o.newer) throw o.newer(latest.version);
    // another save made this very plan: nothing to add
    if (unchanged(latest, plan)) return latest;
    if (attempt === SAVE_ATTEMPTS) throw conflict("the plan or its triggers kept changing while saving; reload and try again");
    current = latest;
  }
}
