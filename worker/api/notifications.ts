import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../lib/errors";
import { readOrgSettings } from "../lib/org-settings";
import { requireRole } from "../lib/roles";
import { DELIVERY_OUTCOMES, decodeDeliveryCursor, deliveryLogCutoff, listDeliveries } from "../notify/deliveries";
import { NOTIFY_EVENTS } from "../notify/events";
import { inbox } from "../notify/inbox";
import { createSubscription, deleteSubscription, updateSubscription } from "../notify/manage";
import { findSubscription, listSubscriptions, NEWEST_SUBSCRIPTIONS, subscriptionView } from "../notify/subscriptions";
import { sendTestMessage } from "../notify/test-message";
import { pageOf } from "../db/keyset";
import { cursorAfter, filterValue, invalidCursor, ListQuery } from "./list-query";
import { newApp } from "./app";
import { created, createdJson } from "./created";
import { replayingSecret } from "./idempotency";
import { body, CreatedBy, errors, json, limitParam, Page, TaskListItem } from "./schemas";

const Events = z.array(z.enum(NOTIFY_EVENTS)).min(1).max(NOTIFY_EVENTS.length * 2);
const Url = z.string().trim().min(1).max(2000).openapi({ description: "http(s); private and loopback addresses only when HTTP_FETCH_ALLOW_PRIVATE is \"true\"" });
const Description = z.string().trim().max(200);

const CreateSubscription = z
  .object({ url: Url, events: Events, description: Description.default(""), enabled: z.boolean().default(true) })
  .strict()
  .openapi("CreateSubscription");
const UpdateSubscription = z
  .object({ url: Url, events: Events, description: Description, enabled: z.boolean() })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: "change at least one field" })
  .openapi("UpdateSubscription");

const Subscription = z
  .object({
    id: z.string(), url: z.string(), events: z.array(z.enum(NOTIFY_EVENTS)), description: z.string(), enabled: z.boolean(),
    created_by: CreatedBy, created_at: z.string(), updated_at: z.string(),
  })
  .openapi("Subscription");
const NewSubscription = Subscription.extend({
  secret: z.string().nullable().openapi({ description: "the `whsec_…` signing secret, shown this once; null on a replay (Idempotency-Key) once it was rotated since" }),
  secret_note: z.string().optional().openapi({ description: "on a replayed create or rotation whose secret was rotated since, or whose subscription was deleted: why `secret` is null" }),
}).openapi("NewSubscription");

/** A replayed create or rotation (Idempotency-Key) shows its secret only while notifications are still signed with it. */
export const replayedSubscription = replayingSecret(async (c, id, kept) => {
  const row = await c.env.DB.prepare("SELECT secret FROM notification_subscriptions WHERE id = ? AND org_id = ?")
    .bind(id, c.get("principal").org_id)
    .first<{ secret: string }>();
  if (row?.secret === kept) return { secret: kept };
  const secret_note = row
    ? "this secret has been rotated since and signs nothing any more: notifications are signed with the one the rotation answered (rotate-secret makes another)"
    : "the subscription was deleted since: its secret signs nothing";
  return { secret: null, secret_note };
});

const Delivery = z
  .object({
    id: z.string(), subscription_id: z.string(), message_id: z.string().openapi({ description: "the `webhook-id` the receiver saw; the same on every attempt" }),
    event: z.enum(NOTIFY_EVENTS), task_id: z.string(), attempt: z.number().int(), outcome: z.enum(DELIVERY_OUTCOMES),
    response_status: z.number().int().nullable(), error: z.string().nullable(), duration_ms: z.number().int(), next_attempt_at: z.string().nullable(), created_at: z.string(),
  })
  .openapi("Delivery");
const TestDelivery = z
  .object({
    message_id: z.string().openapi({ description: "the `webhook-id` the receiver saw" }), delivered: z.boolean().openapi({ description: "the receiver answered 2xx" }),
    response_status: z.number().int().nullable(), error: z.string().nullable(), duration_ms: z.number().int(),
  })
  .openapi("TestDelivery");
const DeliveryQuery = z.object({
  subscription_id: filterValue(100).optional(),
  task_id: filterValue(100).optional(),
  outcome: z.enum(DELIVERY_OUTCOMES).optional().openapi({ description: "only the attempts with this outcome" }),
  event: z.enum(NOTIFY_EVENTS).optional().openapi({ description: "only the attempts to deliver this event" }),
  cursor: z.string().max(40).optional(),
  limit: limitParam(50),
});
const InboxItem = TaskListItem.extend({ mine: z.boolean().openapi({ description: "created by the token asking, or a sub-task (however deep) of a task it created" }) });
const Inbox = z.object({ items: z.array(InboxItem), next_cursor: z.null(), count: z.union([z.number().int(), z.string()]) }).openapi("Inbox");
const Id = z.object({ id: z.string().min(1).max(100) });
const tags = ["notifications"];

export const notificationsApi = newApp()
  .openapi(
    createRoute({
      method: "get", path: "/subscriptions", tags, summary: "List webhook subscriptions, newest first (admins)",
      request: { query: ListQuery }, responses: { 200: json(Page(Subscription)), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listSubscriptions(c.env.DB, p.org_id, cursorAfter(NEWEST_SUBSCRIPTIONS, cursor), limit);
      return c.json(pageOf(rows, limit, (s) => [s.created_at, s.id], subscriptionView), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/subscriptions", tags, summary: "Subscribe a URL to task events; the answer holds the signing secret, shown once",
      request: { body: body(CreateSubscription) }, responses: { 201: createdJson(NewSubscription), ...errors(400, 401, 403, 409, 413, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const s = await createSubscription(c.env, p, c.req.valid("json"));
      return created(c, { ...subscriptionView(s), secret: s.secret }, "notifications/subscriptions", s.id);
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/subscriptions/{id}", tags, summary: "Get a subscription (admins)", request: { params: Id }, responses: { 200: json(Subscription), ...errors(401, 403, 404) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const s = await findSubscription(c.env.DB, p.org_id, c.req.valid("param").id);
      if (!s) throw notFound("subscription");
      return c.json(subscriptionView(s), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch", path: "/subscriptions/{id}", tags, summary: "Change a subscription's URL, events, description or enabled",
      request: { params: Id, body: body(UpdateSubscription) }, responses: { 200: json(Subscription), ...errors(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      return c.json(subscriptionView(await updateSubscription(c.env, p, c.req.valid("param").id, c.req.valid("json"))), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/subscriptions/{id}/rotate-secret", tags, summary: "A new signing secret, shown once; the old one stops signing at once",
      request: { params: Id }, responses: { 200: json(NewSubscription), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const s = await updateSubscription(c.env, p, c.req.valid("param").id, {}, true);
      return c.json({ ...subscriptionView(s), secret: s.secret }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/subscriptions/{id}/test", tags,
      summary: "Send one signed webhook.test message now, enabled or not, and answer what the receiver did (not queued, retried or logged)",
      request: { params: Id }, responses: { 200: json(TestDelivery), ...errors(401, 403, 404, 422) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      return c.json(await sendTestMessage(c.env, p, c.req.valid("param").id), 200);
    },
  )
  .openapi(
    createRoute({ method: "delete", path: "/subscriptions/{id}", tags, summary: "Delete a subscription; its queued messages are dropped", request: { params: Id }, responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404) } }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      await deleteSubscription(c.env, p, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/deliveries", tags, summary: "Delivery log: every attempt, newest first (admins)",
      request: { query: DeliveryQuery }, responses: { 200: json(Page(Delivery)), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, "admin");
      const { cursor, limit, ...filters } = c.req.valid("query");
      const before = cursor ? decodeDeliveryCursor(cursor) : null;
      if (cursor && before == null) throw invalidCursor();
      const { retention_days } = await readOrgSettings(c.env.DB, p.org_id);
      const since = deliveryLogCutoff(Date.now(), retention_days);
      return c.json(await listDeliveries(c.env.DB, p.org_id, { ...filters, since }, before, limit), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/inbox", tags, summary: "What waits for a person: tasks in needs_input, the asking token's own first",
      responses: { 200: json(Inbox), ...errors(401) },
    }),
    async (c) => {
      const p = c.get("principal");
      return c.json(await inbox(c.env.DB, p.org_id, p.token_id), 200);
    },
  );
