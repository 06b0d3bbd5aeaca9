import type { Bindings } from "../env";
import { ApiError } from "../lib/errors";
import { tieToTask } from "../task/create";
import { INTERRUPTED_AFTER_MS, requestTask } from "../task/interrupted";
import { fireTrigger, type TriggerRow } from "./fire";

/**
 * A cron fire is claimed in one D1 batch that moves the trigger's `last_fired_at` (conditionally, so a doubled
 * alarm cannot fire twice) and writes its `cron_fires` row; the task's create ties the task to that row in its own
 * batch; the row goes once the task's object holds the task. So a row older than a minute is a fire that a
 * restart cut off, and the trigger's clock finishes it: one claimed fire, exactly one task.
 */
export const CUT_OFF_AFTER_MS = INTERRUPTED_AFTER_MS;
/** A fire whose start keeps failing (not a refusal, which settles it at once) is dropped after this many tries, so rows cannot pile up. */
export const MAX_FAILURES = 60;

type ClaimedFire = { fired_at: number; task_id: string | null; failures: number };

/** Claims the fire due at `now`: false when a doubled alarm, a pause, a new schedule or a resume took the trigger first. */
export async function claimFire(d1: D1Database, t: TriggerRow, now: number, next: number): Promise<boolean> {
  const [claim] = await d1.batch([
    d1.prepare("UPDATE triggers SET last_fired_at = ?, next_fire_at = ? WHERE id = ? AND paused = 0 AND last_fired_at IS ? AND schedule_from = ?").bind(now, next, t.id, t.last_fired_at, t.schedule_from),
    d1.prepare("INSERT INTO cron_fires (trigger_id, fired_at) SELECT ?, ? WHERE changes() = 1").bind(t.id, now),
  ]);
  return claim.meta.changes === 1;
}

/**
 * Starts the claimed fire's task. A refusal (the trigger paused or deleted meanwhile, its plan no longer fits) is
 * kept as the trigger's `last_error` and settles the fire; any other failure leaves it for the clock's next wake (false).
 */
export async function startFire(env: Bindings, t: TriggerRow, firedAt: number): Promise<boolean> {
  const d1 = env.DB;
  try {
    // as unpaused: a clock's fire, unlike a person's run, starts nothing once the trigger is paused
    await fireTrigger(env, { ...t, paused: 0 }, { also: tieToTask(d1, "cron_fires", "trigger_id = ?2 AND fired_at = ?3", t.id, firedAt) });
  } catch (e) {
    if (!(e instanceof ApiError)) {
      await d1.prepare("UPDATE cron_fires SET failures = failures + 1 WHERE trigger_id = ? AND fired_at = ?").bind(t.id, firedAt).run();
      return false;
    }
    await d1.prepare("DELETE FROM cron_fires WHERE trigger_id = ? AND fired_at = ? AND task_id IS NULL").bind(t.id, firedAt).run();
    return true;
  }
  await d1.prepare("DELETE FROM cron_fires WHERE trigger_id = ? AND fired_at = ?").bind(t.id, firedAt).run();
  return true;
}

/** When the clock must wake to finish the trigger's earliest claimed fire not yet settled, or null when there is none. */
export async function cutOffWake(d1: D1Database, triggerId: string): Promise<number | null> {
  const row = await d1.prepare("SELECT min(fired_at) AS at FROM cron_fires WHERE trigger_id = ?").bind(triggerId).first<{ at: number | null }>();
  return row?.at == null ? null : row.at + CUT_OFF_AFTER_MS + 1000;
}

/**
 * Finishes the trigger's claimed fires that a restart cut off: one whose task was stored is settled, one whose
 * create never went through (or was undone, ../task/interrupted.ts) starts its task now. Returns when to look
 * again (a fire that may still be under way, or whose start failed), or null.
 */
export async function finishCutOffFires(env: Bindings, t: TriggerRow, now: number): Promise<number | null> {
  const d1 = env.DB;
  const { results } = await d1.prepare("SELECT fired_at, task_id, failures FROM cron_fires WHERE trigger_id = ? ORDER BY fired_at LIMIT 10").bind(t.id).all<ClaimedFire>();
  let again: number | null = null;
  const later = (at: number) => (again = Math.min(again ?? at, at));
  for (const f of results) {
    if (f.fired_at > now - CUT_OFF_AFTER_MS) {
      later(f.fired_at + CUT_OFF_AFTER_MS + 1000);
      continue;
    }
    if (f.failures >= MAX_FAILURES) {
      await d1.batch([
        d1.prepare("DELETE FROM cron_fires WHERE trigger_id = ? AND fired_at = ?").bind(t.id, f.fired_at),
        d1.prepare("UPDATE triggers SET last_error = ? WHERE id = ?").bind(`the fire of ${new Date(f.fired_at).toISOString()} failed to start its task ${f.failures} times; dropped`, t.id),
      ]);
      continue;
    }
    if (f.task_id && (await requestTask(env, t.org_id, f.task_id, f.fired_at, now)) === "stored") {
      await d1.batch([
        d1.prepare("DELETE FROM cron_fires WHERE trigger_id = ? AND fired_at = ?").bind(t.id, f.fired_at),
        d1.prepare("UPDATE triggers SET last_error = NULL WHERE id = ? AND last_fired_at = ?").bind(t.id, f.fired_at),
      ]);
      continue;
    }
    if (!(await startFire(env, t, f.fired_at))) later(now + CUT_OFF_AFTER_MS);
  }
  return again;
}
