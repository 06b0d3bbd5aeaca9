import { iso } from "../lib/time";
import { TrustedReading } from "../lib/trusted-reading";
import type { NotifyEvent } from "./events";
import { type Keyset, keysetSql } from "../db/keyset";

/** A webhook subscription as D1 keeps it; `events` is a JSON array, `secret` the `whsec_…` signing key. */
export interface SubscriptionRow {
  id: string;
  org_id: string;
  url: string;
  events: string;
  secret: string;
  description: string;
  enabled: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export const MAX_SUBSCRIPTIONS_PER_ORG = 25;

export function subscriptionView(s: SubscriptionRow) {
  return {
    id: s.id,
    url: s.url,
    events: JSON.parse(s.events) as NotifyEvent[],
    description: s.description,
    enabled: s.enabled === 1,
    created_by: JSON.parse(s.created_by) as { type: "token" | "trigger" | "agent"; id: string; name: string },
    created_at: iso(s.created_at)!,
    updated_at: iso(s.updated_at)!,
  };
}

export async function findSubscription(d1: D1Database, orgId: string, id: string): Promise<SubscriptionRow | null> {
  return d1.prepare("SELECT * FROM notification_subscriptions WHERE id = ? AND org_id = ?").bind(id, orgId).first<SubscriptionRow>();
}

export const NEWEST_SUBSCRIPTIONS: Keyset = { columns: ["created_at", "id"], types: ["number", "string"], order: "DESC" };

/** A page of an organization's subscriptions (one row more than `limit`, for `pageOf`). */
export async function listSubscriptions(d1: D1Database, orgId: string, after: (number | string)[] | null, limit: number): Promise<SubscriptionRow[]> {
  const page = keysetSql(NEWEST_SUBSCRIPTIONS, after, limit);
  const { results } = await d1.prepare(`SELECT * FROM notification_subscriptions WHERE org_id = ? ${page.where} ${page.tail}`).bind(orgId, ...page.args).all<SubscriptionRow>();
  return results;
}

/** An organization's enabled subscriptions, whatever events they want. */
export async function enabledSubscriptions(d1: D1Database, orgId: string): Promise<SubscriptionRow[]> {
  const { results } = await d1.prepare("SELECT * FROM notification_subscriptions WHERE org_id = ? AND enabled = 1").bind(orgId).all<SubscriptionRow>();
  return results;
}

export const wants = (s: SubscriptionRow, event: NotifyEvent) => (JSON.parse(s.events) as string[]).includes(event);

/** Why a message for `event` is no longer for this subscription as it is now (null, none gone: it still wants it). */
export function droppedBecause(s: SubscriptionRow | null, event: NotifyEvent): string | null {
  if (!s) return "was deleted";
  if (s.enabled !== 1) return "is disabled";
  return wants(s, event) ? null : `no longer wants ${event}`;
}

/** Every subscription change tells the objects that keep these in memory; this only bounds a telling that was lost. */
const SUBSCRIPTIONS_TTL_MS = 60_000;

/** An organization's enabled subscriptions, kept in an object's memory so a transition nobody wants costs no read. */
export class KnownSubscriptions {
  private readonly reading = new TrustedReading<SubscriptionRow[]>(SUBSCRIPTIONS_TTL_MS);

  async wanting(d1: D1Database, orgId: string, event: NotifyEvent): Promise<SubscriptionRow[]> {
    return (await this.reading.get(() => enabledSubscriptions(d1, orgId))).filter((s) => wants(s, event));
  }

  /** A subscription was added, changed or deleted: read them again at the next transition. */
  forget(): void {
    this.reading.forget();
  }
}
