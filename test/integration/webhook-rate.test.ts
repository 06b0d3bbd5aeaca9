import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signWebhook } from "../../worker/triggers/webhook-signature";
import { api, BASE, expectError, workerFetch } from "../helpers";

const plan = { name: "Rate hook", params: [{ name: "repo" }], steps: [{ id: "a", agent: "writer", instructions: "@output ok" }] };
const instance = Number(env.WEBHOOK_RATE_LIMIT_PER_MIN);

async function makeWebhook(extra: Record<string, unknown> = {}) {
  const p = await api("POST", "/plans", { body: plan });
  const res = await api("POST", "/triggers", { body: { kind: "webhook", plan_id: p.json.id, ...extra } });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; secret: string; rate_limit_per_min: number | null; effective_rate_limit_per_min: number | null };
}

async function deliver(t: { id: string; secret: string }) {
  const id = `msg_${crypto.randomUUID()}`;
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ repo: "a/b" });
  const res = await workerFetch(
    new Request(`${BASE}/hooks/${t.id}`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": await signWebhook(t.secret, id, ts, body) },
      body,
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

const tasksOf = async (triggerId: string) => (await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE trigger_id = ?").bind(triggerId).first<{ n: number }>())!.n;

describe("webhook delivery rate limit", () => {
  it("applies the instance's WEBHOOK_RATE_LIMIT_PER_MIN to a trigger without its own, and says so", async () => {
    expect(instance).toBeGreaterThan(0);
    const t = await makeWebhook();
    expect(t).toMatchObject({ rate_limit_per_min: null, effective_rate_limit_per_min: instance });
    const listed = (await api("GET", "/triggers")).json.items.find((x: { id: string }) => x.id === t.id);
    expect(listed).toMatchObject({ rate_limit_per_min: null, effective_rate_limit_per_min: instance });
    const cron = (await api("POST", "/triggers", { body: { kind: "cron", plan_id: (await api("POST", "/plans", { body: plan })).json.id, cron: "0 9 * * *" } })).json;
    expect(cron).toMatchObject({ rate_limit_per_min: null, effective_rate_limit_per_min: null });
  });

  it("refuses deliveries past the trigger's own limit with 429 and Retry-After, starting no task", async () => {
    const t = await makeWebhook({ rate_limit_per_min: 3 });
    expect(t).toMatchObject({ rate_limit_per_min: 3, effective_rate_limit_per_min: 3 });
    const first = Date.now();
    for (let i = 0; i < 3; i++) expect((await deliver(t)).status).toBe(202);
    const refused = await deliver(t);
    const took = Date.now() - first;
    expectError(refused, 429, "rate_limited");
    expect(refused.json.error.message).toMatch(/at most 3 deliveries a minute \(its own rate_limit_per_min\); retry in \d+s/);
    expect(refused.json.error.details).toMatchObject({ limit_per_min: 3 });
    const after = Number(refused.headers.get("retry-after"));
    expect(after).toBeGreaterThan(0);
    // a fourth fits once the first of the three is a minute old: a minute less what the four deliveries took, in whole
    // seconds rounded up (59–60 on a quiet machine, less on one busy enough to take seconds over them)
    expect(after).toBeGreaterThanOrEqual(Math.floor(60 - took / 1000));
    expect(after).toBeLessThanOrEqual(60);
    expect(await tasksOf(t.id)).toBe(3);
  });

  it("counts exactly: of many deliveries at once, the limit's worth start tasks", async () => {
    const t = await makeWebhook({ rate_limit_per_min: 4 });
    const statuses = await Promise.all(Array.from({ length: 12 }, () => deliver(t).then((r) => r.status)));
    expect(statuses.filter((s) => s === 202)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
    expect(await tasksOf(t.id)).toBe(4);
  });

  it("takes a change at once: raising the limit lets the next delivery in, null goes back to the instance's", async () => {
    const t = await makeWebhook({ rate_limit_per_min: 1 });
    expect((await deliver(t)).status).toBe(202);
    expectError(await deliver(t), 429, "rate_limited");
    const raised = await api("PATCH", `/triggers/${t.id}`, { body: { rate_limit_per_min: 5 } });
    expect(raised.status, raised.text).toBe(200);
    expect(raised.json).toMatchObject({ rate_limit_per_min: 5, effective_rate_limit_per_min: 5 });
    expect((await deliver(t)).status).toBe(202);
    const reset = await api("PATCH", `/triggers/${t.id}`, { body: { rate_limit_per_min: null } });
    expect(reset.json).toMatchObject({ rate_limit_per_min: null, effective_rate_limit_per_min: instance });
    const audit = await api("GET", `/audit?action=trigger.update&target=${t.id}`);
    expect(audit.json.items.map((e: { details: unknown }) => e.details)).toEqual([{ rate_limit_per_min: null }, { rate_limit_per_min: 5 }]);
  });

  it("refuses a limit that is not a whole number from 1 to 100,000, or on a cron trigger, with 400, changing nothing", async () => {
    const p = (await api("POST", "/plans", { body: plan })).json;
    for (const bad of [0, -1, 1.5, 100_001, "10"]) {
      expectError(await api("POST", "/triggers", { body: { kind: "webhook", plan_id: p.id, rate_limit_per_min: bad } }), 400, "bad_request");
    }
    expectError(await api("POST", "/triggers", { body: { kind: "cron", plan_id: p.id, cron: "0 9 * * *", rate_limit_per_min: 5 } }), 400, "bad_request");
    const t = await makeWebhook({ rate_limit_per_min: 7 });
    const res = await api("PATCH", `/triggers/${t.id}`, { body: { rate_limit_per_min: 0 } });
    expectError(res, 400, "bad_request");
    expect(res.json.error.details).toEqual([expect.objectContaining({ path: "rate_limit_per_min" })]);
    expect((await api("GET", `/triggers/${t.id}`)).json.rate_limit_per_min).toBe(7);
    const cron = (await api("POST", "/triggers", { body: { kind: "cron", plan_id: p.id, cron: "0 9 * * *" } })).json;
    expectError(await api("PATCH", `/triggers/${cron.id}`, { body: { rate_limit_per_min: 5 } }), 400, "bad_request");
  });
});
