import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../worker/lib/canonical-json";
import { sha256Hex } from "../../worker/lib/crypto";
import { api, expectError, makeOrg, tokenWithRole } from "../helpers";

const post = (path: string, body: unknown, key: string, token?: string) => api("POST", path, { body, token, headers: { "idempotency-key": key } });
const countTitled = async (title: string) => (await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE title = ?").bind(title).first<{ n: number }>())!.n;

describe("Idempotency-Key", () => {
  it("returns the first result for the same key and body: same status, same body, one task", async () => {
    const key = crypto.randomUUID();
    const body = { agent: "researcher", title: "idem once", description: "@output ok" };
    const first = await post("/tasks", body, key);
    expect(first.status, first.text).toBe(201);
    const again = await post("/tasks", body, key);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await countTitled("idem once")).toBe(1);
  });

  it("takes the same JSON written with other spacing or key order as the same request", async () => {
    const key = crypto.randomUUID();
    const first = await api("POST", "/tasks", { raw: '{"agent":"researcher","title":"idem spaced","description":"@output ok"}', headers: { "idempotency-key": key, "content-type": "application/json" } });
    expect(first.status, first.text).toBe(201);
    const again = await api("POST", "/tasks", { raw: '{ "description": "@output ok",\n  "title": "idem spaced", "agent": "researcher" }', headers: { "idempotency-key": key, "content-type": "application/json" } });
    expect(again.status, again.text).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    expect(await countTitled("idem spaced")).toBe(1);
  });

  it("answers 422 for the same key with another body, or on another route", async () => {
    const key = crypto.randomUUID();
    expect((await post("/tasks", { agent: "researcher", title: "idem a" }, key)).status).toBe(201);
    expectError(await post("/tasks", { agent: "researcher", title: "idem b" }, key), 422, "unprocessable");
    const plan = await api("POST", "/plans", { body: { name: "p", steps: [{ id: "s", agent: "researcher", instructions: "@output x" }] } });
    expectError(await post(`/plans/${plan.json.id}/run`, { agent: "researcher", title: "idem a" }, key), 422, "unprocessable");
    expect(await countTitled("idem b")).toBe(0);
  });

  it("runs concurrent duplicates once and gives them all the first result", async () => {
    const key = crypto.randomUUID();
    const body = { agent: "researcher", title: "idem burst", description: "@output ok" };
    const all = await Promise.all(Array.from({ length: 12 }, () => post("/tasks", body, key)));
    expect(all.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(new Set(all.map((r) => r.json.id)).size).toBe(1);
    expect(await countTitled("idem burst")).toBe(1);
  });

  it("is scoped per organization and token", async () => {
    const key = crypto.randomUUID();
    const body = { agent: "researcher", title: "idem scoped", description: "@output ok" };
    const a = await post("/tasks", body, key);
    const b = await post("/tasks", body, key, await tokenWithRole("member"));
    const c = await post("/tasks", body, key, await makeOrg("org_idem"));
    expect(new Set([a.json.id, b.json.id, c.json.id]).size).toBe(3);
  });

  it("works on POST /plans/{id}/run", async () => {
    const plan = await api("POST", "/plans", { body: { name: "idem plan", params: [{ name: "x", required: true }], steps: [{ id: "s", agent: "researcher", instructions: "{{params.x}}" }] } });
    const key = crypto.randomUUID();
    const first = await post(`/plans/${plan.json.id}/run`, { inputs: { x: "1" } }, key);
    expect(first.status, first.text).toBe(201);
    const again = await post(`/plans/${plan.json.id}/run`, { inputs: { x: "1" } }, key);
    expect(again.text).toBe(first.text);
    expectError(await post(`/plans/${plan.json.id}/run`, { inputs: { x: "2" } }, key), 422, "unprocessable");
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE plan_id = ?").bind(plan.json.id).first<{ n: number }>())!;
    expect(n).toBe(1);
  });

  it("does not keep a failure: the key is free again", async () => {
    const key = crypto.randomUUID();
    expectError(await post("/tasks", { agent: "nobody", title: "idem fail" }, key), 422, "unprocessable");
    expectError(await post("/tasks", { agent: "nobody", title: "idem fail" }, key), 422, "unprocessable");
    expect((await post("/tasks", { agent: "researcher", title: "idem fail" }, key)).status).toBe(201);
  });

  it("refuses a malformed key, and without a key every request counts", async () => {
    expectError(await post("/tasks", { agent: "researcher", title: "t" }, "x".repeat(256)), 400, "bad_request");
    expectError(await post("/tasks", { agent: "researcher", title: "t" }, "has space"), 400, "bad_request");
    const body = { agent: "researcher", title: "idem none" };
    await api("POST", "/tasks", { body });
    await api("POST", "/tasks", { body });
    expect(await countTitled("idem none")).toBe(2);
  });

  it("lets the next request take over a reservation left unanswered for a minute (its process stopped)", async () => {
    const key = crypto.randomUUID();
    const body = { agent: "researcher", title: "idem cut off" };
    const seed = crypto.randomUUID();
    await post("/tasks", { agent: "researcher", title: "idem seed" }, seed);
    const { org_id, token_id } = (await env.DB.prepare("SELECT org_id, token_id FROM idempotency_keys WHERE key = ?").bind(seed).first<{ org_id: string; token_id: string }>())!;
    const fingerprint = await sha256Hex(`POST /api/v1/tasks\n${canonicalJson(JSON.stringify(body))}`);
    const reserve = (age: number) =>
      env.DB.prepare("INSERT OR REPLACE INTO idempotency_keys (org_id, token_id, key, fingerprint, owner, created_at) VALUES (?, ?, ?, ?, 'gone', ?)")
        .bind(org_id, token_id, key, fingerprint, Date.now() - age)
        .run();
    await reserve(5_000);
    expectError(await post("/tasks", body, key), 409, "conflict");
    await reserve(61_000);
    const retried = await post("/tasks", body, key);
    expect(retried.status, retried.text).toBe(201);
    expect((await post("/tasks", body, key)).headers.get("idempotent-replayed")).toBe("true");
    expect(await countTitled("idem cut off")).toBe(1);
  });

  it("after a restart, answers with the task a cut-off create made, or makes it when that create never started it", async () => {
    const key = crypto.randomUUID();
    const body = { agent: "researcher", title: `idem made ${key.slice(0, 6)}` };
    const first = await post("/tasks", body, key);
    expect(first.status).toBe(201);
    const tie = () => env.DB.prepare("SELECT task_id FROM idempotency_keys WHERE key = ?").bind(key).first<{ task_id: string | null }>();
    // the tie is written in the create's own batch
    expect(await tie()).toEqual({ task_id: first.json.id });
    // the process stopped after the task started, before the key stored the answer
    const cutOff = () => env.DB.prepare("UPDATE idempotency_keys SET status = NULL, response = NULL, owner = 'gone', created_at = ? WHERE key = ?").bind(Date.now() - 61_000, key).run();
    await cutOff();
    const replayed = await post("/tasks", body, key);
    expect(replayed.status, replayed.text).toBe(201);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.json.id).toBe(first.json.id);
    expect(await countTitled(body.title)).toBe(1);

    // the process stopped after the task's row, before its object stored it: undone, and the retry makes the task
    const ghostKey = crypto.randomUUID();
    const ghostBody = { agent: "researcher", title: `idem ghost ${ghostKey.slice(0, 6)}` };
    const made = await post("/tasks", ghostBody, ghostKey);
    const ghost = `tsk_ghost_${ghostKey.slice(0, 8)}`;
    await env.DB.batch([
      env.DB.prepare("UPDATE tasks SET id = ?, index_version = 0, status = 'pending' WHERE id = ?").bind(ghost, made.json.id),
      env.DB.prepare("UPDATE idempotency_keys SET task_id = ?, status = NULL, response = NULL, owner = 'gone', created_at = ? WHERE key = ?").bind(ghost, Date.now() - 61_000, ghostKey),
    ]);
    const retried = await post("/tasks", ghostBody, ghostKey);
    expect(retried.status, retried.text).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    expect(retried.json.id).not.toBe(ghost);
    expect(await env.DB.prepare("SELECT id FROM tasks WHERE id = ?").bind(ghost).first()).toBeNull();
  });

  it("expires after a day", async () => {
    const key = crypto.randomUUID();
    const body = { agent: "researcher", title: "idem expiry" };
    const first = await post("/tasks", body, key);
    await env.DB.prepare("UPDATE idempotency_keys SET created_at = created_at - 86400001 WHERE key = ?").bind(key).run();
    const later = await post("/tasks", { ...body, description: "another" }, key);
    expect(later.status).toBe(201);
    expect(later.json.id).not.toBe(first.json.id);
  });
});
