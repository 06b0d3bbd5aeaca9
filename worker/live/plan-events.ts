import type { PlanRecord } from "../api/plan-run";
import type { Bindings } from "../env";
import { log } from "../lib/log";
import { iso } from "../lib/time";
import { orgFeed } from "./org-feed";

/** What the org feed carries of a plan: enough for a list of plans, never its definition. */
export interface PlanSummary {
  id: string;
  name: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export const planSummary = (r: Pick<PlanRecord, "id" | "name" | "version" | "created_at" | "updated_at">): PlanSummary => ({
  id: r.id, name: r.name, version: r.version, created_at: iso(r.created_at)!, updated_at: iso(r.updated_at)!,
});

/**
 * Tells open dashboards a plan was saved (`plan.updated`) or deleted (`plan.deleted`), once D1 holds it. The save
 * stands either way: a dashboard that missed the event refetches on its next `reset` or visit.
 */
export async function publishPlan(env: Pick<Bindings, "ORG_FEED">, orgId: string, type: "plan.updated" | "plan.deleted", plan: PlanSummary): Promise<void> {
  await orgFeed(env, orgId)
    .publish(type, plan)
    .catch((e: unknown) => log("warn", `${type} not published`, { org_id: orgId, plan_id: plan.id, error: String(e) }));
}
