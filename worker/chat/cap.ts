import { nanosToUsd } from "../agents/cost";
import { readOrgSettings } from "../lib/org-settings";
import { monthToDate } from "../spend/report";

/**
 * Why a planner on a model may not answer now: the organization has spent its monthly cap (tasks
 * ask a budget question there; a planner has no one to ask but the person, so it says so). Null: it may.
 */
export async function plannerCapRefusal(d1: D1Database, orgId: string, now = Date.now()): Promise<string | null> {
  const [settings, spent] = await Promise.all([readOrgSettings(d1, orgId), monthToDate(d1, orgId, now)]);
  const cap = settings.monthly_spend_cap_nanos;
  if (cap == null || spent < cap) return null;
  return `The organization has spent its monthly cap of $${nanosToUsd(cap)} this month, so the planner's model was not asked. An admin can raise the cap (Settings → Limits & spend), or start a conversation with the offline planner ({"planner": …} naming an agent on sim).`;
}
