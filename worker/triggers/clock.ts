import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import { missedFire, nextFire } from "./cron";
import { CUT_OFF_AFTER_MS, claimFire, cutOffWake, finishCutOffFires, startFire } from "./claimed-fires";
import { loadTrigger, type TriggerRow } from "./fire";

const TRIGGER_KEY = "trigger_id";
/** The trigger row's `updated_at` the alarm was last set exactly for. */
const ARMED_FOR_KEY = "armed_for";

/**
 * One per cron trigger: its alarm is the schedule, so it fires locally under
 * `wrangler dev` and deployed alike. D1's trigger row stays the source of truth;
 * this object keeps only which trigger it serves.
 */
export class TriggerClock extends DurableObject<Bindings> {
  /** Arms made since this instance started, so a wake can tell that one came while it read the trigger. */
  private arms = 0;

  /**
   * (Re)arms for the trigger's next fire after `after`, or sooner to finish a fire a restart cut off; returns that next
   * fire. `version` is the `updated_at` of the row this schedule is (or is about to be) saved as. Saves that race arm
   * in any order, and a re-arm after a lost write may carry a row read before another save's: one older than the
   * version armed for can only bring the alarm sooner. A sooner alarm costs a wake that reads the row and re-arms;
   * a later one could miss a fire.
   */
  async arm(triggerId: string, cron: string, timezone: string, after: number, version = after): Promise<number> {
    const next = nextFire(cron, timezone, new Date(after)).getTime();
    const cutOff = await cutOffWake(this.env.DB, triggerId);
    const at = Math.max(Math.min(next, cutOff ?? Infinity), Date.now() + 1);
    // storage calls only from here: no other call to this object runs between the check and the alarm
    this.arms++;
    const armedFor = (await this.ctx.storage.get<number>(ARMED_FOR_KEY)) ?? -Infinity;
    await this.ctx.storage.put(TRIGGER_KEY, triggerId);
    if (version >= armedFor) {
      await this.ctx.storage.put(ARMED_FOR_KEY, version);
      await this.ctx.storage.setAlarm(at);
    } else await this.ctx.storage.setAlarm(Math.min(at, (await this.ctx.storage.getAlarm()) ?? Infinity));
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
   * First it finishes any fire a restart cut off between its claim and its task.
   */
  async alarm(): Promise<void> {
    const armsBefore = this.arms;
    const id = await this.ctx.storage.get<string>(TRIGGER_KEY);
    if (!id) return;
    const t = await loadTrigger(this.env.DB, id);
    if (!t || t.kind !== "cron" || !t.cron || !t.timezone) return this.stop();
    const retry = await finishCutOffFires(this.env, t, Date.now());
    let next: number | null = null;
    if (!t.paused) {
      const now = Date.now();
      next = nextFire(t.cron, t.timezone, new Date(now)).getTime();
      const since = Math.max(t.last_fired_at ?? 0, t.schedule_from);
      if (missedFire(t.cron, t.timezone, new Date(since), new Date(now)) && !(await this.fire(t, now, next))) next = Math.min(next, now + CUT_OFF_AFTER_MS + 1000);
    }
    // a save that armed while this wake read the trigger may have armed for a row newer than the one read
    const armedMeanwhile = this.arms !== armsBefore ? await this.ctx.storage.getAlarm() : null;
    const at = Math.min(next ?? Infinity, retry ?? Infinity, armedMeanwhile ?? Infinity);
    if (at !== Infinity) await this.ctx.storage.setAlarm(Math.max(at, Date.now() + 1));
  }

  /**
   * The claim makes a retried or doubled alarm start no second task, and a fire cut off after it is finished by a
   * later wake; false when its start failed and is left for that wake.
   */
  private async fire(t: TriggerRow, now: number, next: number): Promise<boolean> {
    // stored before the claim reaches D1: should the process stop before the task is stored, a wake finishes the fire
    // (once it is a minute old), and the schedule's next fire, when sooner, is not held back until then
    await this.ctx.storage.setAlarm(Math.min(next, now + CUT_OFF_AFTER_MS + 1000));
    if (!(await claimFire(this.env.DB, t, now, next))) return true;
    return startFire(this.env, t, now);
  }
}
