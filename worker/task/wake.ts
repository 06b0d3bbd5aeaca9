/** While a run has been in flight this long, the task's alarm rings this often, to resume it should the object restart. */
export const HEARTBEAT_MS = 30_000;
/**
 * A run younger than this sets no heartbeat: most runs end sooner, and an alarm set and then deleted costs two
 * writes (on Cloudflare, billed; locally, two commits to the scheduler's own database). Should the object restart
 * meanwhile, its organization's queue tells the task again at its next sweep (worker/queue/org-queue.ts).
 */
export const HEARTBEAT_AFTER_MS = 5_000;
/** A task its organization's queue has not taken (the offer failed) is offered again this soon. */
export const HELD_RETRY_MS = 10_000;

export interface WakeState {
  now: number;
  /** The alarm as it is set now. */
  alarmAt: number | null;
  /** The earliest backoff of a step waiting to run again. */
  retryAt: number | null;
  /** When the oldest run still in flight began. */
  runningSince: number | null;
  /** Not yet taken by the organization's queue. */
  held: boolean;
  /** When the month ends that a step paused at the organization's monthly cap waits in: the next may have room. */
  capMonthEnd?: number | null;
}

export interface Wake {
  /** What the alarm should be. */
  alarmAt: number | null;
  /** When to decide again, in memory, because a young run may need its heartbeat then. */
  recheckAt: number | null;
}

const earliest = (a: number | null, b: number) => Math.min(a ?? Infinity, b);

/** Wake-ups that must survive the object: a retry's backoff, a long run's heartbeat, a held task's next offer, a capped month's end. */
export function nextWake(s: WakeState): Wake {
  let alarmAt = s.capMonthEnd != null ? earliest(s.retryAt, s.capMonthEnd) : s.retryAt;
  let recheckAt: number | null = null;
  if (s.runningSince !== null) {
    // an alarm already set (a retry's) serves as the heartbeat too, unless it is further off (a capped month's end)
    const set = s.alarmAt !== null && s.alarmAt <= s.now + HEARTBEAT_MS ? s.alarmAt : null;
    if (set !== null || s.now - s.runningSince >= HEARTBEAT_AFTER_MS) alarmAt = earliest(alarmAt, set ?? s.now + HEARTBEAT_MS);
    else recheckAt = s.runningSince + HEARTBEAT_AFTER_MS;
  }
  if (s.held) alarmAt = earliest(alarmAt, s.alarmAt ?? s.now + HELD_RETRY_MS);
  return { alarmAt, recheckAt };
}
