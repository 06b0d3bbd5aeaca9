import type { Bindings } from "../env";
import { log } from "../lib/log";
import { orgFeed } from "./org-feed";

/**
 * Tells open dashboards a trigger was created or changed (`trigger.updated`: edited, paused, resumed, its secret
 * rotated or expired) or deleted (`trigger.deleted`), once D1 holds it, by its id alone: a list reads it again, as a
 * trigger's secret is never for the feed. The change stands either way: a dashboard that missed it refetches on its next `reset`.
 */
export async function publishTrigger(env: Pick<Bindings, "ORG_FEED">, orgId: string, type: "trigger.updated" | "trigger.deleted", id: string): Promise<void> {
  await orgFeed(env, orgId)
    .publish(type, { id })
    .catch((e: unknown) => log("warn", `${type} not published`, { org_id: orgId, trigger_id: id, error: String(e) }));
}
