import type { Bindings } from "../env";
import { type Actor, actorOf, auditStatement } from "../lib/audit";
import type { Principal } from "../lib/context";
import { badRequest, conflict, notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { newWebhookSecret } from "../triggers/webhook-signature";
import { notifierStub } from "./enqueue";
import { orgFeed } from "../live/org-feed";
import type { NotifyEvent } from "./events";
import { findSubscription, MAX_SUBSCRIPTIONS_PER_ORG, type SubscriptionRow } from "./subscriptions";
import { auditedUrl, refusedSubscriptionUrl } from "./url";

export interface SubscriptionInput {
  url: string;
  events: NotifyEvent[];
  description: string;
  enabled: boolean;
}

function checkUrl(env: Bindings, url: string): void {
  const refused = refusedSubscriptionUrl(url, env.HTTP_FETCH_ALLOW_PRIVATE);
  if (refused === "not a valid URL") throw badRequest(`invalid request: url: ${refused}`, [{ path: "url", message: refused }]);
  if (refused) throw unprocessable(`this URL cannot receive notifications: ${refused}`, { url });
}

const unique = (events: NotifyEvent[]) => [...new Set(events)].sort();

export async function createSubscription(env: Bindings, p: Principal, input: SubscriptionInput): Promise<SubscriptionRow> {
  checkUrl(env, input.url);
  const now = Date.now();
  const s: SubscriptionRow = {
    id: newId("sub"), org_id: p.org_id, url: input.url, events: JSON.stringify(unique(input.events)), secret: newWebhookSecret(),
    description: input.description, enabled: input.enabled ? 1 : 0, created_by: JSON.stringify(actorOf(p)), created_at: now, updated_at: now,
  };
  // Conditional insert: the cap holds even when two admins add subscriptions at once.
  const [ins] = await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO notification_subscriptions (id, org_id, url, events, secret, description, enabled, created_by, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM notification_subscriptions WHERE org_id = ?) < ?`,
    ).bind(s.id, s.org_id, s.url, s.events, s.secret, s.description, s.enabled, s.created_by, now, now, p.org_id, MAX_SUBSCRIPTIONS_PER_ORG),
    auditStatement(env.DB, { org_id: p.org_id, actor: actorOf(p), action: "subscription.create", target_type: "subscription", target_id: s.id, details: await auditedUrl(s.url) }, now, true),
  ]);
  if (ins.meta.changes !== 1) throw conflict(`an organization has at most ${MAX_SUBSCRIPTIONS_PER_ORG} subscriptions; delete one first`);
  await subscriptionsChanged(env, p.org_id);
  return s;
}

async function auditedPatch({ url, ...rest }: Partial<SubscriptionInput>): Promise<Record<string, unknown>> {
  return url === undefined ? rest : { ...(await auditedUrl(url)), ...rest };
}

export async function updateSubscription(env: Bindings, p: Principal, id: string, patch: Partial<SubscriptionInput>, rotateSecret = false): Promise<SubscriptionRow> {
  const s = await findSubscription(env.DB, p.org_id, id);
  if (!s) throw notFound("subscription");
  if (patch.url !== undefined) checkUrl(env, patch.url);
  const now = Date.now();
  const next: SubscriptionRow = {
    ...s,
    url: patch.url ?? s.url,
    events: patch.events ? JSON.stringify(unique(patch.events)) : s.events,
    description: patch.description ?? s.description,
    enabled: patch.enabled === undefined ? s.enabled : patch.enabled ? 1 : 0,
    secret: rotateSecret ? newWebhookSecret() : s.secret,
    updated_at: now,
  };
  const action = rotateSecret ? "subscription.rotate_secret" : "subscription.update";
  const [upd] = await env.DB.batch([
    env.DB.prepare("UPDATE notification_subscriptions SET url = ?, events = ?, description = ?, enabled = ?, secret = ?, updated_at = ? WHERE id = ? AND org_id = ?")
      .bind(next.url, next.events, next.description, next.enabled, next.secret, now, id, p.org_id),
    auditStatement(env.DB, { org_id: p.org_id, actor: actorOf(p), action, target_type: "subscription", target_id: id, details: rotateSecret ? undefined : await auditedPatch(patch) }, now, true),
  ]);
  if (upd.meta.changes !== 1) throw notFound("subscription");
  await subscriptionsChanged(env, p.org_id);
  return next;
}

export async function deleteSubscription(env: Bindings, p: Principal, id: string): Promise<void> {
  const [del] = await env.DB.batch([
    env.DB.prepare("DELETE FROM notification_subscriptions WHERE id = ? AND org_id = ?").bind(id, p.org_id),
    auditStatement(env.DB, { org_id: p.org_id, actor: actorOf(p), action: "subscription.delete", target_type: "subscription", target_id: id }, Date.now(), true),
  ]);
  if (del.meta.changes !== 1) throw notFound("subscription");
  await subscriptionsChanged(env, p.org_id);
}

const NOTIFIER_ACTOR: Actor = { type: "system", id: "notifier", name: "webhook delivery" };

/**
 * A receiver that answered 410 Gone wants no more: its subscription is disabled, unless an admin changed its URL
 * meanwhile. The Notifier that saw the 410 forgets its own copy; the feed is told here.
 */
export async function disableGoneSubscription(env: Bindings, orgId: string, id: string, url: string): Promise<void> {
  const now = Date.now();
  const [res] = await env.DB.batch([
    env.DB.prepare("UPDATE notification_subscriptions SET enabled = 0, updated_at = ? WHERE id = ? AND org_id = ? AND url = ? AND enabled = 1").bind(now, id, orgId, url),
    auditStatement(env.DB, { org_id: orgId, actor: NOTIFIER_ACTOR, action: "subscription.update", target_type: "subscription", target_id: id, details: { enabled: false, reason: "the receiver answered 410 Gone" } }, now, true),
  ]);
  if (res.meta.changes) await orgFeed(env, orgId).subscriptionsChanged().catch((e: unknown) => log("warn", "feed not told of a subscription change", { org_id: orgId, error: String(e) }));
}

/**
 * The organization's Notifier and its feed (which hands transitions over only when a subscription wants them)
 * keep its subscriptions in memory; a lost telling is caught by their minute-long TTL.
 */
async function subscriptionsChanged(env: Bindings, orgId: string): Promise<void> {
  const tell = (who: string, call: Promise<void>) => call.catch((e: unknown) => log("warn", `${who} not told of a subscription change`, { org_id: orgId, error: String(e) }));
  await Promise.all([tell("notifier", notifierStub(env, orgId).subscriptionsChanged()), tell("feed", orgFeed(env, orgId).subscriptionsChanged())]);
}
