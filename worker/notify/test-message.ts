import type { Bindings } from "../env";
import type { Principal } from "../lib/context";
import { notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { sendSigned } from "./deliver";
import { findSubscription } from "./subscriptions";
import { refusedSubscriptionUrl } from "./url";

export const TEST_EVENT = "webhook.test";

/**
 * Sends one signed `webhook.test` message to a subscription at once, enabled or not, and answers what its receiver
 * did, so an admin can check a receiver and its signature check. Nothing is queued, retried or logged, and no answer
 * (a 410 included) changes the subscription.
 */
export async function sendTestMessage(env: Bindings, p: Principal, id: string) {
  const s = await findSubscription(env.DB, p.org_id, id);
  if (!s) throw notFound("subscription");
  const refused = refusedSubscriptionUrl(s.url, env.HTTP_FETCH_ALLOW_PRIVATE);
  if (refused) throw unprocessable(`this URL cannot receive notifications: ${refused}`, { url: s.url });
  const messageId = newId("msg");
  const now = Date.now();
  const body = JSON.stringify({ type: TEST_EVENT, timestamp: new Date(now).toISOString(), data: { subscription_id: s.id } });
  const r = await sendSigned(s.url, s.secret, messageId, body, now);
  return { message_id: messageId, delivered: r.ok, response_status: r.status, error: r.error, duration_ms: r.duration_ms };
}
