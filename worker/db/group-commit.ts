import type { SqlStatement } from "./sql";
import { delay } from "../lib/time";

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Callers per batch: D1 bounds a batch's size and time, and a failed batch is redone caller by caller. */
const MAX_CALLERS = 32;
/** A drain that has made no progress for this long is presumed lost (a batch takes milliseconds). */
const STALL_MS = 15_000;

export class GroupCommitStalled extends Error {
  constructor() {
    super("group commit stalled: this write is given back to its caller to send again");
  }
}

/**
 * Runs the writes of many callers as one D1 batch. D1 has one writer, and a batch is one
 * transaction, one round trip and one commit whatever it carries, so writes that arrive together
 * share them. At most one batch is in flight: the first caller goes at once, and whatever arrives
 * while it runs goes in the next. Under load the next batch also waits until `settleMs` have passed
 * since the last one ended, gathering the callers that arrive meanwhile (a write that finds the
 * pipeline idle for that long goes at once, so only a busy organization's writes wait, and by at
 * most that). `build` makes one batch's statements from its callers' items, so writes of the same
 * kind can share a statement too. When a batch fails, its callers are redone one by one, so one
 * caller's bad write fails only that caller.
 *
 * The drain runs in the context of the call that started it, and in workerd a call that is
 * cancelled takes its pending timers and I/O with it. So a caller waiting longer than `stallMs`
 * is answered with `GroupCommitStalled` (its write may or may not have landed: callers' writes
 * must be safe to send again), and the next call after a drain has made no progress that long
 * starts a new one.
 */
export class GroupCommit<T> {
  private waiting: Waiting<T>[] = [];
  private draining = false;
  private lastEnded = 0;
  /** When the drain last started or finished a batch. */
  private progressAt = 0;
  /** Which drain is current: a lost one that wakes up does not clear a newer one's flag. */
  private generation = 0;

  constructor(
    private readonly db: () => D1Database,
    private readonly build: (items: T[]) => SqlStatement[],
    private readonly settleMs = 0,
    private readonly stallMs = STALL_MS,
  ) {}

  run(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(caller);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new GroupCommitStalled());
      }, this.stallMs);
      const caller: Waiting<T> = {
        item,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      this.waiting.push(caller);
      if (!this.draining || Date.now() - this.progressAt >= this.stallMs) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    const generation = ++this.generation;
    this.draining = true;
    this.progressAt = Date.now();
    try {
      while (this.waiting.length) {
        const settle = this.lastEnded + this.settleMs - Date.now();
        if (settle > 0) await delay(settle);
        const callers = this.waiting.splice(0, MAX_CALLERS);
        this.progressAt = Date.now();
        try {
          await this.batch(callers.map((c) => c.item));
          for (const c of callers) c.resolve();
        } catch (e) {
          if (callers.length === 1) callers[0].reject(e);
          else await Promise.all(callers.map((c) => this.batch([c.item]).then(c.resolve, c.reject)));
        }
        this.lastEnded = this.progressAt = Date.now();
      }
    } finally {
      if (generation === this.generation) this.draining = false;
    }
  }

  private async batch(items: T[]): Promise<void> {
    const statements = this.build(items);
    if (statements.length === 0) return;
    const db = this.db();
    await db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params)));
  }
}
