import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../worker/lib/canonical-json";
import { sha256Hex } from "../../worker/lib/crypto";
import worker from "../../worker/index";
import { ADMIN, api, BASE, expectError, makeOrg, tokenWithRole, waitForStatus } from "../helpers";

const post = (path: string, body: unknown, key: string, token?: string) => api("POST", path, { body, token, headers: { "idempotency-key": key } });
const countTitled = async (title: string) => (await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE title = ?").bind(title).first<{ n: number }>())!.n;

/** Reserves a key of the admin token's for a `POST /tasks` of `body`, as a request (`owner`) that has not answered would hold it since `age` ms ago. */
async function reserver() {
  const seed = crypto.randomUUID();
  await post("/tasks", { agent: "researcher", title: "idem seed" }, seed);
  const { org_id, token_id } = (await env.DB.prepare("SELECT org_id, token_id FROM idempotency_keys WHERE key = ?").bind(seed).first<{ org_id: string; token_id: string }>())!;
  return async (key: string, body: unknown, owner: string, age: number) => {
    const fingerprint = await sha256Hex(`POST /api/v1/tasks\n${canonicalJson(JSON.stringify(body))}`);
    await env.DB.prepare("INSERT OR REPLACE INTO idempotency_keys (org_id, token_id, key, fingerprint, owner, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(org_id, token_id, key, fingerprint, owner, Date.now() - age)
      .run();
  };
}

/** `target`'s properties, functions bound to it, but where `hook` answers something else. */
function intercept<T extends object>(target: T, hook: (prop: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      const hooked = hook(prop);
      if (hooked !== undefined) return hooked;
      const value = Reflect.get(t, prop);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}

/** The real D1, counting the `first()` reads of statements whose SQL starts with `prefix`. */
function countingFirst(prefix: string) {
  const counts = { reads: 0 };
  const counted = (stmt: D1PreparedStatement): D1PreparedStatement =>
    intercept(stmt, (p) =>
      p === "bind" ? (...args: unknown[]) => counted(stmt.bind(...args)) : p === "first" ? (...args: [string?]) => (counts.reads++, stmt.first(...(args as []))) : undefined,
    );
  const db = intercept(env.DB, (p) => (p === "prepare" ? (sql: string) => (sql.startsWith(prefix) ? counted(env.DB.prepare(sql)) : env.DB.prepare(sql)) : undefined));
  return { db, counts };
}

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
    // where the task is, as the first answer said
    expect(first.headers.get("location")).toBe(`/api/v1/tasks/${first.json.id}`);
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
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
    for (const key of ["x".repeat(256), "has space", "é"]) {
      const res = await post("/tasks", { agent: "researcher", title: "t" }, key);
      expectError(res, 400, "bad_request");
      // named as the header, as a bad Last-Event-ID is
      expect(res.json.error.details).toEqual([{ path: '["idempotency-key"]', message: expect.any(String) }]);
    }
    const body = { agent: "researcher", title: "idem none" };
    await api("POST", "/tasks", { body });
    await api("POST", "/tasks", { body });
    expect(await countTitled("idem none")).toBe(2);
  });

  it("lets the next request take over a reservation left unanswered for a minute (its process stopped)", async () => {
    const key = crypto.randomUUID();
    const body = { agent: "researcher", title: "idem cut off" };
    const reserve = await reserver();
    await reserve(key, body, "gone", 5_000);
    expectError(await post("/tasks", body, key), 409, "conflict");
    await reserve(key, body, "gone", 61_000);
    const retried = await post("/tasks", body, key);
    expect(retried.status, retried.text).toBe(201);
    expect((await post("/tasks", body, key)).headers.get("idempotent-replayed")).toBe("true");
    expect(await countTitled("idem cut off")).toBe(1);
  });

  it("waits for a twin still answering with reads at growing gaps, and replays its answer once it lands", async () => {
    const key = crypto.randomUUID();
    const body = { agent: "researcher", title: "idem twin" };
    await (await reserver())(key, body, "twin", 0);
    const { db, counts } = countingFirst("SELECT fingerprint, owner");
    const answer = JSON.stringify({ id: "tsk_twin", title: "idem twin" });
    const t0 = Date.now();
    let landed = Number.POSITIVE_INFINITY;
    setTimeout(async () => {
      await env.DB.prepare("UPDATE idempotency_keys SET status = 201, response = ?, location = '/api/v1/tasks/tsk_twin' WHERE key = ?").bind(answer, key).run();
      landed = Date.now();
    }, 1500);
    const res = await worker.fetch(
      new Request(`${BASE}/api/v1/tasks`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", "idempotency-key": key }, body: JSON.stringify(body) }),
      { ...env, DB: db },
      createExecutionContext(),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("idempotent-replayed")).toBe("true");
    expect(await res.text()).toBe(answer);
    // seen within a gap of the answer landing: 25 ms, doubling, at most 400 ms apart
    const waited = Date.now() - t0;
    expect(Date.now() - landed).toBeLessThan(400 + 300);
    // 25 + 50 + 100 + 200 ms, then one read each 400 ms (about seven for 1.5 s), where a read every 25 ms would be sixty
    expect(counts.reads).toBeGreaterThanOrEqual(5);
    expect(counts.reads).toBeLessThanOrEqual(5 + Math.ceil(waited / 400));
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
    expect(replayed.headers.get("location")).toBe(`/api/v1/tasks/${first.json.id}`);
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

describe("Idempotency-Key beyond task creation", () => {
  const replays = async (path: string, body: unknown, status: number) => {
    const key = crypto.randomUUID();
    const first = await post(path, body, key);
    expect(first.status, `${path}: ${first.text}`).toBe(status);
    const again = await post(path, body, key);
    expect(again.status, `${path}: ${again.text}`).toBe(status);
    expect(again.headers.get("idempotent-replayed"), path).toBe("true");
    expect(again.text, path).toBe(first.text);
    if (status === 201) expect(again.headers.get("location"), path).toMatch(/^\/api\/v1\//);
    expect(again.headers.get("location"), path).toBe(first.headers.get("location"));
    return first;
  };

  it("replays creates of agents, plans, triggers and subscriptions rather than making a second or a 409", async () => {
    const name = `idem-agent-${crypto.randomUUID().slice(0, 6)}`;
    const agent = await replays("/agents", { name, model: "sim", system_prompt: "x" }, 201);
    expect((await api("GET", `/agents/${name}`)).json.id).toBe(agent.json.id);
    const planName = `idem plan ${crypto.randomUUID().slice(0, 6)}`;
    const plan = await replays("/plans", { name: planName, steps: [{ id: "s", agent: "researcher", instructions: "@output x" }] }, 201);
    const plans = (await api("GET", "/plans?limit=100")).json.items.filter((p: { name: string }) => p.name === planName);
    expect(plans).toHaveLength(1);
    const trigger = await replays("/triggers", { kind: "webhook", plan_id: plan.json.id }, 201);
    expect(trigger.json.secret).toMatch(/^whsec_/);
    const triggers = (await api("GET", "/triggers?limit=100")).json.items.filter((t: { plan_id: string }) => t.plan_id === plan.json.id);
    expect(triggers).toHaveLength(1);
    const subscription = await replays("/notifications/subscriptions", { url: `https://hooks.example.invalid/${crypto.randomUUID()}`, events: ["task.failed"] }, 201);
    // the default organization's tasks that fail later, in the other files this runtime runs, would be delivered to it
    expect((await api("DELETE", `/notifications/subscriptions/${subscription.json.id}`)).status).toBe(204);
  });

  it("replays a trigger's create with its secret only while that is still the current one, else null and why", async () => {
    const plan = await api("POST", "/plans", { body: { name: "idem rotated", steps: [{ id: "s", agent: "researcher", instructions: "@output x" }] } });
    const body = { kind: "webhook", plan_id: plan.json.id };
    const key = crypto.randomUUID();
    const first = await post("/triggers", body, key);
    expect(first.status, first.text).toBe(201);
    expect((await post("/triggers", body, key)).text).toBe(first.text);
    const id = first.json.id as string;
    await api("POST", `/triggers/${id}/rotate-secret`, { body: { grace_seconds: 3600 } });
    const within = await post("/triggers", body, key);
    expect(within.status).toBe(201);
    expect(within.headers.get("idempotent-replayed")).toBe("true");
    const expires = (await api("GET", `/triggers/${id}`)).json.previous_secret_expires_at;
    expect(within.json).toEqual({ ...first.json, secret: null, secret_note: expect.stringContaining(`accepted until ${expires}`) });
    await api("POST", `/triggers/${id}/rotate-secret`, { body: { grace_seconds: 0 } });
    const after = await post("/triggers", body, key);
    expect(after.json).toEqual({ ...first.json, secret: null, secret_note: expect.stringContaining("no longer accepted") });
    expect(after.text).not.toContain(first.json.secret);
    expect((await api("DELETE", `/triggers/${id}`)).status).toBe(204);
    expect((await post("/triggers", body, key)).json).toMatchObject({ id, secret: null, secret_note: expect.stringContaining("deleted") });
    // a cron trigger has no secret to replay
    const cron = { kind: "cron", plan_id: plan.json.id, cron: "0 0 1 1 *" };
    const cronKey = crypto.randomUUID();
    const made = await post("/triggers", cron, cronKey);
    expect((await post("/triggers", cron, cronKey)).text).toBe(made.text);
  });

  it("asks a replay's token for the role its request was checked for: one demoted since is refused the answer (a webhook's secret)", async () => {
    const made = await api("POST", "/tokens", { body: { name: `demoted-${crypto.randomUUID().slice(0, 6)}`, role: "admin" } });
    expect(made.status, made.text).toBe(201);
    const token = made.json.token as string;
    const plan = await api("POST", "/plans", { body: { name: "idem demoted", steps: [{ id: "s", agent: "researcher", instructions: "@output x" }] } });
    const trigger = { kind: "webhook", plan_id: plan.json.id };
    const [triggerKey, taskKey] = [crypto.randomUUID(), crypto.randomUUID()];
    const first = await post("/triggers", trigger, triggerKey, token);
    expect(first.status, first.text).toBe(201);
    const task = await post("/tasks", { agent: "researcher", title: "idem demoted task" }, taskKey, token);
    expect(task.status, task.text).toBe(201);
    expect((await api("PATCH", `/tokens/${made.json.id}`, { body: { role: "member" } })).status).toBe(200);
    // a member's own action still replays; an admin's is 403, as the request itself is now
    expect((await post("/tasks", { agent: "researcher", title: "idem demoted task" }, taskKey, token)).text).toBe(task.text);
    const refused = await post("/triggers", trigger, triggerKey, token);
    expectError(refused, 403, "forbidden");
    expect(refused.text).not.toContain(first.json.secret);
    expect((await api("PATCH", `/tokens/${made.json.id}`, { body: { role: "viewer" } })).status).toBe(200);
    expectError(await post("/tasks", { agent: "researcher", title: "idem demoted task" }, taskKey, token), 403, "forbidden");
    // promoted again, the kept answer is its own once more
    expect((await api("PATCH", `/tokens/${made.json.id}`, { body: { role: "admin" } })).status).toBe(200);
    expect((await post("/triggers", trigger, triggerKey, token)).text).toBe(first.text);
    expect((await api("DELETE", `/triggers/${first.json.id}`)).status).toBe(204);
  });

  it("replays a notification subscription's create or rotation with its secret only while notifications are signed with it", async () => {
    const body = { url: `https://hooks.example.invalid/${crypto.randomUUID()}`, events: ["task.failed"] };
    const key = crypto.randomUUID();
    const first = await post("/notifications/subscriptions", body, key);
    expect(first.status, first.text).toBe(201);
    expect((await post("/notifications/subscriptions", body, key)).text).toBe(first.text);
    const id = first.json.id as string;
    const rotateKey = crypto.randomUUID();
    const rotated = await post(`/notifications/subscriptions/${id}/rotate-secret`, {}, rotateKey);
    expect(rotated.status, rotated.text).toBe(200);
    const replay = await post("/notifications/subscriptions", body, key);
    expect(replay.json).toEqual({ ...first.json, secret: null, secret_note: expect.stringContaining("rotated since") });
    expect(replay.text).not.toContain(first.json.secret);
    // the rotation's own replay still shows the secret that signs now
    expect((await post(`/notifications/subscriptions/${id}/rotate-secret`, {}, rotateKey)).json.secret).toBe(rotated.json.secret);
    expect((await api("DELETE", `/notifications/subscriptions/${id}`)).status).toBe(204);
    expect((await post(`/notifications/subscriptions/${id}/rotate-secret`, {}, rotateKey)).json).toMatchObject({ secret: null, secret_note: expect.stringContaining("deleted") });
  });

  it("rotates a trigger's secret once for a repeated rotation, so a retry never ends the window of the secret the sender uses", async () => {
    const plan = await api("POST", "/plans", { body: { name: "idem rotation", steps: [{ id: "s", agent: "researcher", instructions: "@output x" }] } });
    const made = await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.json.id } });
    const id = made.json.id as string;
    const key = crypto.randomUUID();
    const first = await post(`/triggers/${id}/rotate-secret`, { grace_seconds: 600 }, key);
    expect(first.status, first.text).toBe(200);
    const again = await post(`/triggers/${id}/rotate-secret`, { grace_seconds: 600 }, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    const row = await env.DB.prepare("SELECT secret, previous_secret FROM triggers WHERE id = ?").bind(id).first<{ secret: string; previous_secret: string }>();
    expect(row).toEqual({ secret: first.json.secret, previous_secret: made.json.secret });
    expectError(await post(`/triggers/${id}/rotate-secret`, { grace_seconds: 60 }, key), 422, "unprocessable");
    await api("POST", `/triggers/${id}/rotate-secret`, { body: { grace_seconds: 0 } });
    expect((await post(`/triggers/${id}/rotate-secret`, { grace_seconds: 600 }, key)).json).toEqual({ ...first.json, secret: null, secret_note: expect.stringContaining("no longer accepted") });
  });

  it("starts one task for a repeated rerun, trigger run or chat run", async () => {
    const plan = await api("POST", "/plans", { body: { name: "idem runs", steps: [{ id: "s", agent: "researcher", instructions: "@output x" }] } });
    const trigger = await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.json.id } });
    const fired = await replays(`/triggers/${trigger.json.id}/run`, {}, 201);
    // the key ties the task in its create's batch, as on POST /tasks
    expect((await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE task_id = ?").bind(fired.json.id).first<{ n: number }>())!.n).toBe(1);
    await waitForStatus(fired.json.id, ["completed"]);
    const rerun = await replays(`/tasks/${fired.json.id}/rerun`, { from_step: "s" }, 201);
    const conv = await api("POST", "/chat", { body: { message: "Research the top competitors." } });
    const ran = await replays(`/chat/${conv.json.id}/run`, {}, 201);
    for (const [of, n] of [["trigger_id", trigger.json.id], ["rerun_of", fired.json.id]] as const) {
      expect((await env.DB.prepare(`SELECT count(*) AS n FROM tasks WHERE ${of} = ?`).bind(n).first<{ n: number }>())!.n, of).toBe(1);
    }
    expect(rerun.json.rerun_of).toBe(fired.json.id);
    const started = (await api("GET", `/chat/${conv.json.id}`)).json.messages.filter((m: { content: string }) => m.content.startsWith("Started task"));
    expect(started.map((m: { content: string }) => m.content)).toEqual([expect.stringContaining(ran.json.id)]);
  });

  it("answers a repeated respond, approve or reject with its first answer, not 409", async () => {
    const asking = await api("POST", "/tasks", { body: { agent: "researcher", title: "idem ask", description: "@ask Which?\n@output ok" } });
    const waiting = await waitForStatus(asking.json.id, ["needs_input"]);
    const { call_id } = waiting.pending[0];
    await replays(`/sessions/${waiting.session_id}/respond`, { call_id, answers: ["that one"] }, 200);
    expectError(await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id, answers: ["that one"] } }), 409, "conflict");

    const plan = await api("POST", "/plans", { body: { name: "idem review", steps: [{ id: "a", agent: "writer", instructions: "@output a", approval: true }, { id: "b", agent: "writer", instructions: "@output b", approval: true }] } });
    const task = await api("POST", `/plans/${plan.json.id}/run`, { body: {} });
    await waitForStatus(task.json.id, ["needs_input"]);
    await replays(`/tasks/${task.json.id}/steps/a/approve`, undefined, 200);
    await replays(`/tasks/${task.json.id}/steps/b/reject`, { comment: "shorter" }, 200);
  });

  it("keeps a streamed chat reply whole and replays it as the same event stream, sending the message once", async () => {
    const conv = await api("POST", "/chat", { body: {} });
    const key = crypto.randomUUID();
    const send = () =>
      api("POST", `/chat/${conv.json.id}/messages`, { body: { content: "Research the top competitors." }, headers: { "idempotency-key": key, accept: "text/event-stream" } });
    const first = await send();
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get("content-type")).toContain("text/event-stream");
    let again = await send();
    for (let i = 0; i < 100 && again.status === 409; i++) again = await send();
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("content-type")).toContain("text/event-stream");
    expect(again.text).toBe(first.text);
    expect((await api("GET", `/chat/${conv.json.id}`)).json.messages.filter((m: { role: string }) => m.role === "user")).toHaveLength(1);
  });

  it("is refused, not ignored, where the answer holds a secret that is never kept (tokens, organizations)", async () => {
    const name = `idem-token-${crypto.randomUUID().slice(0, 6)}`;
    const refused = await post("/tokens", { name, role: "viewer" }, crypto.randomUUID());
    expectError(refused, 400, "bad_request");
    expect(refused.json.error.message).toContain("Idempotency-Key");
    expect((await api("GET", "/tokens?limit=100")).json.items.some((t: { name: string }) => t.name === name)).toBe(false);
    expectError(await post("/orgs", { name: "idem org" }, crypto.randomUUID()), 400, "bad_request");
  });

  it("is documented on every route that honours it", async () => {
    const doc = (await api("GET", "/openapi.json", { token: null })).json;
    const honoured = Object.entries(doc.paths as Record<string, Record<string, { parameters?: { name: string }[] }>>).flatMap(([path, ops]) =>
      Object.entries(ops).filter(([, op]) => op.parameters?.some((p) => p.name === "idempotency-key")).map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(honoured.sort()).toEqual(
      [
        "POST /tasks", "POST /tasks/{id}/rerun", "POST /tasks/{id}/steps/{step}/approve", "POST /tasks/{id}/steps/{step}/reject", "POST /sessions/{session_id}/respond",
        "POST /agents", "POST /plans", "POST /plans/{id}/run", "POST /triggers", "POST /triggers/{id}/run", "POST /triggers/{id}/rotate-secret", "POST /notifications/subscriptions",
        "POST /notifications/subscriptions/{id}/rotate-secret", "POST /chat", "POST /chat/{id}/messages", "POST /chat/{id}/run", "POST /chat/{id}/save",
      ].sort(),
    );
  });
});
