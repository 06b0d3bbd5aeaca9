import type { Bindings } from "../env";
import { log } from "../lib/log";
import { orgFeed } from "./org-feed";

/** What the org feed tells of a trigger or an agent: made or changed (a trigger edited, paused, resumed, its secret rotated or expired), or deleted. */
export type ChangeType = "trigger.updated" | "trigger.deleted" | "agent.updated" | "agent.deleted";

/**
 * Tells open dashboards a trigger or an agent changed, once D1 holds it, by its id alone: a list reads it again, as a
 * trigger's secret is never for the feed. The change stands either way: a dashboard that missed it refetches on its next `reset`.
 */
export async function publishChange(env: Pick<Bindings, "ORG_FEED">, orgId: string, type: ChangeType, id: string): Promise<void> {
  await orgFeed(env, orgId)
    .publish(type, { id })
    .catch((e: unknown) => log("warn", `${type} not published`, { org_id: orgId, id, error: String(e) }));
}
