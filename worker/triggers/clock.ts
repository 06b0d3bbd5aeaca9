import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import { missedFire, nextFire } from "./cron";
import { fireTrigger, loadTrigger, type TriggerRow } from "./fire";

const TRIGGER_KEY = "trigger_id";

/**
 * One per cron trigger: its alarm is the schedule, so it fires locally under
 * `wrangler dev` and deployed alike. D1's trigger row stays the source of truth;
 * this object keeps only which trigger it serves.
 */
export class TriggerClock extends DurableObject<Bindings> {
  /** (Re)arms for the trigger's next fire after `after`; returns that time. */
  async arm(triggerId: string, cron: string, timezone: string, after: number): Promise<number> {
    await this.ctx.storage.put(TRIGGER_KEY, triggerId);
    const next = nextFire(cron, timezone, new Date(after)).getTime();
    await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 1));
    return next;
  }

  async stop(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  async nextAlarm(): Promise<number | null> {
    return this.ctx.storage.getAlarm();
  }

  /**
   * Fires at most once however many times the schedule came due since the last
   * fire (after downtime, a missed fire runs once), then waits for the next one.
   */
  async alarm(): Promise<void> {
    const id = await this.ctx.storage.get<string>(TRIGGER_KEY);
    if (!id) return;
    const t = await loadTrigger(this.env.DB, id);
    if (!t || t.kind !== "cron" || !t.cron || !t.timezone) return this.stop();
    if (t.paused) return;
    const now = Date.now();
    const next = nextFire(t.cron, t.timezone, new Date(now)).getTime();
    const since = Math.max(t.last_fired_at ?? 0, t.updated_at);
    if (missedFire(t.cron, t.timezone, new Date(since), new Date(now))) await this.fire(t, now, next);
    await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 1));
  }

  /** The conditional update claims this fire, so a retried or doubled alarm cannot start a second task. */
  private async fire(t: TriggerRow, now: number, next: number): Promise<void> {
    const claim = await this.env.DB.prepare("UPDATE triggers SET last_fired_at = ?, next_fire_at = ? WHERE id = ? AND paused = 0 AND last_fired_at IS ?")
      .bind(now, next, t.id, t.last_fired_at)
      .run();
    if (claim.meta.changes !== 1) return;
    // A fire that cannot start is kept as the trigger's last_error; the schedule goes on.
    await fireTrigger(this.env, t).catch(() => undefined);
  }
}
