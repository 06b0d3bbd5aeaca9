import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "../../worker/triggers/webhook-signature";
import { conformance, type OpenApiDoc, validate } from "../openapi-conformance";
import { ADMIN, api, BASE, createTask, gateOf, spendWindow, tokenWithRole, until, waitForStatus, workerFetch } from "../helpers";

let doc: OpenApiDoc;
beforeAll(async () => {
  doc = (await api("GET", "/openapi.json", { token: null })).json as OpenApiDoc;
});

type Opts = Parameters<typeof api>[2];

/** A request through the Worker whose answer is judged by the served document; what it finds is kept, not thrown. */
function walker() {
  const problems: string[] = [];
  const call = async (expected: number, method: string, path: string, opts: Opts = {}) => {
    const res = await api(method, path, opts);
    if (res.status !== expected) problems.push(`${method} ${path}: ${res.status}, wanted ${expected}: ${res.text.slice(0, 200)}`);
    problems.push(...conformance(doc, { method, url: `/api/v1${path}` }, { status: res.status, headers: res.headers, body: res.json ?? (res.text || undefined) }));
    return res;
  };
  return { problems, call };
}

const plan = (name: string, steps: unknown[], params: unknown[] = []) => ({ name, description: "", params, steps });


async function signedDelivery(triggerId: string, secret: string, body: unknown, id = `msg_${crypto.randomUUID()}`) {
  const payload = JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000);
  const headers = { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": await signWebhook(secret, id, ts, payload) };
  const res = await workerFetch(new Request(`${BASE}/hooks/${triggerId}`, { method: "POST", headers, body: payload }));
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

describe("the conformance checker", () => {
  it("finds a field the document does not name, a documented one left out, a wrong type, a status or content type not declared", () => {
    const d: OpenApiDoc = {
      servers: [{ url: "/api/v1" }],
      components: { schemas: { T: { type: "object", properties: { id: { type: "string" }, n: { type: ["integer", "null"] } }, required: ["id", "n"] } } },
      paths: { "/t/{id}": { get: { responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/T" } } } } } } } },
    };
    const json = new Headers({ "content-type": "application/json" });
    const at = { method: "GET", url: "/api/v1/t/1" };
    expect(conformance(d, at, { status: 200, headers: json, body: { id: "a", n: null } })).toEqual([]);
    expect(conformance(d, at, { status: 200, headers: json, body: { id: "a", n: 1, extra: true } })).toEqual(["GET /api/v1/t/1 200 $.extra: sent but not documented"]);
    expect(conformance(d, at, { status: 200, headers: json, body: { id: 1 } })).toHaveLength(2);
    expect(conformance(d, at, { status: 404, headers: json, body: {} })).toEqual(["GET /api/v1/t/1: answered 404, documented 200"]);
    expect(conformance(d, at, { status: 200, headers: new Headers({ "content-type": "text/html" }), body: "" })[0]).toMatch(/content type text\/html/);
    expect(validate(d, { allOf: [{ $ref: "#/components/schemas/T" }, { type: "object", properties: { more: { type: "string" } } }] }, { id: "a", n: 2, more: "x" })).toEqual([]);
  });
});

describe("a client's walk through the API", () => {
  it("documents a run's trace field by field, not as any object", () => {
    const trace = doc.paths["/tasks/{id}/steps/{step}/runs/{n}/trace"].get.responses["200"].content!["application/json"].schema!;
    expect(trace).toEqual({ $ref: "#/components/schemas/RunTrace" });
    expect(Object.keys(doc.components.schemas.RunTrace.properties ?? {})).toEqual(expect.arrayContaining(["system_prompt", "turns", "tokens", "cost", "live_text"]));
  });

  it("documents the plan format a save takes, made from the schema saves are checked with: what the document allows saves, what it refuses is 400", async () => {
    const schema = doc.paths["/plans"].post.requestBody!.content["application/json"].schema!;
    expect(schema).toEqual({ $ref: "#/components/schemas/PlanDefinition" });
    const good = plan("Documented plan", [
      { id: "fetch", agent: "researcher", instructions: "@output [\"a\"]", retry: { max_attempts: 2, backoff: { initial_ms: 10, max_ms: 100 } }, timeout_s: 60 },
      { id: "each", kind: "loop", over: "fetch", concurrency: 2, body: [{ id: "draft", kind: "agent", agent: "writer", instructions: "{{item}}", approval: true }] },
      { id: "route", kind: "branch", on: "fetch", depends_on: ["each"], cases: { a: [{ id: "yes", agent: "writer" }] }, default: [{ id: "no", agent: "writer" }] },
    ], [{ name: "topic", required: false, default: "saas" }]);
    expect(validate(doc, schema, good)).toEqual([]);
    expect((await api("POST", "/plans", { body: good })).status).toBe(201);
    const bad = [
      { ...good, steps: [{ id: "a", agent: "writer", depend_on: ["x"] }] },
      { ...good, steps: [{ id: "a", kind: "loop", over: "x" }] },
      { ...good, steps: [{ id: "a b", agent: "writer" }] },
      { ...good, steps: [] },
      { ...good, colour: "red" },
    ];
    for (const body of bad) {
      expect(validate(doc, schema, body), JSON.stringify(body)).not.toEqual([]);
      expect((await api("POST", "/plans", { body })).status, JSON.stringify(body)).toBe(400);
    }
  });

  it("documents an export's JSON rows as the list's items, which they are", () => {
    const media = doc.paths["/tasks/export"].get.responses["200"].content!;
    expect(media["application/json"].schema).toEqual({ type: "array", items: { $ref: "#/components/schemas/TaskListItem" } });
    expect(Object.keys(media)).toEqual(["text/csv", "application/json"]);
  });

  it("gets, at every step, what the OpenAPI document declares for its status: content type, documented headers, and the JSON shape, no field more or less", async () => {
    const { problems, call } = walker();
    const viewer = await tokenWithRole("viewer");

    // tasks: made, listed, summarised, read, waited on, answered, approved, cancelled
    const made = await call(201, "POST", "/tasks", { body: { agent: "researcher", title: "Contract walk", description: "@output done" } });
    expect(made.status).toBe(201);
    await call(200, "GET", `/tasks/${made.json.id}?wait=10`);
    await call(200, "GET", "/tasks?limit=1");
    await call(200, "GET", `/tasks?q=${encodeURIComponent("Contract walk")}&sort=cost`);
    await call(200, "GET", "/tasks/summary");
    const exported = await call(200, "GET", `/tasks/export?format=json&q=${encodeURIComponent("Contract walk")}`);
    expect(exported.json).toMatchObject([{ id: made.json.id }]);
    await call(200, "GET", `/tasks/export?format=csv&q=${encodeURIComponent("Contract walk")}`);
    await call(200, "GET", `/tasks/${made.json.id}/steps/main/runs/1/trace`);
    await call(404, "GET", `/tasks/${made.json.id}/steps/main/runs/9/trace`);
    await call(409, "DELETE", `/tasks/${made.json.id}`);
    await call(404, "GET", "/tasks/tsk_unknown");
    await call(400, "GET", "/tasks?limit=0");
    await call(401, "GET", "/tasks", { token: null });
    await call(422, "POST", "/tasks", { body: { agent: "nobody", title: "x", description: "y" } });
    await call(403, "POST", "/tasks", { token: viewer, body: { agent: "researcher", title: "x", description: "y" } });

    const asking = await createTask({ agent: "researcher", title: "asks", description: "@ask Which segment?\n@output ok" });
    const waiting = await waitForStatus(asking.id, ["needs_input"]);
    const callId = waiting.pending[0].call_id as string;
    await call(200, "GET", `/tasks/${asking.id}`);
    await call(404, "POST", `/sessions/${asking.session_id}/respond`, { body: { call_id: "call_unknown", answers: ["x"] } });
    await call(200, "POST", `/sessions/${asking.session_id}/respond`, { body: { call_id: callId, answers: ["enterprise"] } });
    await call(409, "POST", `/sessions/${asking.session_id}/respond`, { body: { call_id: callId, answers: ["enterprise"] } });
    await waitForStatus(asking.id, ["completed"]);
    const asked = await call(200, "GET", `/tasks/${asking.id}/steps/main/runs/1/trace`);
    expect(asked.json.turns[0].tool_results).toMatchObject([{ name: "ask_human", result: "enterprise" }]);
    const searching = await createTask({ agent: "researcher", title: "searches", description: "@search saas pricing\n@fail transient 1\n@output found" });
    await waitForStatus(searching.id, ["completed"]);
    await call(200, "GET", `/tasks/${searching.id}/steps/main/runs/1/trace`);
    const searched = await call(200, "GET", `/tasks/${searching.id}/steps/main/runs/2/trace`);
    expect(searched.json.turns.flatMap((t: { searches: unknown[] }) => t.searches).length + searched.json.searches).toBeGreaterThan(0);

    // plans: saved, versioned (ETag / If-Match), run with a loop and an approval
    const p = await call(201, "POST", "/plans", {
      body: plan("Contract plan", [
        { id: "list", name: "List", agent: "researcher", instructions: '@output ["a","b"]' },
        { id: "each", name: "Each", kind: "loop", over: "list", body: [{ id: "draft", name: "Draft", agent: "writer", instructions: "@output {{item}}" }] },
        { id: "review", name: "Review", agent: "reviewer", instructions: "@output fine", depends_on: ["each"], approval: true },
      ], [{ name: "topic", required: false }]),
    });
    expect(p.status).toBe(201);
    await call(200, "GET", `/plans/${p.json.id}`);
    await call(200, "GET", "/plans?limit=5");
    await call(200, "PUT", `/plans/${p.json.id}`, { body: plan("Contract plan", p.json.definition.steps, [{ name: "topic", required: false }]), headers: { "if-match": '"1"' } });
    await call(409, "PUT", `/plans/${p.json.id}`, { body: plan("Contract plan", p.json.definition.steps.slice(0, 1)), headers: { "if-match": '"9"' } });
    await call(200, "GET", `/plans/${p.json.id}/versions`);
    const run = await call(201, "POST", `/plans/${p.json.id}/run`, { body: { inputs: { topic: "x" } } });
    const review = await waitForStatus(run.json.id, ["needs_input"]);
    expect(review.pending).toMatchObject([{ kind: "approval", step: "review" }]);
    await call(200, "GET", `/tasks/${run.json.id}`);
    await call(200, "GET", `/tasks/${run.json.id}/steps/each[1].draft/runs/1/trace`);
    await call(409, "POST", `/tasks/${run.json.id}/steps/each/approve`, { body: {} });
    await call(200, "POST", `/tasks/${run.json.id}/steps/review/approve`, { body: {} });
    await call(409, "POST", `/tasks/${run.json.id}/steps/review/reject`, { body: { comment: "late" } });
    await call(201, "POST", `/tasks/${run.json.id}/rerun`, { body: { from_step: "review" } });

    // agents, triggers and their webhook, tokens, the rest of the admin surface
    const agent = await call(201, "POST", "/agents", { body: { name: `contract-${crypto.randomUUID().slice(0, 6)}`, model: "sim", system_prompt: "x", tools: [], max_turns: 3 } });
    await call(200, "GET", `/agents/${agent.json.id}`);
    await call(204, "DELETE", `/agents/${agent.json.id}`);
    await call(404, "DELETE", `/agents/${agent.json.id}`);
    const hook = await call(201, "POST", "/triggers", { body: { kind: "webhook", plan_id: p.json.id, title: "On push" } });
    const cron = await call(201, "POST", "/triggers", { body: { kind: "cron", plan_id: p.json.id, cron: "0 9 * * 1-5", timezone: "Europe/Paris" } });
    await call(200, "GET", `/triggers/${cron.json.id}`);
    await call(200, "PATCH", `/triggers/${cron.json.id}`, { body: { title: "Weekdays" } });
    await call(200, "POST", `/triggers/${cron.json.id}/pause`);
    await call(200, "POST", `/triggers/${cron.json.id}/resume`);
    await call(201, "POST", `/triggers/${cron.json.id}/run`);
    await call(200, "POST", `/triggers/${hook.json.id}/rotate-secret`, { body: { grace_seconds: 60 } });
    await call(200, "POST", `/triggers/${hook.json.id}/expire-previous-secret`);
    await call(409, "POST", `/triggers/${hook.json.id}/expire-previous-secret`);
    await call(200, "GET", "/triggers/next-fires?cron=0%209%20*%20*%201-5&timezone=UTC&count=2");
    await call(200, "GET", "/triggers");
    await call(204, "DELETE", `/triggers/${cron.json.id}`);
    const token = await call(201, "POST", "/tokens", { body: { name: "contract", role: "member" } });
    await call(200, "GET", `/tokens/${token.json.id}`);
    await call(200, "PATCH", `/tokens/${token.json.id}`, { body: { role: "viewer" } });
    await call(204, "DELETE", `/tokens/${token.json.id}`);
    for (const path of ["/tokens", "/audit?limit=5", "/audit", "/pricing", "/settings", "/spend", "/orgs", "/orgs/org_default", "/agents", "/notifications/subscriptions", "/notifications/deliveries", "/notifications/inbox", "/auth/session", "/health"]) {
      await call(200, "GET", path);
    }
    await call(200, "PUT", "/pricing/openai:contract-model", { body: { input: 1, cache: 0.1, output: 2 } });
    await call(204, "DELETE", "/pricing/openai:contract-model");
    await call(200, "PUT", "/mcp-servers/contract", { body: { url: "https://mcp.example.com/mcp", headers: { Authorization: "Bearer contract-value" } } });
    await call(200, "GET", "/mcp-servers");
    await call(200, "GET", "/mcp-servers/contract");
    await call(422, "POST", "/agents", { body: { name: "contract-mcp", model: "sim", tools: ["mcp:nowhere"] } });
    await call(204, "DELETE", "/mcp-servers/contract");
    await call(404, "DELETE", "/mcp-servers/contract");
    await call(403, "GET", "/audit", { token: viewer });
    await call(422, "GET", "/triggers/next-fires?cron=0%200%2030%202%20*&timezone=UTC");

    // a planning conversation, notifications, settings, organizations, a purge and a sign-out
    const conv = await call(201, "POST", "/chat", { body: { message: "Research the market. Write a short report." } });
    await call(200, "GET", `/chat/${conv.json.id}`);
    await call(200, "GET", `/chat/${conv.json.id}/draft`);
    await call(200, "POST", `/chat/${conv.json.id}/messages`, { body: { content: "Add a review step before the report" } });
    await call(201, "POST", `/chat/${conv.json.id}/run`, { body: {} });
    await call(201, "POST", `/chat/${conv.json.id}/save`);
    await call(404, "GET", "/chat/cnv_0000000000000000");
    const sub = await call(201, "POST", "/notifications/subscriptions", { body: { url: "https://hooks.example.com/contract", events: ["task.failed"] } });
    await call(200, "GET", `/notifications/subscriptions/${sub.json.id}`);
    await call(200, "PATCH", `/notifications/subscriptions/${sub.json.id}`, { body: { description: "ops" } });
    await call(200, "POST", `/notifications/subscriptions/${sub.json.id}/rotate-secret`);
    await call(204, "DELETE", `/notifications/subscriptions/${sub.json.id}`);
    await call(200, "PATCH", "/settings", { body: { retention_days: 90 } });
    await call(200, "PATCH", "/settings", { body: { retention_days: null } });
    await call(400, "PATCH", "/settings", { body: {} });
    const org = await call(201, "POST", "/orgs", { body: { name: `Contract ${crypto.randomUUID().slice(0, 6)}` } });
    await call(200, "GET", `/orgs/${org.json.org.id}`);
    await call(404, "GET", `/tasks/${made.json.id}`, { token: org.json.token.token });
    await call(204, "DELETE", `/tasks/${made.json.id}/purge`);
    await call(404, "GET", `/tasks/${made.json.id}`);
    const login = await api("POST", "/auth/session", { token: null, body: { token: ADMIN } });
    await call(204, "DELETE", "/auth/session", { token: null, headers: { cookie: login.headers.get("set-cookie")!.split(";")[0], origin: BASE } });

    expect(problems).toEqual([]);

    // the webhook, outside /api/v1: a new delivery is 202 with its task, a repeated id 200 and nothing started
    const secret = (await api("GET", `/triggers/${hook.json.id}`)).json.secret ?? null;
    expect(secret, "a trigger's GET never shows its secret").toBeNull();
    const rotated = await api("POST", `/triggers/${hook.json.id}/rotate-secret`, { body: { grace_seconds: 0 } });
    const first = await signedDelivery(hook.json.id, rotated.json.secret, { topic: "push" }, "msg_contract_1");
    const again = await signedDelivery(hook.json.id, rotated.json.secret, { topic: "push" }, "msg_contract_1");
    for (const [res, status] of [[first, 202], [again, 200]] as const) {
      expect(res.status).toBe(status);
      expect(conformance(doc, { method: "POST", url: `/hooks/${hook.json.id}` }, { ...res, body: res.json })).toEqual([]);
    }
    expect(again.json).toMatchObject({ duplicate: true, task_id: first.json.task_id });
  }, 60_000);
});

describe("headers every client relies on", () => {
  it("sends x-request-id on every answer, the event streams' included, keeping the caller's own id", async () => {
    const task = await createTask({ agent: "writer", title: "ids", description: "@output x" });
    await waitForStatus(task.id, ["completed"]);
    for (const [method, path] of [["GET", `/tasks/${task.id}/events`], ["GET", "/events"], ["HEAD", `/tasks/${task.id}/events`], ["HEAD", "/events"], ["GET", `/tasks/${task.id}`]]) {
      const res = await workerFetch(new Request(`${BASE}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, "x-request-id": "client-trace-7" } }));
      await res.body?.cancel();
      expect(res.status, `${method} ${path}`).toBe(200);
      expect(res.headers.get("x-request-id"), `${method} ${path}`).toBe("client-trace-7");
      const own = await workerFetch(new Request(`${BASE}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN}` } }));
      await own.body?.cancel();
      expect(own.headers.get("x-request-id"), `${method} ${path}`).toMatch(/^[\w-]{8,}$/);
    }
  });

  it("documents and sends the headers a refused client acts on: WWW-Authenticate on every 401, Retry-After in whole seconds on every 429", async () => {
    const { problems, call } = walker();
    const hookPlan = (await api("POST", "/plans", { body: plan("Limited hook", [{ id: "a", name: "A", agent: "writer", instructions: "@output ok" }]) })).json;
    const hook = (await api("POST", "/triggers", { body: { kind: "webhook", plan_id: hookPlan.id } })).json;
    for (const [op, route] of [["get", "/tasks"], ["post", "/tasks"], ["get", "/tasks/{id}/events"], ["get", "/events"], ["post", "/hooks/{trigger_id}"]]) {
      const responses = doc.paths[route][op].responses;
      expect(Object.keys(responses[401].headers ?? {}), `${op} ${route} 401`).toContain("WWW-Authenticate");
      expect(Object.keys(responses[429].headers ?? {}), `${op} ${route} 429`).toContain("Retry-After");
    }
    await call(401, "GET", "/tasks", { token: null });
    await call(401, "GET", "/tasks", { token: "fd_not_a_token" });
    await call(401, "GET", "/events", { token: "fd_not_a_token" });
    const limited = await tokenWithRole("member");
    await spendWindow(await gateOf(limited));
    await call(429, "GET", "/tasks", { token: limited });
    await spendWindow(await gateOf(limited));
    await call(429, "POST", "/tasks", { token: limited, body: { agent: "writer", title: "x", description: "y" } });
    expect(problems).toEqual([]);

    const unsigned = await workerFetch(new Request(`${BASE}/hooks/${hook.id}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));
    expect(conformance(doc, { method: "POST", url: `/hooks/${hook.id}` }, { status: unsigned.status, headers: unsigned.headers, body: await unsigned.json() })).toEqual([]);
    expect(unsigned.status).toBe(401);
    const rotated = await api("POST", `/triggers/${hook.id}/rotate-secret`, { body: { grace_seconds: 0 } });
    await spendWindow(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`hook:${hook.id}`)));
    const refused = await signedDelivery(hook.id, rotated.json.secret, {});
    expect(refused.status).toBe(429);
    expect(conformance(doc, { method: "POST", url: `/hooks/${hook.id}` }, { ...refused, body: refused.json })).toEqual([]);
  });

  it("ends a finished task's stream after its last event, and answers a resume after that one 204, so an EventSource stops reconnecting", async () => {
    const task = await createTask({ agent: "writer", title: "ends", description: "@output x" });
    await waitForStatus(task.id, ["completed"]);
    const reader = await tokenWithRole("viewer");
    const open = (query = "", headers: Record<string, string> = {}) =>
      workerFetch(new Request(`${BASE}/api/v1/tasks/${task.id}/events${query}`, { headers: { authorization: `Bearer ${reader}`, ...headers } }));
    const idsOf = async (res: Response) => [...(await res.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const whole = await open();
    expect(whole.status).toBe(200);
    const last = (await idsOf(whole)).at(-1)!;
    expect(last).toBeGreaterThan(1);
    const rest = await open("", { "last-event-id": String(last - 1) });
    expect(rest.status).toBe(200);
    expect(await idsOf(rest)).toEqual([last]);
    for (const ended of [await open("", { "last-event-id": String(last) }), await open(`?last_event_id=${last}`)]) {
      expect(ended.status).toBe(204);
      expect(await ended.text()).toBe("");
      expect(ended.headers.get("x-request-id")).toBeTruthy();
      expect(conformance(doc, { method: "GET", url: `/api/v1/tasks/${task.id}/events` }, { status: 204, headers: ended.headers, body: undefined })).toEqual([]);
    }
    // a HEAD answers as the GET would: ended after the last event, a stream before it
    const head = (headers: Record<string, string>, query = "") =>
      workerFetch(new Request(`${BASE}/api/v1/tasks/${task.id}/events${query}`, { method: "HEAD", headers: { authorization: `Bearer ${reader}`, ...headers } }));
    for (const ended of [await head({ "last-event-id": String(last) }), await head({}, `?last_event_id=${last}`)]) expect(ended.status).toBe(204);
    for (const going of [await head({ "last-event-id": String(last - 1) }), await head({})]) {
      expect(going.status).toBe(200);
      expect(going.headers.get("content-type")).toContain("text/event-stream");
    }
    // an id past the last is still a reset, so a client that kept another task's id refetches
    const ahead = await open("", { "last-event-id": String(last + 5) });
    expect(ahead.status).toBe(200);
    expect(await ahead.text()).toContain("event: reset");
    // a 204 keeps none of the token's stream slots
    const gate = await gateOf(reader);
    await until("the token's stream slots given back", () => gate.openStreams(), (n) => n === 0);
  });

  it("replays a plan's create with the first answer's Location and ETag, which If-Match then takes", async () => {
    const key = `contract-${crypto.randomUUID()}`;
    const body = plan("Replayed plan", [{ id: "a", name: "A", agent: "writer", instructions: "x" }]);
    const first = await api("POST", "/plans", { body, headers: { "idempotency-key": key } });
    const replay = await api("POST", "/plans", { body, headers: { "idempotency-key": key } });
    expect(first.status).toBe(201);
    expect(first.headers.get("etag")).toBe('"1"');
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json).toEqual(first.json);
    expect(replay.headers.get("location")).toBe(first.headers.get("location"));
    expect(replay.headers.get("etag")).toBe('"1"');
    const saved = await api("PUT", `/plans/${first.json.id}`, { body: { ...body, description: "v2" }, headers: { "if-match": replay.headers.get("etag")! } });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);
    expect(saved.headers.get("etag")).toBe('"2"');
  });

  it("answers a plan's GET with 304 and no body while If-None-Match names its version, and the plan once a save moved on", async () => {
    const body = plan("Cached plan", [{ id: "a", name: "A", agent: "writer", instructions: "x" }]);
    const made = await api("POST", "/plans", { body });
    const id = made.json.id as string;
    for (const tag of ['"1"', 'W/"1"', '"7", "1"', "*"]) {
      const res = await api("GET", `/plans/${id}`, { headers: { "if-none-match": tag } });
      expect(res.status, tag).toBe(304);
      expect(res.text, tag).toBe("");
      expect(res.headers.get("etag"), tag).toBe('"1"');
      expect(conformance(doc, { method: "GET", url: `/api/v1/plans/${id}` }, { status: 304, headers: res.headers, body: undefined })).toEqual([]);
    }
    for (const tag of ['"2"', "not a tag"]) expect((await api("GET", `/plans/${id}`, { headers: { "if-none-match": tag } })).status, tag).toBe(200);
    await api("PUT", `/plans/${id}`, { body: { ...body, description: "v2" } });
    const moved = await api("GET", `/plans/${id}`, { headers: { "if-none-match": '"1"' } });
    expect(moved.status).toBe(200);
    expect(moved.json.version).toBe(2);
    expect(moved.headers.get("etag")).toBe('"2"');
  });

  it("sends a chat Save's version as ETag, new plan or new version, so the plan editor's If-Match can follow it", async () => {
    const started = await api("POST", "/chat", { body: { message: "Research the market. Write a short report." } });
    expect(started.status, JSON.stringify(started.json)).toBe(201);
    const id = started.json.id as string;
    await until("a first draft", async () => (await api("GET", `/chat/${id}/draft`)).status, (s) => s === 200);
    const first = await api("POST", `/chat/${id}/save`);
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    expect(first.headers.get("etag")).toBe(`"${first.json.version}"`);
    expect(conformance(doc, { method: "POST", url: `/api/v1/chat/${id}/save` }, { status: first.status, headers: first.headers, body: first.json })).toEqual([]);
    const again = await api("POST", `/chat/${id}/save`);
    expect(again.status).toBe(200);
    expect(again.headers.get("etag")).toBe(`"${again.json.version}"`);
    const edited = await api("PUT", `/plans/${first.json.id}`, { body: { ...again.json.definition, description: "edited" }, headers: { "if-match": again.headers.get("etag")! } });
    expect(edited.status, JSON.stringify(edited.json)).toBe(200);
  });
});
