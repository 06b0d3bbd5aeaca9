import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import { log } from "../lib/log";
import { mergeSearchIndexStep } from "./search-merge";

/** Leaf pages one merge step writes at most: a step holds D1's write lock for tens of milliseconds at 1M tasks. */
export const MERGE_PAGES = 500;
/** How long one alarm keeps stepping; then D1 is left to other writes for PAUSE_MS (a third of its time at most). */
const STEP_BUDGET_MS = 1_000;
const PAUSE_MS = 2_000;
/** A merged index gains a small segment per write; a daily pass folds them in again. */
export const MERGE_INTERVAL_MS = 86_400_000;
/** A pass that failed (D1 out of reach) is tried again this much later. */
const RETRY_MS = 300_000;

export interface SearchIndexStatus {
  merging: boolean;
  /** when the last pass ended */
  merged_at: number | null;
  /** whether that pass left the index one segment (false: tasks were written all through it, and it ended at its bound) */
  one_segment: boolean | null;
  /** when the pass under way began */
  pass_started_at: number | null;
  /** merge steps of the pass under way, or of the last one */
  steps: number;
  next_at: number | null;
  last_error: string | null;
}

/** When a keeper that is not merging runs its next pass: at once if the index was never merged, else a day after the last. */
export function nextPassAt(mergedAt: number | null, now: number): number {
  return mergedAt == null ? now + 1 : Math.max(now + 1, mergedAt + MERGE_INTERVAL_MS);
}

/**
 * The steps a pass may take: enough to write the index once over, and a quarter more. While tasks are written,
 * FTS5 folds each new segment into the merge again, so a pass that waited for one segment would rewrite the index
 * for as long as the writes go on; bounded, it ends, and the next pass goes on from FTS5's saved progress.
 */
export const passSteps = (indexPages: number) => Math.ceil((indexPages * 1.25) / MERGE_PAGES) + 1;

/**
 * Keeps `tasks_search` merged. Each write to the index adds a segment, FTS5's own merging keeps up to a few per
 * level, and a query walks every segment's postings: at 1M tasks the index holds ~17 segments and the dashboard's
 * board with words typed (six filtered walks of up to 1,001 matches) spends a fifth to a third of its time on the
 * extra segments. One object for the database (`idFromName("tasks_search")`): its alarm merges the index into one
 * segment a bounded step at a time, and again a day later. Armed by every isolate's first API request (`arm`), so it
 * runs on any instance that serves.
 */
export class SearchIndexKeeper extends DurableObject<Bindings> {
  private get kv() {
    return this.ctx.storage.kv;
  }

  /** Sets the alarm if none is set: a new keeper's first pass runs at once. */
  async arm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) != null) return;
    const merging = this.kv.get<number>("pass_started_at") != null;
    await this.ctx.storage.setAlarm(merging ? Date.now() + 1 : nextPassAt(this.kv.get<number>("merged_at") ?? null, Date.now()));
  }

  /** Starts a pass now, unless one is under way: the answer already tells it is merging. */
  async mergeNow(): Promise<SearchIndexStatus> {
    if (this.kv.get<number>("pass_started_at") == null) {
      this.startPass(Date.now());
      await this.ctx.storage.setAlarm(Date.now() + 1);
    }
    return this.status();
  }

  private startPass(now: number): void {
    this.kv.put("pass_started_at", now);
    this.kv.put("steps", 0);
    this.kv.delete("max_steps");
  }

  async status(): Promise<SearchIndexStatus> {
    const started = this.kv.get<number>("pass_started_at") ?? null;
    return {
      merging: started != null,
      merged_at: this.kv.get<number>("merged_at") ?? null,
      one_segment: this.kv.get<boolean>("one_segment") ?? null,
      pass_started_at: started,
      steps: this.kv.get<number>("steps") ?? 0,
      next_at: await this.ctx.storage.getAlarm(),
      last_error: this.kv.get<string>("last_error") ?? null,
    };
  }

  async alarm(): Promise<void> {
    const began = Date.now();
    if (this.kv.get<number>("pass_started_at") == null) this.startPass(began);
    let steps = this.kv.get<number>("steps") ?? 0;
    let maxSteps = this.kv.get<number>("max_steps") ?? 0;
    let more = true;
    try {
      if (!maxSteps) {
        maxSteps = passSteps((await this.env.DB.prepare("SELECT count(*) AS n FROM tasks_search_data").first<number>("n")) ?? 0);
        this.kv.put("max_steps", maxSteps);
      }
      // Date.now() moves on across each step's I/O, so the budget holds
      while (more && steps < maxSteps && Date.now() - began < STEP_BUDGET_MS) {
        more = await mergeSearchIndexStep(this.env.DB, MERGE_PAGES);
        steps++;
      }
    } catch (e) {
      // The platform retries a failed alarm only a few times, then never again: a D1 outage would end the merging for good.
      log("warn", "search index merge failed", { error: String(e), steps });
      this.kv.put("steps", steps);
      this.kv.put("last_error", String(e));
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
      return;
    }
    this.kv.put("steps", steps);
    this.kv.delete("last_error");
    if (more && steps < maxSteps) {
      await this.ctx.storage.setAlarm(Date.now() + PAUSE_MS);
      return;
    }
    const now = Date.now();
    log("info", more ? "search index pass ended at its bound, to go on next pass" : "search index merged", { steps, ms: now - (this.kv.get<number>("pass_started_at") ?? now) });
    this.kv.put("merged_at", now);
    this.kv.put("one_segment", !more);
    this.kv.delete("pass_started_at");
    await this.ctx.storage.setAlarm(nextPassAt(now, now));
  }
}

export const searchIndexKeeper = (env: Bindings) => env.SEARCH_INDEX_KEEPER.get(env.SEARCH_INDEX_KEEPER.idFromName("tasks_search"));
