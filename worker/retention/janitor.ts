import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import { log } from "../lib/log";
import { readOrgSettings } from "../lib/org-settings";
import { purgeTask } from "./purge";

const DAY_MS = 86_400_000;
/** How often an organization with a retention period looks for expired tasks. */
export const SWEEP_INTERVAL_MS = 3_600_000;
const BATCH = 50;
/** A full batch means more may be expired: the next one follows shortly instead of in an hour. */
const NEXT_BATCH_MS = 1_000;
/** A sweep that failed (D1 out of reach) comes again this much later. */
const RETRY_MS = 300_000;

/**
 * One per organization with a retention period: its alarm deletes finished
 * tasks older than the period, a batch at a time. D1's organization settings
 * stay the source of truth; this object keeps only which organization it serves.
 */
export class RetentionJanitor extends DurableObject<Bindings> {
  /** (Re)arms for an organization whose retention period was set or changed: the first sweep runs at once. */
  async schedule(orgId: string): Promise<void> {
    this.ctx.storage.kv.put("org_id", orgId);
    await this.ctx.storage.setAlarm(Date.now() + 1);
  }

  async nextSweep(): Promise<number | null> {
    return this.ctx.storage.getAlarm();
  }

  /** Deletes up to one batch of expired tasks. `active` is false once the organization has no retention period. */
  async sweep(now = Date.now()): Promise<{ purged: number; more: boolean; active: boolean }> {
    const orgId = this.ctx.storage.kv.get<string>("org_id");
    if (!orgId) return { purged: 0, more: false, active: false };
    const { retention_days } = await readOrgSettings(this.env.DB, orgId);
    if (retention_days == null) return { purged: 0, more: false, active: false };
    const cutoff = now - retention_days * DAY_MS;
    const { results } = await this.env.DB.prepare(
      `SELECT id FROM tasks WHERE org_id = ? AND status IN ('completed', 'failed', 'cancelled') AND finished_at < ? LIMIT ?`,
    )
      .bind(orgId, cutoff, BATCH)
      .all<{ id: string }>();
    const outcomes = await Promise.allSettled(results.map((r) => purgeTask(this.env, orgId, r.id)));
    let purged = 0;
    for (const [i, o] of outcomes.entries()) {
      if (o.status === "fulfilled" && o.value.ok) purged++;
      else log("warn", "retention purge failed", { org_id: orgId, task_id: results[i].id, error: o.status === "rejected" ? String(o.reason) : o.value.ok ? "" : o.value.message });
    }
    return { purged, more: results.length === BATCH, active: true };
  }

  async alarm(): Promise<void> {
    let wait: number;
    try {
      const { more, active } = await this.sweep();
      if (!active) return;
      wait = more ? NEXT_BATCH_MS : SWEEP_INTERVAL_MS;
    } catch (e) {
      // The platform retries a failed alarm only a few times, then never again: a D1 outage would end the sweeps for good.
      log("warn", "retention sweep failed", { org_id: this.ctx.storage.kv.get<string>("org_id"), error: String(e) });
      wait = RETRY_MS;
    }
    await this.ctx.storage.setAlarm(Date.now() + wait);
  }
}
