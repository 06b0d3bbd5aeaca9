export interface Verdict {
  ok: boolean;
  remaining: number;
  /** whole seconds until a request would be let through again (0 when this one was) */
  reset: number;
}

export interface WindowState {
  times: number[];
  /** `[second (epoch ms ÷ 1000, floored), requests let through in it]`, oldest first: those of the last minute */
  seconds?: [number, number][];
  /** what a window kept before per-second counts held: this minute's count, the last one's, and when this one began */
  start?: number;
  current?: number;
  previous?: number;
}

export const UNLIMITED: Verdict = { ok: true, remaining: Number.POSITIVE_INFINITY, reset: 0 };

const WINDOW_MS = 60_000;
const SECOND_MS = 1_000;
/**
 * Limits up to this are counted exactly, from the times of the requests let through in the last minute (at most
 * this many are kept). Above it they are counted by the second: at most sixty counts, whatever the rate.
 */
export const EXACT_UP_TO = 600;

/**
 * Requests in the last sixty seconds. A fixed window would let `2 × limit` through across its edge, and then
 * refuse everything until the next minute began; this one lets the allowance come back as the requests that
 * used it age out. Up to `EXACT_UP_TO` a minute it keeps their times and counts them exactly; above, it keeps a
 * count per second and counts a second while any of it lies within the minute, so no sixty seconds ever see more
 * than the limit (an estimate from this minute's and the last minute's counts, taking the last minute's as spread
 * evenly, let a burst at its end be counted as mostly gone: 9,700 in a minute for a limit of 6,000).
 */
export class SlidingWindow {
  /** times of the last requests let through, oldest first: those of the last minute, at most EXACT_UP_TO */
  private readonly times: number[] = [];
  private readonly seconds: [number, number][] = [];

  constructor(saved?: WindowState, now = Date.now()) {
    if (!saved) return;
    this.times.push(...saved.times);
    if (saved.seconds) this.seconds.push(...saved.seconds.map(([s, n]): [number, number] => [s, n]));
    else if (saved.start !== undefined) {
      // kept before counts by the second: the last minute's as if made at its end, this one's as if made now
      if (saved.previous) this.seconds.push([Math.floor(saved.start / SECOND_MS) - 1, saved.previous]);
      if (saved.current) this.seconds.push([Math.floor(now / SECOND_MS), saved.current]);
    }
  }

  /** Requests counted in the last minute. */
  get used(): number {
    return this.seconds.reduce((sum, [, n]) => sum + n, 0);
  }

  /** What a new window needs to go on counting where this one is (`new SlidingWindow(state)`). */
  state(now = Date.now()): WindowState {
    this.forget(now);
    return { times: [...this.times], seconds: this.seconds.map(([s, n]) => [s, n]) };
  }

  hit(limit: number, now = Date.now()): Verdict {
    if (!(limit > 0)) return UNLIMITED;
    this.forget(now);
    if (limit <= EXACT_UP_TO) {
      const used = this.times.length;
      // the limit-th latest must leave the minute before one more fits
      if (used >= limit) return { ok: false, remaining: 0, reset: secondsUntil(this.times[used - limit] + WINDOW_MS, now) };
      this.count(now, 1);
      return { ok: true, remaining: limit - used - 1, reset: 0 };
    }
    const used = this.used;
    if (used + 1 > limit) return { ok: false, remaining: 0, reset: this.secondsUntilRoom(used - limit + 1, now) };
    this.count(now, 1);
    return { ok: true, remaining: limit - used - 1, reset: 0 };
  }

  /** Counts `count` requests at once (how a test spends an allowance without making them). */
  spend(count: number, now = Date.now()): void {
    this.forget(now);
    this.count(now, count);
  }

  private count(now: number, n: number): void {
    for (let i = 0; i < Math.min(n, EXACT_UP_TO); i++) this.times.push(now);
    if (this.times.length > EXACT_UP_TO) this.times.splice(0, this.times.length - EXACT_UP_TO);
    const second = Math.floor(now / SECOND_MS);
    const last = this.seconds.at(-1);
    if (last?.[0] === second) last[1] += n;
    else this.seconds.push([second, n]);
  }

  private forget(now: number): void {
    let gone = 0;
    while (gone < this.times.length && this.times[gone] <= now - WINDOW_MS) gone++;
    if (gone) this.times.splice(0, gone);
    // a second is counted until all of it is a minute old
    let old = 0;
    while (old < this.seconds.length && (this.seconds[old][0] + 1) * SECOND_MS <= now - WINDOW_MS + 1) old++;
    if (old) this.seconds.splice(0, old);
  }

  /** When `over` of the counted requests are a minute old, the oldest seconds first. */
  private secondsUntilRoom(over: number, now: number): number {
    let aged = 0;
    for (const [second, n] of this.seconds) {
      aged += n;
      if (aged >= over) return secondsUntil((second + 1) * SECOND_MS - 1 + WINDOW_MS, now);
    }
    return secondsUntil(now + WINDOW_MS, now);
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
