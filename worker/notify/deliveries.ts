import { keepLogNumber, nextLogNumber } from "../db/log-numbers";
import { iso } from "../lib/time";
import type { NotifyEvent } from "./events";

/** `dropped`: never sent (attempt 0), as its subscription was deleted, disabled or stopped wanting its event while it was queued. */
export const DELIVERY_OUTCOMES = ["delivered", "retrying", "failed", "dropped"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface DeliveryFilters {
  subscription_id?: string;
  task_id?: string;
  outcome?: DeliveryOutcome;
  event?: NotifyEvent;
  /** only attempts logged at or after this: what the log keeps, whether or not the older ones are pruned yet */
  since?: number;
}

/** One attempt to deliver one message to one subscription. */
export interface DeliveryAttempt {
  org_id: string;
  subscription_id: string;
  message_id: string;
  event_type: NotifyEvent;
  task_id: string;
  attempt: number;
  outcome: DeliveryOutcome;
  response_status: number | null;
  error: string | null;
  duration_ms: number;
  next_attempt_at: number | null;
  created_at: number;
}

type DeliveryRow = DeliveryAttempt & { org_seq: number };

/**
 * Idempotent per (message, attempt): an alarm that runs twice logs an attempt once.
 * `org_seq` numbers the organization's attempts, in the same statement, so their ids say nothing of other organizations'
 * (the table-wide `seq` counts every organization's), and never again one a pruned attempt had (db/log-numbers.ts).
 */
export function logAttempt(d1: D1Database, a: DeliveryAttempt): Promise<D1Result> {
  return d1
    .prepare(
      `INSERT OR IGNORE INTO notification_deliveries (org_id, org_seq, subscription_id, message_id, event_type, task_id, attempt, outcome, response_status, error,
         duration_ms, next_attempt_at, created_at)
       VALUES (?1, ${nextLogNumber("deliveries")}, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`,
    )
    .bind(a.org_id, a.subscription_id, a.message_id, a.event_type, a.task_id, a.attempt, a.outcome, a.response_status, a.error, a.duration_ms, a.next_attempt_at, a.created_at)
    .run();
}

/** How long the delivery log keeps an attempt, unless the organization's retention period is shorter. */
export const DELIVERY_LOG_KEPT_MS = 30 * 86_400_000;

/** Attempts logged before this are deleted: 30 days ago, or the retention period ago when that is shorter. */
export const deliveryLogCutoff = (now: number, retentionDays: number | null) => now - Math.min(DELIVERY_LOG_KEPT_MS, (retentionDays ?? Infinity) * 86_400_000);

/**
 * Deletes up to `batch` of the organization's oldest attempts logged before `cutoff`, reading no more than that
 * many rows (the oldest by `org_seq`). `more`: a full batch went, so more may be due; `left`: the organization still has some.
 */
export async function pruneDeliveryLog(d1: D1Database, orgId: string, cutoff: number, batch: number): Promise<{ pruned: number; more: boolean; left: boolean }> {
  const [, deleted, left] = await d1.batch([
    keepLogNumber(d1, "deliveries", orgId),
    d1
      .prepare(
        `DELETE FROM notification_deliveries WHERE seq IN
           (SELECT seq FROM (SELECT seq, created_at FROM notification_deliveries WHERE org_id = ? ORDER BY org_seq LIMIT ?) WHERE created_at < ?)`,
      )
      .bind(orgId, batch, cutoff),
    d1.prepare("SELECT 1 FROM notification_deliveries WHERE org_id = ? LIMIT 1").bind(orgId),
  ]);
  const pruned = deleted.meta.changes;
  return { pruned, more: pruned === batch, left: left.results.length > 0 };
}

/** `d` and the attempt's number within its organization (`org_seq`), base 36: its id, and the cursor of the page after it. */
const encodeCursor = (orgSeq: number) => `d${orgSeq.toString(36)}`;
export const decodeDeliveryCursor = (c: string) => (/^d[0-9a-z]{1,12}$/.test(c) ? parseInt(c.slice(1), 36) : null);

/** Newest first, keyset on `org_seq`. */
export async function listDeliveries(d1: D1Database, orgId: string, f: DeliveryFilters, before: number | null, limit: number) {
  const parts = ["org_id = ?"];
  const args: unknown[] = [orgId];
  if (f.subscription_id) (parts.push("subscription_id = ?"), args.push(f.subscription_id));
  if (f.task_id) (parts.push("task_id = ?"), args.push(f.task_id));
  if (f.outcome) (parts.push("outcome = ?"), args.push(f.outcome));
  if (f.event) (parts.push("event_type = ?"), args.push(f.event));
  if (f.since != null) (parts.push("created_at >= ?"), args.push(f.since));
  if (before != null) (parts.push("org_seq < ?"), args.push(before));
  const { results } = await d1
    .prepare(`SELECT * FROM notification_deliveries WHERE ${parts.join(" AND ")} ORDER BY org_seq DESC LIMIT ?`)
    .bind(...args, limit + 1)
    .all<DeliveryRow>();
  const page = results.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: encodeCursor(r.org_seq), subscription_id: r.subscription_id, message_id: r.message_id, event: r.event_type, task_id: r.task_id,
      attempt: r.attempt, outcome: r.outcome, response_status: r.response_status, error: r.error, duration_ms: r.duration_ms,
      next_attempt_at: iso(r.next_attempt_at), created_at: iso(r.created_at)!,
    })),
    next_cursor: results.length > limit ? encodeCursor(page[page.length - 1].org_seq) : null,
  };
}
