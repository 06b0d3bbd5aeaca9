import type { Bindings } from "../env";

/**
 * While a run is in flight, the task's alarm rings this often: should the object restart (a deploy, a crash),
 * the runtime wakes it by that alarm and it resumes the run from its last stored turn. Set with the run's start,
 * in the same commit, so no run is ever in flight without one.
 */
export const HEARTBEAT_MS = 30_000;

/** `RUN_HEARTBEAT_MS` in the environment overrides the heartbeat (at least a second): how long a restart can hold a run. */
export function runHeartbeatMs(env: Pick<Bindings, "RUN_HEARTBEAT_MS">): number {
  const ms = Number(env.RUN_HEARTBEAT_MS);
  return Number.isFinite(ms) && ms >= 1000 ? ms : HEARTBEAT_MS;
}

/** A task its organization's queue has not taken (the offer failed) is offered again this soon. */
export const HELD_RETRY_MS = 10_000;

export interface WakeState {
  now: number;
  /** The alarm as it is set now. */
  alarmAt: number | null;
  /** The earliest backoff of a step waiting to run again. */
  retryAt: number | null;
  /** Whether a run is in flight. */
  running: boolean;
  /** Not yet taken by the organization's queue. */
  held: boolean;
  /** When the month ends that a step paused at the organization's monthly cap waits in: the next may have room. */
  capMonthEnd?: number | null;
  /** The heartbeat while a run is in flight (`runHeartbeatMs`); HEARTBEAT_MS when not given. */
  heartbeatMs?: number;
}

const earliest = (a: number | null, b: number) => Math.min(a ?? Infinity, b);

/** When the alarm should ring: a retry's backoff, a run's heartbeat, a held task's next offer, a capped month's end; null for none. */
export function nextWake(s: WakeState): number | null {
  let alarmAt = s.capMonthEnd != null ? earliest(s.retryAt, s.capMonthEnd) : s.retryAt;
  // an alarm already set within a heartbeat (a retry's, or the heartbeat itself) serves as the heartbeat
  const heartbeat = s.heartbeatMs ?? HEARTBEAT_MS;
  if (s.running) alarmAt = earliest(alarmAt, s.alarmAt !== null && s.alarmAt <= s.now + heartbeat ? s.alarmAt : s.now + heartbeat);
  if (s.held) alarmAt = earliest(alarmAt, s.alarmAt ?? s.now + HELD_RETRY_MS);
  return alarmAt;
}
