export interface Verdict {
  ok: boolean;
  remaining: number;
  /** whole seconds until a request would be let through again (0 when this one was) */
  reset: number;
}

export interface WindowState {
  start: number;
  current: number;
  previous: number;
  times: number[];
}

export const UNLIMITED: Verdict = { ok: true, remaining: Number.POSITIVE_INFINITY, reset: 0 };

const WINDOW_MS = 60_000;
/**
 * Limits up to this are counted exactly, from the times of the requests let through in the last minute (at most
 * this many are kept). Above it the two-counter estimate is used: its error, at most a minute ÷ the limit, is
 * then under a tenth of a second, where for 1 a minute it would be another whole minute.
 */
export const EXACT_UP_TO = 600;

/**
 * Requests in the last sixty seconds. A fixed window would let `2 × limit` through across its edge, and then
 * refuse everything until the next minute began; this one lets the allowance come back as the requests that
 * used it age out. Up to `EXACT_UP_TO` a minute it keeps their times and counts them exactly; above, in constant
 * space, this minute's count plus the last minute's, weighted by how much of it still lies within sixty seconds
 * of now (requests taken as spread evenly over it).
 */
export class SlidingWindow {
  /** start of the minute `current` counts (a multiple of WINDOW_MS) */
  start = 0;
  current = 0;
  previous = 0;
  /** times of the last requests let through, oldest first: those of the last minute, at most EXACT_UP_TO */
  private readonly times: number[] = [];

  constructor(saved?: WindowState) {
    if (!saved) return;
    ({ start: this.start, current: this.current, previous: this.previous } = saved);
    this.times.push(...saved.times);
  }

  /** What a new window needs to go on counting where this one is (`new SlidingWindow(state)`). */
  state(now = Date.now()): WindowState {
    this.roll(now);
    this.forget(now);
    return { start: this.start, current: this.current, previous: this.previous, times: [...this.times] };
  }

  hit(limit: number, now = Date.now()): Verdict {
    if (!(limit > 0)) return UNLIMITED;
    this.roll(now);
    this.forget(now);
    if (limit <= EXACT_UP_TO) {
      const used = this.times.length;
      // the limit-th latest must leave the minute before one more fits
      if (used >= limit) return { ok: false, remaining: 0, reset: secondsUntil(this.times[used - limit] + WINDOW_MS, now) };
      this.count(now, 1);
      return { ok: true, remaining: limit - used - 1, reset: 0 };
    }
    const used = this.estimate(now);
    if (used + 1 > limit) return { ok: false, remaining: 0, reset: this.secondsUntilRoom(limit, now) };
    this.count(now, 1);
    return { ok: true, remaining: Math.max(0, Math.floor(limit - used - 1)), reset: 0 };
  }

  /** Counts `count` requests at once in this minute (how a test spends an allowance without making them). */
  spend(count: number, now = Date.now()): void {
    this.roll(now);
    this.forget(now);
    this.count(now, count);
  }

  private count(now: number, n: number): void {
    this.current += n;
    for (let i = 0; i < Math.min(n, EXACT_UP_TO); i++) this.times.push(now);
    if (this.times.length > EXACT_UP_TO) this.times.splice(0, this.times.length - EXACT_UP_TO);
  }

  private forget(now: number): void {
    let gone = 0;
    while (gone < this.times.length && this.times[gone] <= now - WINDOW_MS) gone++;
    if (gone) this.times.splice(0, gone);
  }

  private roll(now: number): void {
    const start = now - (now % WINDOW_MS);
    if (start === this.start) return;
    this.previous = start - this.start === WINDOW_MS ? this.current : 0;
    this.current = 0;
    this.start = start;
  }

  private estimate(now: number): number {
    return this.previous * (1 - (now - this.start) / WINDOW_MS) + this.current;
  }

  /** When `estimate + 1 ≤ limit` again with nothing more counted: the last minute's weight decays, then this one's. */
  private secondsUntilRoom(limit: number, now: number): number {
    const room = limit - 1;
    let at: number;
    if (this.current <= room && this.previous > 0) {
      // previous · (1 − (t − start)/W) + current ≤ room
      at = this.start + WINDOW_MS * (1 - (room - this.current) / this.previous);
    } else {
      // not before the next minute, when this one's count decays the same way
      const next = this.start + WINDOW_MS;
      at = this.current > 0 ? next + WINDOW_MS * Math.max(0, 1 - room / this.current) : next;
    }
    return secondsUntil(at, now);
  }
}

const secondsUntil = (at: number, now: number) => Math.max(1, Math.ceil((at - now) / 1000));

/** How soon after a count the window is written: at most one write a second, whatever the rate. */
export const KEEP_AFTER_MS = 1_000;
const KEY = "rate_window";

/**
 * A SlidingWindow kept in an object's storage, so that an eviction (an object idle for ten seconds or so) does
 * not hand the key a fresh minute: a limit of 3 a minute let 3 through every 12 s when the count lived only in
 * memory. Written a second after a count rather than with it, so a busy key costs one write a second, not one a
 * request; what a crash in that second loses is at most that second's count.
 */
export class KeptWindow {
  private readonly counter: SlidingWindow;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly storage: DurableObjectStorage) {
    this.counter = new SlidingWindow(storage.kv.get<WindowState>(KEY));
  }

  hit(limit: number, now = Date.now()): Verdict {
    const v = this.counter.hit(limit, now);
    if (v.ok && Number.isFinite(v.remaining)) this.keepSoon();
    return v;
  }

  /** Counts `count` requests at once (how a test spends an allowance without making them). */
  spend(count: number, now = Date.now()): void {
    this.counter.spend(count, now);
    this.keepSoon();
  }

  /** Writes the window now: a test's way to an eviction's state without waiting. */
  keep(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.storage.kv.put(KEY, this.counter.state());
  }

  private keepSoon(): void {
    this.timer ??= setTimeout(() => this.keep(), KEEP_AFTER_MS);
  }
}
