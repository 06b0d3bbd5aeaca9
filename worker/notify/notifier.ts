import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { readOrgSettings } from "../lib/org-settings";
import { retryDelay } from "./backoff";
import { DELIVERY_TIMEOUT_MS, sendSigned } from "./deliver";
import { deliveryLogCutoff, logAttempt, pruneDeliveryLog, type DeliveryOutcome } from "./deliveries";
import { type NotifyEvent, payloadOf, type TaskTransition } from "./events";
import { disableGoneSubscription } from "./manage";
import { droppedBecause, enabledSubscriptions, findSubscription, KnownSubscriptions } from "./subscriptions";
import { refusedSubscriptionUrl } from "./url";

const SCHEMA_VERSION = 1;
/** Sends in flight per subscription: a slow receiver holds up its own messages only. */
const PER_SUBSCRIPTION = 3;
/** While anything is due or in flight the alarm stays set this far ahead, so an instance lost mid-send is taken over. */
const LEASE_MS = DELIVERY_TIMEOUT_MS + 5_000;
const SEEN_TTL_MS = 7 * 24 * 3_600_000;
/** How often the alarm tidies: forgets old transitions and deletes the delivery log's old attempts. */
export const TIDY_MS = 86_400_000;
const PRUNE_BATCH = 500;
/** A full batch means more is old: the next one follows shortly instead of in a day. */
const NEXT_BATCH_MS = 1_000;

interface OutboxRow extends Record<string, SqlStorageValue> {
  message_id: string;
  org_id: string;
  subscription_id: string;
  event_type: string;
  task_id: string;
  payload: string;
  attempts: number;
  next_at: number;
}

/**
 * One per organization: the durable outbox of its outgoing notifications. A task transition is
 * recorded once (keyed by the transition), fanned out to one message per subscription, and each
 * message is sent at once, each on its own (no subscription waits for another's receiver), and
 * retried from the alarm with backoff until it succeeds or runs out of attempts; every attempt is
 * written to the D1 delivery log. Once a day, while it remembers a transition or the log holds an attempt, the
 * alarm also tidies: transitions older than a week are forgotten and attempts older than 30 days (or the
 * organization's retention period, when shorter) deleted.
 */
export class Notifier extends DurableObject<Bindings> {
  private alarmAt: number | null = null;
  /** When the alarm next tidies (also in storage, `tidy_at`); null: nothing to tidy. */
  private tidyAt: number | null = null;
  private readonly inflight = new Set<string>();
  /** Sends in flight per subscription. */
  private readonly busy = new Map<string, number>();
  private readonly sending = new Set<Promise<void>>();
  private readonly subs = new KnownSubscriptions();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.migrate();
      this.alarmAt = await ctx.storage.getAlarm();
      this.tidyAt = ctx.storage.kv.get<number>("tidy_at") ?? null;
    });
  }

  private migrate(): void {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
    const v = sql.exec<{ v: number }>("SELECT v FROM meta WHERE k = 'schema'").toArray()[0]?.v ?? 0;
    if (v >= SCHEMA_VERSION) return;
    sql.exec("CREATE TABLE IF NOT EXISTS seen (event_key TEXT PRIMARY KEY, at INTEGER NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox (message_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, subscription_id TEXT NOT NULL, event_type TEXT NOT NULL,
      task_id TEXT NOT NULL, payload TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL)`);
    sql.exec("CREATE INDEX IF NOT EXISTS outbox_next ON outbox (next_at)");
    sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('schema', ?)", SCHEMA_VERSION);
  }

  /** Idempotent per `t.key`: a repeated hand-over of the same transition queues nothing. Returns the messages queued. */
  async enqueue(t: TaskTransition): Promise<number> {
    const subs = await this.subs.wanting(this.env.DB, t.org_id, t.type);
    // Nothing to queue, so nothing a repeated hand-over could queue twice: no need to remember the transition.
    if (subs.length === 0) return 0;
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT 1 FROM seen WHERE event_key = ?", t.key).toArray().length) return 0;
    const payload = payloadOf(t);
    let queued = 0;
    this.ctx.storage.transactionSync(() => {
      if (sql.exec("INSERT OR IGNORE INTO seen (event_key, at) VALUES (?, ?)", t.key, t.at).rowsWritten === 0) return;
      if (this.tidyAt == null) {
        this.ctx.storage.kv.put("org_id", t.org_id);
        this.setTidyAt(Date.now() + TIDY_MS);
      }
      for (const s of subs) {
        sql.exec(
          "INSERT INTO outbox (message_id, org_id, subscription_id, event_type, task_id, payload, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
          newId("msg"), t.org_id, s.id, t.type, t.task_id, payload, t.at, t.at,
        );
        queued++;
      }
    });
    if (queued) {
      this.pump();
      await this.schedule();
    }
    return queued;
  }

  /**
   * A subscription was added, changed or deleted: read them again at the next transition, and drop at once what is
   * queued for one disabled or deleted, or for an event it no longer wants (its attempt, due now, finds it so and logs the drop).
   */
  async subscriptionsChanged(): Promise<void> {
    this.subs.forget();
    const sql = this.ctx.storage.sql;
    const queued = sql
      .exec<{ org_id: string; subscription_id: string; event_type: string }>("SELECT DISTINCT org_id, subscription_id, event_type FROM outbox")
      .toArray();
    if (!queued.length) return;
    const live = new Map((await enabledSubscriptions(this.env.DB, queued[0].org_id)).map((s) => [s.id, s]));
    const unwanted = queued.filter((q) => droppedBecause(live.get(q.subscription_id) ?? null, q.event_type as NotifyEvent));
    if (!unwanted.length) return;
    this.dueNow(unwanted);
  }

  /**
   * Drops every message queued for these subscriptions (only for that event, when one is named), each logged as its
   * attempt finds it unwanted: now, not once the sends in flight to the subscription free a place, since a drop sends
   * nothing. Those in flight are logged as they end (`attempt` reads the subscription again after a failed send).
   */
  private dueNow(queued: { subscription_id: string; event_type?: string }[]): void {
    for (const q of queued) {
      const rows = this.ctx.storage.sql
        .exec<OutboxRow>("SELECT * FROM outbox WHERE subscription_id = ? AND (? IS NULL OR event_type = ?)", q.subscription_id, q.event_type ?? null, q.event_type ?? null)
        .toArray();
      for (const row of rows) if (!this.inflight.has(row.message_id)) this.launch(row, false);
    }
    void this.schedule();
  }

  /** Messages not yet delivered nor given up on (for tests and the settings page). */
  async pending(): Promise<{ message_id: string; subscription_id: string; attempts: number; next_at: number }[]> {
    return this.ctx.storage.sql
      .exec<OutboxRow>("SELECT * FROM outbox ORDER BY next_at")
      .toArray()
      .map((r) => ({ message_id: r.message_id, subscription_id: r.subscription_id, attempts: r.attempts, next_at: r.next_at }));
  }

  /** Resolves once no send is in flight (for tests). */
  async settled(): Promise<void> {
    while (this.sending.size) await Promise.allSettled([...this.sending]);
  }

  async alarm(): Promise<void> {
    // The alarm's own time is the clock: what was due by then is due now, even when it fires early.
    const now = Math.max(Date.now(), this.alarmAt ?? 0);
    this.alarmAt = null;
    this.pump(now);
    if (this.tidyAt != null && this.tidyAt <= now) await this.tidy();
    await this.schedule();
  }

  /** Forgets old transitions and deletes a batch of old attempts from the log; comes again while anything is left to age. */
  private async tidy(now = Date.now()): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM seen WHERE at < ?", now - SEEN_TTL_MS);
    const remembers = sql.exec("SELECT 1 FROM seen LIMIT 1").toArray().length > 0;
    const orgId = this.ctx.storage.kv.get<string>("org_id");
    let next: number | null = remembers ? now + TIDY_MS : null;
    if (orgId) {
      try {
        const { retention_days } = await readOrgSettings(this.env.DB, orgId);
        const { more, left } = await pruneDeliveryLog(this.env.DB, orgId, deliveryLogCutoff(now, retention_days), PRUNE_BATCH);
        if (more) next = now + NEXT_BATCH_MS;
        else if (left) next = now + TIDY_MS;
      } catch (e) {
        log("warn", "delivery log not pruned", { org_id: orgId, error: String(e) });
        next = now + TIDY_MS;
      }
    }
    this.setTidyAt(next);
  }

  private setTidyAt(at: number | null): void {
    this.tidyAt = at;
    if (at == null) this.ctx.storage.kv.delete("tidy_at");
    else this.ctx.storage.kv.put("tidy_at", at);
  }

  /**
   * Starts every due message whose subscription has a free place, without waiting for it: each send, once over,
   * starts what waits behind it. The earliest due of each subscription come first.
   */
  private pump(now = Date.now()): void {
    const due = this.ctx.storage.sql
      .exec<OutboxRow>(
        `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY subscription_id ORDER BY next_at, created_at) AS n FROM outbox WHERE next_at <= ?)
         WHERE n <= ? ORDER BY next_at`,
        now, PER_SUBSCRIPTION,
      )
      .toArray();
    for (const row of due) {
      const busy = this.busy.get(row.subscription_id) ?? 0;
      if (this.inflight.has(row.message_id) || busy >= PER_SUBSCRIPTION) continue;
      this.busy.set(row.subscription_id, busy + 1);
      this.launch(row, true);
    }
  }

  /** `counted`: it holds one of its subscription's places (a send); a drop, which sends nothing, holds none. */
  private launch(row: OutboxRow, counted: boolean): void {
    this.inflight.add(row.message_id);
    const send: Promise<void> = this.attempt(row)
      .catch((e: unknown) => log("warn", "delivery attempt failed", { message_id: row.message_id, error: String(e) }))
      .finally(() => {
        this.inflight.delete(row.message_id);
        if (counted) {
          const left = (this.busy.get(row.subscription_id) ?? 1) - 1;
          if (left > 0) this.busy.set(row.subscription_id, left);
          else this.busy.delete(row.subscription_id);
        }
        this.sending.delete(send);
        this.pump();
        return this.schedule();
      });
    this.sending.add(send);
    this.ctx.waitUntil(send);
  }

  private async attempt(row: OutboxRow): Promise<void> {
    const orgId = row.org_id;
    const event = row.event_type as NotifyEvent;
    // The subscription as it is now: its URL and secret, and whether it still wants this message at all.
    const sub = await findSubscription(this.env.DB, orgId, row.subscription_id);
    const dropped = droppedBecause(sub, event);
    const live = dropped ? null : sub;
    // Never tried: logged as dropped (attempt 0), so the log says why nothing came. Tried and failed: logged as failed,
    // else the log's last word on it stays "retrying".
    const neverSent = !live && row.attempts === 0;
    const attempt = neverSent ? 0 : row.attempts + 1;
    const refused = live && refusedSubscriptionUrl(live.url, this.env.HTTP_FETCH_ALLOW_PRIVATE);
    const stop = dropped ? `dropped: the subscription ${dropped}` : refused ? `refused: ${refused}` : null;
    const result = !live || stop ? { ok: false, status: null, error: stop, duration_ms: 0 } : await sendSigned(live.url, live.secret, row.message_id, row.payload);
    // disabled, deleted or changed while the send was on its way: no retry is promised that would never come
    const droppedSince = live && !result.ok && !stop ? droppedBecause(await findSubscription(this.env.DB, orgId, row.subscription_id), event) : null;
    if (droppedSince) result.error = `${result.error}; dropped: the subscription ${droppedSince}`;
    const now = Date.now();
    // Standard Webhooks: 410 Gone means the endpoint is no more, so no retry and no further messages.
    const gone = live && result.status === 410;
    if (gone) {
      this.subs.forget();
      await disableGoneSubscription(this.env, orgId, live.id, live.url).catch((e: unknown) => log("warn", "subscription not disabled", { subscription_id: live.id, error: String(e) }));
    }
    const delay = result.ok || stop || gone || droppedSince ? null : retryDelay(attempt);
    const outcome: DeliveryOutcome = neverSent ? "dropped" : result.ok ? "delivered" : delay == null ? "failed" : "retrying";
    const nextAt = delay == null ? null : now + delay;
    if (nextAt == null) this.ctx.storage.sql.exec("DELETE FROM outbox WHERE message_id = ?", row.message_id);
    else this.ctx.storage.sql.exec("UPDATE outbox SET attempts = ?, next_at = ? WHERE message_id = ?", attempt, nextAt, row.message_id);
    await logAttempt(this.env.DB, {
      org_id: orgId, subscription_id: row.subscription_id, message_id: row.message_id, event_type: event,
      task_id: row.task_id, attempt, outcome, response_status: result.status, error: gone ? "HTTP 410: the receiver is gone; the subscription is disabled" : result.error, duration_ms: result.duration_ms,
      next_attempt_at: nextAt, created_at: now,
    }).catch((e: unknown) => log("warn", "delivery log write failed", { message_id: row.message_id, attempt, error: String(e) }));
    // what else waits for a receiver that is gone is dropped now, not when each retry comes
    if (gone) this.dueNow([{ subscription_id: row.subscription_id }]);
  }

  /**
   * The alarm serves the next retry and, while anything is due or in flight, stands by to take over sends an
   * instance lost; meanwhile it is only brought forward (one write per burst, not per message). Always strictly
   * in the future; with nothing to send, the next tidying; deleted once nothing is left.
   */
  private async schedule(): Promise<void> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    const next = sql.exec<{ at: number | null }>("SELECT min(next_at) AS at FROM outbox WHERE next_at > ?", now).one().at;
    const waiting = this.inflight.size > 0 || sql.exec("SELECT 1 FROM outbox WHERE next_at <= ? LIMIT 1", now).toArray().length > 0;
    const send = waiting ? Math.min(next ?? Infinity, now + LEASE_MS) : next;
    const at = send == null ? this.tidyAt : Math.min(send, this.tidyAt ?? Infinity);
    if (at == null) {
      if (this.alarmAt != null) {
        this.alarmAt = null;
        await this.ctx.storage.deleteAlarm();
      }
      return;
    }
    const when = Math.max(at, now + 10);
    if (this.alarmAt === when || (waiting && this.alarmAt != null && this.alarmAt <= when)) return;
    this.alarmAt = when;
    await this.ctx.storage.setAlarm(when);
  }
}
