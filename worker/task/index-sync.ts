import type { TaskStatus } from "../db/schema";
import type { IndexRow } from "../db/task-row";
import { toListItem } from "../db/task-row";
import { asStatements } from "../db/sql";
import type { Bindings } from "../env";
import { orgFeed } from "../live/org-feed";
import { log } from "../lib/log";
import type { TaskTransition } from "../notify/events";
import { handOver } from "../notify/enqueue";
import { ledgerStatements, type SpendRow } from "../spend/ledger";
import { delay } from "../lib/time";

const PROGRESS_INTERVAL_MS = 250;

/**
 * Keeps the task's D1 index row and the org feed in step with the object.
 * Status changes go out at once, but a start reaches D1 with the next
 * coalesced write: progress-only changes (tokens, cost, step counts) land a few
 * times a second, and a task that finishes meanwhile lands once, finished.
 * `index_version` makes the write conditional, so a late write can never
 * overwrite a newer one. The task's spend ledger rows go in the same batch,
 * and its notifications (worker/notify) in the same call to the feed: the task
 * keeps each transition stored until that call says the Notifier has it.
 */
export class IndexSync {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private queued = false;
  /** A start the feed has not heard of yet: it goes with the next write, or on its own once this turn is over. */
  private started: IndexRow | null = null;
  /** Transitions for the Notifier, each with the row of its own moment, handed over with the next write. */
  private transitions: TaskTransition[] = [];
  /** The last write, or the hand-over of its transitions, was given up on: the row is behind until a later one lands. */
  behind = false;

  constructor(
    private readonly env: Bindings,
    private readonly snapshot: () => IndexRow,
    private readonly ledger: () => SpendRow[] = () => [],
    /** The Notifier has these transitions (by key): the task may forget them. */
    private readonly handedOver: (keys: string[]) => void = () => {},
  ) {}

  /** Transitions stored but not handed over before a restart: they go with the next write. */
  resume(owed: TaskTransition[]): void {
    this.transitions.unshift(...owed);
  }

  /** Whether transitions wait for a write to carry them to the Notifier. */
  get owing(): boolean {
    return this.transitions.length > 0;
  }

  now(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.enqueue();
  }

  /**
   * A status change, with the transition subscribers may want. The feed hears of a start when this turn is
   * over, on its own, or with the write of a status the task reached meanwhile (a short run's end): one call
   * to the feed then carries both, in order. D1 hears of a start with the next coalesced write.
   */
  status(next: TaskStatus, transition: TaskTransition | null = null): void {
    if (transition) this.transitions.push(transition);
    if (next !== "in_progress") return this.now();
    this.started = this.snapshot();
    setTimeout(() => this.publishStart(), 0);
    this.soon();
  }

  soon(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.enqueue();
    }, PROGRESS_INTERVAL_MS);
  }

  /** Resolves once every write queued so far has landed. */
  flushed(): Promise<void> {
    if (this.timer) this.now();
    return this.writing;
  }

  /**
   * A new task that waits for a slot: D1 has its row from the create, and the feed hears of it now rather
   * than when it starts, so open dashboards list it while it waits. One that may run at once is heard of
   * with its start.
   */
  announce(): void {
    this.publishLater(this.snapshot());
  }

  private publishStart(): void {
    const row = this.started;
    // a write already waiting carries it, in order
    if (!row || this.queued) return;
    this.started = null;
    this.publishLater(row);
  }

  /** Behind any write in flight, so the feed's events stay in order. */
  private publishLater(row: IndexRow): void {
    this.writing = this.writing.then(() => this.publish(row).catch((e: unknown) => log("warn", "feed publish failed", { task_id: row.id, error: String(e) })));
  }

  /**
   * At most one write waits behind the one in flight, and it reads the state when it
   * starts: changes made meanwhile (a short task's in_progress then completed) land as
   * one write of the latest row instead of one each.
   */
  private enqueue(): void {
    if (this.queued) return;
    this.queued = true;
    this.writing = this.writing.then(() => {
      this.queued = false;
      const started = this.started;
      this.started = null;
      return this.write(this.snapshot(), this.ledger(), started, this.transitions.splice(0));
    });
  }

  private async publish(row: IndexRow): Promise<void> {
    await orgFeed(this.env, row.org_id).publish("task.updated", toListItem(row));
  }

  /** Through the organization's feed, which group-commits it with its other tasks' writes and then publishes it. */
  private async write(row: IndexRow, spend: SpendRow[], started: IndexRow | null, transitions: TaskTransition[], attempt = 0): Promise<void> {
    try {
      await orgFeed(this.env, row.org_id).writeIndex({ row, ledger: ledgerStatements(asStatements, row.org_id, row.id, spend, "task", row.plan_id) }, started, transitions);
      this.behind = false;
      if (transitions.length) this.handedOver(transitions.map((t) => t.key));
    } catch (e) {
      log("warn", "index write failed", { task_id: row.id, attempt, error: String(e) });
      if (attempt < 5) {
        await delay(200 * 2 ** attempt);
        return this.write(row, spend, started, transitions, attempt + 1);
      }
      // the index write is given up on; the notifications are not: handed over directly, or kept for the next write
      this.behind = true;
      const sent = await Promise.all(transitions.map((t) => handOver(this.env, t).then(() => true, () => false)));
      if (sent.some(Boolean)) this.handedOver(transitions.filter((_, i) => sent[i]).map((t) => t.key));
      this.transitions.unshift(...transitions.filter((_, i) => !sent[i]));
    }
  }
}
