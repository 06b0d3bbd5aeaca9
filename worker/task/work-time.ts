/**
 * A run's working time, which its step's `timeout_s` bounds: the stretches it was in flight, summed. Time it
 * waits for a person or a sub-task is not in it, and a run that goes on after such a wait, or after a restart,
 * has only what is left. Storage holds the sum as of the run's last write (a turn, a wait, a heartbeat): a
 * restart loses the stretch since then, whose work is lost too and done again.
 */
export class WorkClock<R extends { worked_ms: number }> {
  private since: number;

  constructor(
    readonly run: R,
    now: number,
  ) {
    this.since = now;
  }

  /** The run's working time at `now`, without storing it. */
  at(now: number): number {
    return this.run.worked_ms + Math.max(0, now - this.since);
  }

  /** Adds the stretch since the last call to the run's time: called before each write of the run. */
  checkpoint(now: number): void {
    this.run.worked_ms += Math.max(0, now - this.since);
    this.since = Math.max(this.since, now);
  }
}

/** What is left of a run's timeout; 0 once it is spent (the run times out at once). */
export function timeLeftMs(timeoutMs: number, workedMs: number): number {
  return Math.max(0, timeoutMs - workedMs);
}
