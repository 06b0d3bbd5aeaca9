import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { requestLog } from "../lib/log";
import type { AppEnv } from "../lib/context";
import { bodyLimit } from "../lib/body-limit";
import { ApiError, badRequest, conflict, notFound } from "../lib/errors";
import { countDelivery, tooManyDeliveries, webhookRate } from "../triggers/webhook-rate";
import { fireTrigger, loadTrigger } from "../triggers/fire";
import { mapInputs } from "../triggers/input-map";
import { acceptedSecrets, refusal } from "../triggers/secret-rotation";
import { verifyWebhook } from "../triggers/webhook-signature";
import { errorResponse } from "./app";
import { refuseUnfitBody } from "./well-formed";
import { tieToTask } from "../task/create";
import { INTERRUPTED_AFTER_MS, requestTask } from "../task/interrupted";

const DEDUP_MS = 7 * 24 * 3600 * 1000;
const CLAIM_MS = INTERRUPTED_AFTER_MS;

/**
 * `POST /hooks/{trigger_id}`: no bearer token; the Standard Webhooks signature
 * made with the trigger's secret is the credential. The JSON body becomes the
 * plan's inputs; a repeated `webhook-id` is acknowledged and starts nothing.
 */
export const hooksApi = new Hono<AppEnv>();

hooksApi.use("*", requestId({ headerName: "x-request-id" }));
hooksApi.use("*", requestLog);
hooksApi.use("*", bodyLimit);

hooksApi.post("/:trigger_id", async (c) => {
  const id = c.req.param("trigger_id");
  // signed as sent: text() would drop a BOM and replace bytes that are not UTF-8, so a right signature failed
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const t = id.length <= 100 ? await loadTrigger(c.env.DB, id) : null;
  if (!t || t.kind !== "webhook" || !t.secret) throw notFound("webhook trigger");
  const now = Date.now();
  const check = await verifyWebhook(acceptedSecrets(t, now), c.req.raw.headers, raw, Math.floor(now / 1000));
  if (!check.ok) throw new ApiError("unauthorized", `webhook signature refused: ${await refusal(t, check, c.req.raw.headers, raw, now)}`, { reason: check.reason });
  // counted once signed: anyone who knows the URL could otherwise spend the sender's minute with junk
  const verdict = await countDelivery(c.env, t);
  if (verdict && !verdict.ok) throw tooManyDeliveries(verdict, webhookRate(c.env, t)!, t.rate_limit_per_min !== null);
  if (t.paused) throw conflict("this trigger is paused");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw badRequest("the request body is not UTF-8 text, as JSON must be");
  }
  let inputs: unknown;
  try {
    inputs = text.trim() ? JSON.parse(text) : {};
  } catch {
    throw badRequest("the request body is not valid JSON");
  }
  if (t.input_map === null && (typeof inputs !== "object" || inputs === null || Array.isArray(inputs))) {
    throw badRequest("the body must be a JSON object: it becomes the plan's inputs (or give the trigger an input_map)");
  }
  if (t.input_map !== null) inputs = mapInputs(inputs, JSON.parse(t.input_map) as Record<string, string>);
  // what an input_map leaves is ignored, so only what reaches the plan is checked
  refuseUnfitBody(inputs);

  const d1 = c.env.DB;
  const inHand = () => conflict("a delivery with this webhook-id is being handled; retry later", { webhook_id: check.id });
  for (let attempt = 0; ; attempt++) {
    const [claim] = await d1.batch([
      // a claim with no task after CLAIM_MS died with its process (the task's row and the claim's task_id are one batch): taken over
      d1.prepare(
        `INSERT INTO webhook_deliveries (trigger_id, webhook_id, received_at) VALUES (?, ?, ?)
         ON CONFLICT (trigger_id, webhook_id) DO UPDATE SET received_at = excluded.received_at
         WHERE webhook_deliveries.task_id IS NULL AND webhook_deliveries.received_at < ?`,
      ).bind(t.id, check.id, now, now - CLAIM_MS),
      d1.prepare("DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries WHERE received_at < ? LIMIT 20)").bind(now - DEDUP_MS),
    ]);
    if (claim.meta.changes === 1) break;
    const seen = await d1.prepare("SELECT task_id, received_at FROM webhook_deliveries WHERE trigger_id = ? AND webhook_id = ?").bind(t.id, check.id).first<{ task_id: string | null; received_at: number }>();
    if (!seen && attempt === 0) continue;
    // still being handled: not acknowledged, so the sender retries, and gets the task or takes the claim over
    if (!seen?.task_id) throw inHand();
    // acknowledged only once the task's object holds it: a create cut off before its start is undone and started again
    const fate = await requestTask(c.env, t.org_id, seen.task_id, seen.received_at, now);
    if (fate === "stored") return c.json({ duplicate: true, webhook_id: check.id, task_id: seen.task_id }, 200);
    if (fate === "pending" || attempt > 0) throw inHand();
  }
  try {
    const also = tieToTask(d1, "webhook_deliveries", "trigger_id = ?2 AND webhook_id = ?3", t.id, check.id);
    const task = await fireTrigger(c.env, t, { inputs: inputs as Record<string, unknown>, also });
    return c.json({ duplicate: false, webhook_id: check.id, task_id: task.id, task }, 202);
  } catch (e) {
    // No task written, so a redelivery of the same id may try again; one whose task was written is settled by it (requestTask)
    await d1.prepare("DELETE FROM webhook_deliveries WHERE trigger_id = ? AND webhook_id = ? AND task_id IS NULL").bind(t.id, check.id).run();
    throw e;
  }
});

hooksApi.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}`, request_id: c.get("requestId") } }, 404));
hooksApi.onError(errorResponse);
