import { createRoute, z } from "@hono/zod-openapi";
import type { Bindings } from "../env";
import { log } from "../lib/log";
import { orgFeed } from "../live/org-feed";
import { taskStub } from "../task/stub";
import { newApp } from "./app";
import { json } from "./schemas";

/** A dependency that does not answer in this long counts as down, so the check itself never hangs a load balancer. */
export const HEALTH_TIMEOUT_MS = 1500;

const Check = z.object({ ok: z.boolean(), ms: z.number().int(), error: z.string().optional() }).openapi("HealthCheck");
const Health = z
  .object({
    ok: z.boolean(),
    d1: z.boolean(),
    durable_objects: z.boolean(),
    version: z.string(),
    checks: z.object({ d1: Check, task_runner: Check, org_feed: Check }),
  })
  .openapi("Health");

type CheckT = z.infer<typeof Check>;

async function probe(run: () => Promise<unknown>): Promise<CheckT> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([run(), timeout]);
    return { ok: true, ms: Date.now() - started };
  } catch (e) {
    return { ok: false, ms: Date.now() - started, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** D1 with the index schema in place, and one object of each class the API calls on every task and dashboard. */
export async function checkHealth(env: Pick<Bindings, "DB" | "TASK_RUNNER" | "ORG_FEED">) {
  const [d1, task_runner, org_feed] = await Promise.all([
    probe(() => env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE id = 'health'").first()),
    probe(() => taskStub(env, "health").detail()),
    probe(() => orgFeed(env, "health").openStreams()),
  ]);
  const durable_objects = task_runner.ok && org_feed.ok;
  return { ok: d1.ok && durable_objects, d1: d1.ok, durable_objects, version: "0.1.0", checks: { d1, task_runner, org_feed } };
}

/** No auth: load balancers and `npm start` poll it. 503 when D1 or the Durable Objects cannot be reached. */
export const healthApi = newApp().openapi(
  createRoute({ method: "get", path: "/", tags: ["health"], summary: "Readiness: D1 and Durable Object reachability, with each check's latency", responses: { 200: json(Health, "Ready"), 503: json(Health, "Not ready") } }),
  async (c) => {
    const health = await checkHealth(c.env);
    if (!health.ok) log("warn", "health check failed", { checks: health.checks });
    c.header("cache-control", "no-store");
    return c.json(health, health.ok ? 200 : 503);
  },
);
