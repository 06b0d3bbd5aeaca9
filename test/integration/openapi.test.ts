import { createExecutionContext, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { checkHealth } from "../../worker/api/health";
import { healthApi } from "../../worker/api/health";
import { API_BASE, METHODS, PUBLIC_OPERATIONS } from "../../worker/api/openapi";
import { MAX_SUBSCRIPTIONS_PER_ORG } from "../../worker/notify/subscriptions";
import { signWebhook } from "../../worker/triggers/webhook-signature";
import type { RateLimiter } from "../../worker/lib/rate-limit";
import type { TokenGate } from "../../worker/lib/token-gate";
import { ADMIN, api, BASE, createTask, expectError, gateOf, makeOrg, spendWindow, tokenWithRole, waitForStatus, workerFetch } from "../helpers";

interface Op {
  tags: string[];
  responses: Record<string, unknown>;
  servers?: { url: string }[];
  security?: unknown[];
  requestBody?: unknown;
}
interface Doc {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, string>> };
}

let doc: Doc;
const ops = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, method: m.toUpperCase(), path, op: item[m]! })),
  );
const fullPath = (path: string, op: Op) => (op.servers?.[0]?.url === "/" ? "" : API_BASE) + path;
const DUMMY: Record<string, string> = { id: "x", step: "s", n: "1", model: "sim", session_id: "ses_x", trigger_id: "trg_x" };
const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, p: string) => DUMMY[p] ?? "x");

/** Status only; the body is cancelled, so an SSE stream does not hold the test open. */
async function status(method: string, url: string, o: { token?: string | null; headers?: Record<string, string>; body?: string } = {}) {
  const headers: Record<string, string> = { ...o.headers };
  const token = o.token === undefined ? ADMIN : o.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (o.body !== undefined) headers["content-type"] ??= "application/json";
  const res = await workerFetch(new Request(url.startsWith("http") ? url : `${BASE}${url}`, { method, headers, body: o.body }));
  await res.body?.cancel();
  return res.status;
}

beforeAll(async () => {
  doc = (await api("GET", "/openapi.json", { token: null })).json as Doc;
});


/** A test that requests every documented route: on a loaded 2-core machine that outlasts the default 20 s. */
const SWEEP_MS = 90_000;
describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 with a bearer scheme, served without auth", async () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers[0].url).toBe("/api/v1");
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.session).toMatchObject({ type: "apiKey", in: "cookie", name: "__Host-fd_session" });
    for (const name of ["TaskListItem", "TaskDetail", "Step", "Agent", "Error", "CreateTask", "Health"]) expect(doc.components.schemas, name).toHaveProperty(name);
    for (const { key, op } of ops()) expect(op.security, key).toEqual(PUBLIC_OPERATIONS.has(key) ? [] : [{ bearer: [] }, { session: [] }]);
  });

  it("documents why a pending task waits as a Waiting or null, the Waiting shape itself never null", () => {
    expect(doc.components.schemas.Waiting).toMatchObject({ type: "object", required: ["reason", "position", "cap"] });
    const detail = doc.components.schemas.TaskDetail as { allOf: { properties?: Record<string, { anyOf?: unknown[] }>; required?: string[] }[] };
    const own = detail.allOf.find((s) => s.properties)!;
    expect(own.properties!.waiting.anyOf).toEqual([{ $ref: "#/components/schemas/Waiting" }, { type: "null" }]);
    expect(own.required).toContain("waiting");
  });

  it("documents a Location header on every 201", () => {
    const made = ops().filter(({ op }) => op.responses["201"]);
    expect(made.length).toBeGreaterThanOrEqual(12);
    for (const { key, op } of made) expect((op.responses["201"] as { headers?: Record<string, unknown> }).headers, key).toHaveProperty("Location");
  });

  it("documents a plan's ETag and the If-Match its save and delete take", () => {
    const op = (key: string) => ops().find((o) => o.key === key)!.op as Op & { parameters?: { name: string; in: string }[] };
    for (const key of ["PUT /plans/{id}", "DELETE /plans/{id}"]) expect(op(key).parameters, key).toContainEqual(expect.objectContaining({ name: "if-match", in: "header" }));
    for (const key of ["GET /plans/{id}", "PUT /plans/{id}"]) expect((op(key).responses["200"] as { headers?: Record<string, unknown> }).headers, key).toHaveProperty("ETag");
  });

  it("answers every create with Location: the new resource's absolute path, which reads it", async () => {
    const org = `org_loc_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const post = async (path: string, body: unknown, as = token) => {
      const res = await api("POST", path, { body, token: as });
      expect(res.status, `${path}: ${res.text}`).toBe(201);
      const location = res.headers.get("location")!;
      expect(location, path).toMatch(/^\/api\/v1\/[a-z/]+\/[\w-]+$/);
      const read = await api("GET", location.slice("/api/v1".length), { token: as });
      expect(read.status, `GET ${location} after POST ${path}: ${read.text}`).toBe(200);
      return { json: res.json, location, read: read.json };
    };
    const task = await post("/tasks", { agent: "researcher", title: "located", description: "@output x" });
    expect(task.location).toBe(`/api/v1/tasks/${task.json.id}`);
    expect(task.read.id).toBe(task.json.id);
    const agent = await post("/agents", { name: "located-agent", model: "sim" });
    expect(agent.read.id).toBe(agent.json.id);
    const plan = await post("/plans", { name: "located", steps: [{ id: "s", agent: "researcher", instructions: "@output x" }] });
    expect(plan.location).toBe(`/api/v1/plans/${plan.json.id}`);
    const run = await post(`/plans/${plan.json.id}/run`, {});
    expect(run.location).toBe(`/api/v1/tasks/${run.json.id}`);
    const trigger = await post("/triggers", { kind: "webhook", plan_id: plan.json.id });
    expect(trigger.read.id).toBe(trigger.json.id);
    const fired = await post(`/triggers/${trigger.json.id}/run`, {});
    expect(fired.read.trigger_id).toBe(trigger.json.id);
    await waitForStatus(fired.json.id, ["completed"], 10_000, token);
    const rerun = await post(`/tasks/${fired.json.id}/rerun`, { from_step: "s" });
    expect(rerun.read.rerun_of).toBe(fired.json.id);
    const newToken = await post("/tokens", { name: "located", role: "viewer" });
    expect(newToken.read).toMatchObject({ id: newToken.json.id, name: "located", role: "viewer" });
    expect(newToken.read).not.toHaveProperty("token");
    const sub = await post("/notifications/subscriptions", { url: "https://hooks.example.invalid/located", events: ["task.failed"] });
    expect(sub.read.id).toBe(sub.json.id);
    const conv = await post("/chat", { message: "Research the top competitors." });
    expect(conv.location).toBe(`/api/v1/chat/${conv.json.id}`);
    const chatRun = await post(`/chat/${conv.json.id}/run`, {});
    expect(chatRun.read.id).toBe(chatRun.json.id);
    const saved = await post(`/chat/${conv.json.id}/save`, {});
    expect(saved.location).toBe(`/api/v1/plans/${saved.json.id}`);
    const newOrg = await post("/orgs", { name: "Located Inc" }, ADMIN);
    expect(newOrg.location).toBe(`/api/v1/orgs/${newOrg.json.org.id}`);
    expect(newOrg.read).toEqual(newOrg.json.org);
    // read only by those who may: another organization's token is not found, an organization is an instance admin's
    expectError(await api("GET", `/tokens/${newToken.json.id}`, { token: newOrg.json.token.token }), 404, "not_found");
    expectError(await api("GET", `/orgs/${newOrg.json.org.id}`, { token }), 403, "forbidden");
    expectError(await api("GET", "/orgs/org_missing"), 404, "not_found");
    expectError(await api("GET", `/tokens/${newToken.json.id}`, { token: await tokenWithRole("member", org) }), 403, "forbidden");
  });

  it("documents a run's status as the values a run takes, not any string", async () => {
    const step = doc.components.schemas.Step as { properties: { runs: { items: { properties: { status: { enum?: string[] } } } } } };
    const documented = step.properties.runs.items.properties.status.enum;
    expect(documented).toEqual(["running", "waiting", "completed", "failed", "cancelled"]);
    const task = await createTask({ agent: "researcher", title: "run statuses", description: "@ask which?" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    expect(waiting.steps[0].runs[0].status).toBe("waiting");
    await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["this"] } });
    expect((await waitForStatus(task.id, ["completed"])).steps[0].runs[0].status).toBe("completed");
  });

  it("documents every route the Worker serves, and the Worker serves every documented operation", () => {
    const routed = new Set(
      worker.routes
        // Middleware is `ALL`; the SPA and the /api/* fallback are catch-alls, not operations.
        .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(ops().map(({ method, path, op }) => `${method} ${fullPath(path, op)}`));
    expect([...routed].filter((r) => !documented.has(r)), "routed but not documented").toEqual([]);
    expect([...documented].filter((d) => !routed.has(d)), "documented but not routed").toEqual([]);
  });

  it("needs credentials exactly where it says so", async () => {
    for (const { key, method, path, op } of ops()) {
      if (key === "POST /hooks/{trigger_id}") continue; // its credential is the signature, covered below
      const got = await status(method, fill(fullPath(path, op)), { token: null, body: op.requestBody ? "{}" : undefined });
      if (PUBLIC_OPERATIONS.has(key)) expect(got, key).not.toBe(401);
      else expect(got, key).toBe(401);
    }
  }, SWEEP_MS);

  it("renders a script-free reference page with a same-origin stylesheet", async () => {
    const res = await workerFetch(new Request(`${BASE}/api/v1/reference`));
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("style-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|style=|https?:\/\//);
    expect(html).toContain('<link rel="stylesheet" href="/api/v1/reference.css">');
    for (const { method, path, op } of ops()) expect(html).toContain(`<span class="method m-${method.toLowerCase()}">${method}</span> <code>${fullPath(path, op)}</code>`);
    expect(html).toContain('id="schema-TaskDetail"');
    const css = await workerFetch(new Request(`${BASE}/api/v1/reference.css`));
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    expect((await css.text()).length).toBeGreaterThan(500);
  });
});

/** One representative request per documented status per route family (tag). */
type Case = { op: string; status: number; run: () => Promise<number> };

/** A token counts in its gate, a webhook trigger in its rate limiter. */
type Counted = DurableObjectStub<TokenGate> | DurableObjectStub<RateLimiter>;
const counted: Counted[] = [];
async function limitedToken() {
  const token = await tokenWithRole("admin");
  counted.push(await gateOf(token));
  return token;
}
/** The counters are per minute, so they are spent again just before each 429 request. */
const spendLimits = () => Promise.all(counted.map((stub) => spendWindow(stub)));

const big = "x".repeat(Number(env.MAX_BODY_BYTES ?? 1_048_576) + 1);
const j = (v: unknown) => JSON.stringify(v);
const v1 = (p: string) => `${API_BASE}${p}`;

/** Statuses the routes document that these requests cannot reach yet; each names why. */
const KNOWN_UNREACHABLE: Record<string, string> = {};

async function signIn() {
  const res = await api("POST", "/auth/session", { token: null, body: { token: ADMIN } });
  return res.headers.get("set-cookie")!.split(";")[0];
}

async function deliver(triggerId: string, secret: string, payload: string, sig?: string) {
  const id = `msg_${crypto.randomUUID()}`;
  const ts = Math.floor(Date.now() / 1000);
  const signature = sig ?? (await signWebhook(secret, id, ts, payload));
  return status("POST", `/hooks/${triggerId}`, { token: null, body: payload, headers: { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature } });
}

async function buildCases(): Promise<Case[]> {
  const viewer = await tokenWithRole("viewer");
  const member = await tokenWithRole("member");
  const limited = await limitedToken();
  const other = await makeOrg(`org_oas_${crypto.randomUUID().slice(0, 8)}`);
  const plan = (await api("POST", "/plans", { body: { name: "oas", steps: [{ id: "a", agent: "researcher", instructions: "@output ok" }] } })).json;
  const hook = (await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.id } })).json;
  const paused = (await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.id } })).json;
  await api("POST", `/triggers/${paused.id}/pause`);
  const limitedHook = (await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.id } })).json;
  counted.push(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`hook:${limitedHook.id}`)));
  const asking = await createTask({ agent: "researcher", title: "asks", description: "@ask Which segment?\n@output ok" });
  const waiting = await waitForStatus(asking.id, ["needs_input"]);
  const budget = await createTask({ agent: "researcher", title: "budget", description: "@output x", max_cost: 0.0000001 });
  const overBudget = await waitForStatus(budget.id, ["needs_input"]);
  const done = await waitForStatus((await createTask({ agent: "researcher", title: "done", description: "@output ok" })).id, ["completed"]);
  const purgeable = await waitForStatus((await createTask({ agent: "researcher", title: "purge me", description: "@output ok" })).id, ["completed"]);
  const cookie = await signIn();
  const agentName = `oas-${crypto.randomUUID().slice(0, 8)}`;
  const agent = { name: agentName, model: "sim" };
  const subscription = { url: "https://hooks.example.invalid/flightdeck-hook", events: ["task.completed"] };

  const s = status;
  const cases: Case[] = [
    // tasks
    { op: "POST /tasks", status: 201, run: () => s("POST", v1("/tasks"), { body: j({ agent: "researcher", title: "t", description: "@output ok" }) }) },
    { op: "GET /tasks", status: 200, run: () => s("GET", v1("/tasks")) },
    { op: "GET /tasks", status: 400, run: () => s("GET", v1("/tasks?limit=0")) },
    { op: "GET /tasks", status: 401, run: () => s("GET", v1("/tasks"), { token: null }) },
    { op: "POST /tasks", status: 403, run: () => s("POST", v1("/tasks"), { token: viewer, body: j({ agent: "researcher", title: "t" }) }) },
    { op: "GET /tasks/{id}", status: 404, run: () => s("GET", v1("/tasks/tsk_missing")) },
    { op: "DELETE /tasks/{id}", status: 409, run: () => s("DELETE", v1(`/tasks/${done.id}`)) },
    { op: "POST /tasks", status: 413, run: () => s("POST", v1("/tasks"), { body: big }) },
    { op: "DELETE /tasks/{id}", status: 413, run: () => s("DELETE", v1("/tasks/tsk_x"), { body: big }) },
    { op: "POST /tasks", status: 422, run: () => s("POST", v1("/tasks"), { body: j({ agent: "ghost", title: "t" }) }) },
    { op: "GET /tasks", status: 429, run: () => s("GET", v1("/tasks"), { token: limited }) },
    { op: "DELETE /tasks/{id}/purge", status: 204, run: () => s("DELETE", v1(`/tasks/${purgeable.id}/purge`)) },
    // settings and spend
    { op: "GET /settings", status: 200, run: () => s("GET", v1("/settings")) },
    { op: "PATCH /settings", status: 400, run: () => s("PATCH", v1("/settings"), { body: j({ max_concurrent_tasks: 0 }) }) },
    { op: "PATCH /settings", status: 403, run: () => s("PATCH", v1("/settings"), { token: member, body: j({ retention_days: 30 }) }) },
    { op: "GET /spend", status: 200, run: () => s("GET", v1("/spend")) },
    { op: "GET /spend", status: 400, run: () => s("GET", v1("/spend?group=week")) },
    // events
    { op: "GET /tasks/{id}/events", status: 200, run: () => s("GET", v1(`/tasks/${done.id}/events`)) },
    { op: "GET /tasks/{id}/events", status: 204, run: async () => {
      const text = await (await workerFetch(new Request(`${BASE}${v1(`/tasks/${done.id}/events`)}`, { headers: { authorization: `Bearer ${ADMIN}` } }))).text();
      return s("GET", v1(`/tasks/${done.id}/events`), { headers: { "last-event-id": [...text.matchAll(/^id: (\d+)$/gm)].at(-1)![1] } });
    } },
    { op: "GET /tasks/{id}/events", status: 400, run: () => s("GET", v1(`/tasks/${"x".repeat(101)}/events`)) },
    { op: "GET /events", status: 401, run: () => s("GET", v1("/events"), { token: null }) },
    { op: "GET /tasks/{id}/events", status: 404, run: () => s("GET", v1("/tasks/tsk_missing/events")) },
    { op: "GET /events", status: 429, run: () => s("GET", v1("/events"), { token: limited }) },
    // sessions
    { op: "POST /sessions/{session_id}/respond", status: 200, run: () => s("POST", v1(`/sessions/${waiting.session_id}/respond`), { body: j({ call_id: waiting.pending[0].call_id, answers: ["enterprise"] }) }) },
    { op: "POST /sessions/{session_id}/respond", status: 409, run: () => s("POST", v1(`/sessions/${waiting.session_id}/respond`), { body: j({ call_id: waiting.pending[0].call_id, answers: ["again"] }) }) },
    { op: "POST /sessions/{session_id}/respond", status: 400, run: () => s("POST", v1("/sessions/ses_x/respond"), { body: "{" }) },
    { op: "POST /sessions/{session_id}/respond", status: 401, run: () => s("POST", v1("/sessions/ses_x/respond"), { token: null, body: "{}" }) },
    { op: "POST /sessions/{session_id}/respond", status: 403, run: () => s("POST", v1("/sessions/ses_x/respond"), { token: viewer, body: j({ call_id: "c", answers: ["a"] }) }) },
    { op: "POST /sessions/{session_id}/respond", status: 404, run: () => s("POST", v1("/sessions/ses_missing/respond"), { body: j({ call_id: "c", answers: ["a"] }) }) },
    { op: "POST /sessions/{session_id}/respond", status: 413, run: () => s("POST", v1("/sessions/ses_x/respond"), { body: big }) },
    { op: "POST /sessions/{session_id}/respond", status: 422, run: () => s("POST", v1(`/sessions/${overBudget.session_id}/respond`), { body: j({ call_id: overBudget.pending[0].call_id, answers: ["maybe"] }) }) },
    { op: "POST /sessions/{session_id}/respond", status: 429, run: () => s("POST", v1("/sessions/ses_x/respond"), { token: limited, body: "{}" }) },
    // auth
    { op: "POST /auth/session", status: 200, run: () => s("POST", v1("/auth/session"), { token: null, body: j({ token: ADMIN }) }) },
    { op: "POST /auth/session", status: 400, run: () => s("POST", v1("/auth/session"), { token: null, body: "{}" }) },
    { op: "POST /auth/session", status: 401, run: () => s("POST", v1("/auth/session"), { token: null, body: j({ token: "fd_nope" }) }) },
    { op: "DELETE /auth/session", status: 403, run: () => s("DELETE", v1("/auth/session"), { token: null, headers: { cookie } }) },
    { op: "POST /auth/session", status: 413, run: () => s("POST", v1("/auth/session"), { token: null, body: big }) },
    { op: "GET /auth/session", status: 429, run: () => s("GET", v1("/auth/session"), { token: limited }) },
    { op: "DELETE /auth/session", status: 204, run: () => s("DELETE", v1("/auth/session"), { token: null, headers: { cookie, origin: BASE } }) },
    // agents
    { op: "POST /agents", status: 201, run: () => s("POST", v1("/agents"), { body: j(agent), headers: { "idempotency-key": "family-422" } }) },
    // an Idempotency-Key used again with another body
    { op: "POST /agents", status: 422, run: () => s("POST", v1("/agents"), { body: j({ ...agent, max_turns: 2 }), headers: { "idempotency-key": "family-422" } }) },
    { op: "POST /agents", status: 409, run: () => s("POST", v1("/agents"), { body: j(agent) }) },
    { op: "GET /agents/{id}", status: 200, run: () => s("GET", v1(`/agents/${agentName}`)) },
    { op: "POST /agents", status: 400, run: () => s("POST", v1("/agents"), { body: j({ name: "Bad Name", model: "sim" }) }) },
    { op: "GET /agents", status: 401, run: () => s("GET", v1("/agents"), { token: null }) },
    { op: "POST /agents", status: 403, run: () => s("POST", v1("/agents"), { token: member, body: j(agent) }) },
    { op: "GET /agents/{id}", status: 404, run: () => s("GET", v1("/agents/nobody")) },
    { op: "POST /agents", status: 413, run: () => s("POST", v1("/agents"), { body: big }) },
    { op: "GET /agents", status: 429, run: () => s("GET", v1("/agents"), { token: limited }) },
    { op: "DELETE /agents/{id}", status: 204, run: () => s("DELETE", v1(`/agents/${agentName}`)) },
    // plans
    { op: "POST /plans", status: 201, run: () => s("POST", v1("/plans"), { body: j({ name: "p", steps: [{ id: "a", agent: "researcher", instructions: "x" }] }) }) },
    { op: "GET /plans/{id}", status: 200, run: () => s("GET", v1(`/plans/${plan.id}`)) },
    { op: "GET /plans/{id}", status: 304, run: () => s("GET", v1(`/plans/${plan.id}`), { headers: { "if-none-match": "*" } }) },
    { op: "POST /plans", status: 400, run: () => s("POST", v1("/plans"), { body: j({ name: "p", steps: [] }) }) },
    { op: "GET /plans", status: 401, run: () => s("GET", v1("/plans"), { token: null }) },
    { op: "POST /plans", status: 403, run: () => s("POST", v1("/plans"), { token: viewer, body: j({ name: "p", steps: [{ id: "a", agent: "researcher", instructions: "x" }] }) }) },
    { op: "GET /plans/{id}", status: 404, run: () => s("GET", v1("/plans/pln_missing")) },
    { op: "POST /plans", status: 413, run: () => s("POST", v1("/plans"), { body: big }) },
    { op: "POST /plans", status: 422, run: () => s("POST", v1("/plans"), { body: j({ name: "p", steps: [{ id: "a", agent: "ghost", instructions: "x" }] }) }) },
    { op: "GET /plans", status: 429, run: () => s("GET", v1("/plans"), { token: limited }) },
    { op: "DELETE /plans/{id}", status: 409, run: async () => s("DELETE", v1(`/plans/${(await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.id, inputs: {} } })).json.plan_id}`)) },
    { op: "DELETE /plans/{id}", status: 204, run: async () => s("DELETE", v1(`/plans/${(await api("POST", "/plans", { body: { name: "gone", steps: [{ id: "a", agent: "researcher", instructions: "x" }] } })).json.id}`)) },
    // pricing (in an organization of its own, so no other test's costs move)
    { op: "PUT /pricing/{model}", status: 200, run: () => s("PUT", v1("/pricing/openai:oas"), { token: other, body: j({ input: 1, cache: 0.1, output: 2 }) }) },
    { op: "DELETE /pricing/{model}", status: 204, run: () => s("DELETE", v1("/pricing/openai:oas"), { token: other }) },
    { op: "PUT /pricing/{model}", status: 400, run: () => s("PUT", v1("/pricing/openai:oas"), { token: other, body: j({ input: -1, cache: 0, output: 0 }) }) },
    { op: "GET /pricing", status: 401, run: () => s("GET", v1("/pricing"), { token: null }) },
    { op: "PUT /pricing/{model}", status: 403, run: () => s("PUT", v1("/pricing/openai:oas"), { token: member, body: j({ input: 1, cache: 0, output: 0 }) }) },
    { op: "DELETE /pricing/{model}", status: 404, run: () => s("DELETE", v1("/pricing/openai:never-set"), { token: other }) },
    { op: "PUT /pricing/{model}", status: 413, run: () => s("PUT", v1("/pricing/sim"), { body: big }) },
    { op: "GET /pricing", status: 429, run: () => s("GET", v1("/pricing"), { token: limited }) },
    // named MCP servers (in an organization of their own)
    { op: "PUT /mcp-servers/{name}", status: 200, run: () => s("PUT", v1("/mcp-servers/oas"), { token: other, body: j({ url: "https://mcp.example.com/mcp", headers: { Authorization: "Bearer oas-value" } }) }) },
    { op: "GET /mcp-servers/{name}", status: 200, run: () => s("GET", v1("/mcp-servers/oas"), { token: other }) },
    { op: "GET /mcp-servers", status: 200, run: () => s("GET", v1("/mcp-servers"), { token: other }) },
    { op: "DELETE /mcp-servers/{name}", status: 204, run: () => s("DELETE", v1("/mcp-servers/oas"), { token: other }) },
    { op: "PUT /mcp-servers/{name}", status: 400, run: () => s("PUT", v1("/mcp-servers/oas"), { token: other, body: j({ url: "ftp://mcp.example.com" }) }) },
    { op: "GET /mcp-servers", status: 401, run: () => s("GET", v1("/mcp-servers"), { token: null }) },
    { op: "PUT /mcp-servers/{name}", status: 403, run: () => s("PUT", v1("/mcp-servers/oas"), { token: member, body: j({ url: "https://mcp.example.com/mcp" }) }) },
    { op: "GET /mcp-servers/{name}", status: 404, run: () => s("GET", v1("/mcp-servers/never-set"), { token: other }) },
    {
      op: "PUT /mcp-servers/{name}", status: 409,
      run: async () => {
        const taken = { token: other, body: j({ url: "https://mcp.example.com/mcp" }) };
        await s("PUT", v1("/mcp-servers/oas-taken"), taken);
        return s("PUT", v1("/mcp-servers/oas-taken"), { ...taken, headers: { "if-none-match": "*" } });
      },
    },
    { op: "PUT /mcp-servers/{name}", status: 413, run: () => s("PUT", v1("/mcp-servers/oas"), { body: big }) },
    // an instance without SECRETS_KEY keeps no credential
    {
      op: "PUT /mcp-servers/{name}", status: 422,
      run: async () => {
        const req = new Request(`${BASE}${v1("/mcp-servers/oas")}`, { method: "PUT", headers: { authorization: `Bearer ${other}`, "content-type": "application/json" }, body: j({ url: "https://mcp.example.com/mcp", headers: { Authorization: "Bearer oas-no-key" } }) });
        const res = await worker.fetch(req, { ...env, SECRETS_KEY: undefined }, createExecutionContext());
        await res.body?.cancel();
        return res.status;
      },
    },
    { op: "GET /mcp-servers", status: 429, run: () => s("GET", v1("/mcp-servers"), { token: limited }) },
    // tokens
    { op: "POST /tokens", status: 201, run: () => s("POST", v1("/tokens"), { body: j({ name: "oas", role: "viewer" }) }) },
    { op: "GET /tokens", status: 200, run: () => s("GET", v1("/tokens")) },
    { op: "POST /tokens", status: 400, run: () => s("POST", v1("/tokens"), { body: j({ name: "oas", role: "owner" }) }) },
    { op: "GET /tokens", status: 401, run: () => s("GET", v1("/tokens"), { token: null }) },
    { op: "GET /tokens", status: 403, run: () => s("GET", v1("/tokens"), { token: member }) },
    { op: "DELETE /tokens/{id}", status: 404, run: () => s("DELETE", v1("/tokens/tok_missing")) },
    { op: "DELETE /tokens/{id}", status: 409, run: () => s("DELETE", v1("/tokens/tok_bootstrap")) },
    { op: "POST /tokens", status: 413, run: () => s("POST", v1("/tokens"), { body: big }) },
    { op: "GET /tokens", status: 429, run: () => s("GET", v1("/tokens"), { token: limited }) },
    { op: "GET /tokens/{id}", status: 200, run: () => s("GET", v1("/tokens/tok_bootstrap")) },
    { op: "GET /tokens/{id}", status: 401, run: () => s("GET", v1("/tokens/tok_bootstrap"), { token: null }) },
    { op: "GET /tokens/{id}", status: 403, run: () => s("GET", v1("/tokens/tok_bootstrap"), { token: member }) },
    { op: "GET /tokens/{id}", status: 404, run: () => s("GET", v1("/tokens/tok_missing")) },
    { op: "DELETE /tokens/{id}", status: 204, run: async () => s("DELETE", v1(`/tokens/${(await api("POST", "/tokens", { body: { name: "gone", role: "viewer" } })).json.id}`)) },
    // orgs
    { op: "POST /orgs", status: 201, run: () => s("POST", v1("/orgs"), { body: j({ name: "OAS org" }) }) },
    { op: "GET /orgs", status: 200, run: () => s("GET", v1("/orgs")) },
    { op: "POST /orgs", status: 400, run: () => s("POST", v1("/orgs"), { body: j({ name: "" }) }) },
    { op: "GET /orgs", status: 401, run: () => s("GET", v1("/orgs"), { token: null }) },
    { op: "GET /orgs", status: 403, run: () => s("GET", v1("/orgs"), { token: other }) },
    { op: "POST /orgs", status: 413, run: () => s("POST", v1("/orgs"), { body: big }) },
    { op: "GET /orgs", status: 429, run: () => s("GET", v1("/orgs"), { token: limited }) },
    { op: "GET /orgs/{id}", status: 200, run: () => s("GET", v1("/orgs/org_default")) },
    { op: "GET /orgs/{id}", status: 401, run: () => s("GET", v1("/orgs/org_default"), { token: null }) },
    { op: "GET /orgs/{id}", status: 403, run: () => s("GET", v1("/orgs/org_default"), { token: other }) },
    { op: "GET /orgs/{id}", status: 404, run: () => s("GET", v1("/orgs/org_missing")) },
    // search index
    { op: "GET /search-index", status: 200, run: () => s("GET", v1("/search-index")) },
    { op: "POST /search-index/merge", status: 202, run: () => s("POST", v1("/search-index/merge")) },
    { op: "GET /search-index", status: 401, run: () => s("GET", v1("/search-index"), { token: null }) },
    { op: "POST /search-index/merge", status: 403, run: () => s("POST", v1("/search-index/merge"), { token: other }) },
    { op: "POST /search-index/merge", status: 413, run: () => s("POST", v1("/search-index/merge"), { body: big }) },
    { op: "GET /search-index", status: 429, run: () => s("GET", v1("/search-index"), { token: limited }) },
    // audit
    { op: "GET /audit", status: 200, run: () => s("GET", v1("/audit")) },
    { op: "GET /audit", status: 400, run: () => s("GET", v1("/audit?limit=0")) },
    { op: "GET /audit", status: 401, run: () => s("GET", v1("/audit"), { token: null }) },
    { op: "GET /audit", status: 403, run: () => s("GET", v1("/audit"), { token: member }) },
    { op: "GET /audit", status: 429, run: () => s("GET", v1("/audit"), { token: limited }) },
    // triggers and webhook deliveries
    { op: "POST /triggers", status: 201, run: () => s("POST", v1("/triggers"), { body: j({ kind: "cron", plan_id: plan.id, cron: "0 9 * * 1-5" }) }) },
    { op: "GET /triggers/{id}", status: 200, run: () => s("GET", v1(`/triggers/${hook.id}`)) },
    { op: "POST /hooks/{trigger_id}", status: 202, run: () => deliver(hook.id, hook.secret, j({})) },
    { op: "POST /triggers", status: 400, run: () => s("POST", v1("/triggers"), { body: j({ kind: "sometimes", plan_id: plan.id }) }) },
    { op: "POST /hooks/{trigger_id}", status: 401, run: () => deliver(hook.id, hook.secret, j({}), "v1,bm9wZQ==") },
    { op: "POST /triggers", status: 403, run: () => s("POST", v1("/triggers"), { token: member, body: j({ kind: "webhook", plan_id: plan.id }) }) },
    { op: "GET /triggers/{id}", status: 404, run: () => s("GET", v1("/triggers/trg_missing")) },
    { op: "POST /hooks/{trigger_id}", status: 409, run: () => deliver(paused.id, paused.secret, j({})) },
    { op: "POST /triggers", status: 413, run: () => s("POST", v1("/triggers"), { body: big }) },
    { op: "POST /triggers", status: 422, run: () => s("POST", v1("/triggers"), { body: j({ kind: "webhook", plan_id: "pln_missing" }) }) },
    { op: "POST /hooks/{trigger_id}", status: 429, run: () => deliver(limitedHook.id, limitedHook.secret, j({})) },
    { op: "DELETE /triggers/{id}", status: 204, run: () => s("DELETE", v1(`/triggers/${paused.id}`)) },
    { op: "DELETE /tasks/{id}/purge", status: 204, run: () => s("DELETE", v1(`/tasks/${done.id}/purge`)) },
    // settings and spend (changes in an organization of its own)
    { op: "GET /settings", status: 200, run: () => s("GET", v1("/settings")) },
    { op: "PATCH /settings", status: 200, run: () => s("PATCH", v1("/settings"), { token: other, body: j({ mask_patterns: [] }) }) },
    { op: "PATCH /settings", status: 403, run: () => s("PATCH", v1("/settings"), { token: member, body: j({ mask_patterns: [] }) }) },
    { op: "GET /spend", status: 200, run: () => s("GET", v1("/spend?group=agent")) },
    { op: "GET /spend", status: 400, run: () => s("GET", v1("/spend?group=planet")) },
    // notifications
    { op: "POST /notifications/subscriptions", status: 201, run: () => s("POST", v1("/notifications/subscriptions"), { token: other, body: j(subscription) }) },
    { op: "GET /notifications/subscriptions", status: 200, run: () => s("GET", v1("/notifications/subscriptions"), { token: other }) },
    { op: "GET /notifications/subscriptions", status: 403, run: () => s("GET", v1("/notifications/subscriptions"), { token: member }) },
    { op: "GET /notifications/subscriptions/{id}", status: 404, run: () => s("GET", v1("/notifications/subscriptions/sub_missing")) },
    { op: "POST /notifications/subscriptions", status: 422, run: () => s("POST", v1("/notifications/subscriptions"), { token: other, body: j({ ...subscription, url: "ftp://example.com/hook" }) }) },
    {
      op: "POST /notifications/subscriptions",
      status: 409,
      run: async () => {
        for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_ORG; i++) await s("POST", v1("/notifications/subscriptions"), { token: other, body: j(subscription) });
        return s("POST", v1("/notifications/subscriptions"), { token: other, body: j(subscription) });
      },
    },
    {
      op: "DELETE /notifications/subscriptions/{id}",
      status: 204,
      run: async () => {
        const list = (await api("GET", "/notifications/subscriptions", { token: other })).json;
        return s("DELETE", v1(`/notifications/subscriptions/${list.items[0].id}`), { token: other });
      },
    },
    // chat
    { op: "POST /chat", status: 201, run: () => s("POST", v1("/chat"), { body: j({ message: "Research the market." }) }) },
    { op: "GET /chat/{id}", status: 200, run: async () => s("GET", v1(`/chat/${(await api("POST", "/chat", { body: {} })).json.id}`)) },
    { op: "POST /chat", status: 403, run: () => s("POST", v1("/chat"), { token: viewer, body: j({}) }) },
    { op: "GET /chat/{id}", status: 404, run: () => s("GET", v1("/chat/cnv_0000000000000000")) },
    { op: "GET /chat/{id}/draft", status: 409, run: async () => s("GET", v1(`/chat/${(await api("POST", "/chat", { body: {} })).json.id}/draft`)) },
    { op: "POST /chat", status: 422, run: () => s("POST", v1("/chat"), { body: j({ plan_id: "pln_missing" }) }) },
    // health and the document itself
    { op: "GET /health", status: 200, run: () => s("GET", v1("/health"), { token: null }) },
    { op: "GET /openapi.json", status: 200, run: () => s("GET", v1("/openapi.json"), { token: null }) },
    {
      op: "GET /health",
      status: 503,
      run: async () => {
        const down = { ...env, DB: { prepare: () => ({ first: () => Promise.reject(new Error("D1 is down")) }) } } as unknown as typeof env;
        return (await healthApi.request("/", {}, down)).status;
      },
    },
  ];
  return [...cases, ...genericCases(cases, limited)];
}

/**
 * What middleware answers the same way on every route: no token (401), rate limited (429),
 * body too large (413), malformed JSON or an unknown query parameter (400). One each per family that documents it and
 * has no hand-picked case for it.
 */
function genericCases(picked: Case[], limited: string): Case[] {
  const family = (key: string) => ops().find((o) => o.key === key)?.op.tags[0];
  const have = new Set(picked.map((c) => `${family(c.op)} ${c.status}`));
  const out: Case[] = [];
  for (const { key, method, path, op } of ops()) {
    const url = fill(fullPath(path, op));
    const body = op.requestBody ? "{}" : undefined;
    const add = (st: number, run: () => Promise<number>) => {
      const k = `${op.tags[0]} ${st}`;
      if (have.has(k) || !(String(st) in op.responses)) return;
      have.add(k);
      out.push({ op: key, status: st, run });
    };
    if (key !== "POST /hooks/{trigger_id}") add(400, () => status(method, `${url}?unknown_param=1`, { token: PUBLIC_OPERATIONS.has(key) ? null : ADMIN, body }));
    if (PUBLIC_OPERATIONS.has(key)) continue;
    add(401, () => status(method, url, { token: null, body }));
    add(429, () => status(method, url, { token: limited, body }));
    if (op.requestBody) add(413, () => status(method, url, { body: big }));
    if (op.requestBody) add(400, () => status(method, url, { body: "{" }));
  }
  return out;
}

describe("every route takes only what it declares", () => {
  it("refuses an unknown query parameter with 400 naming it, rather than ignoring a misspelt filter", async () => {
    const misspelt = await api("GET", "/tasks?agnet=writer");
    expectError(misspelt, 400, "bad_request");
    expect(misspelt.json.error.message).toContain('unknown query parameter "agnet" (it takes status, source, agent, q,');
    expect(misspelt.json.error.details).toEqual([{ path: "agnet", message: "unknown query parameter" }]);
    const exported = await api("GET", "/tasks/export?stauts=failed&format=json");
    expectError(exported, 400, "bad_request");
    expect(exported.json.error.details).toEqual([{ path: "stauts", message: "unknown query parameter" }]);
    expect((await api("GET", "/tasks/summary?status=failed&limit=5")).json.error.details).toEqual([{ path: "limit", message: "unknown query parameter" }]);
    expect((await api("GET", "/settings?x=1&y=2")).json.error.message).toContain('unknown query parameters "x", "y" (this route takes none)');
    // a parameter given twice is named, not reported as an invalid value
    const twice = await api("GET", "/tasks?status=failed&status=cancelled&limit=1&limit=2");
    expectError(twice, 400, "bad_request");
    expect(twice.json.error.details).toEqual([{ path: "status", message: "given 2 times: it takes one value" }, { path: "limit", message: "given 2 times: it takes one value" }]);
    // a percent-escape that is not UTF-8 is no text: refused, not searched as the letters written
    for (const path of ["/tasks?q=%FF%FE", "/tasks/summary?q=report%E0%A4", "/tasks/export?format=csv&agent=%C3"]) {
      const garbled = await api("GET", path);
      expectError(garbled, 400, "bad_request");
      expect(garbled.json.error.details, path).toEqual([{ path: path.includes("agent") ? "agent" : "q", message: "a percent-escape that is not UTF-8" }]);
    }
    // the declared ones still work, the streams' resume point included; a well-formed escape is its character
    expect((await api("GET", "/tasks?q=%EF%BF%BD+caf%C3%A9")).status).toBe(200);
    expect((await api("GET", "/tasks?agent=writer&limit=1")).status).toBe(200);
    expect(await status("GET", v1("/events?last_event_id=0"))).toBe(200);
    for (const { key, method, path, op } of ops()) {
      if (key === "POST /hooks/{trigger_id}") continue; // outside the API: a webhook sender's URL is its own
      const url = fill(fullPath(path, op));
      const res = await workerFetch(new Request(`${BASE}${url}?bogus=1`, { method, headers: { authorization: `Bearer ${ADMIN}` } }));
      const body = (await res.json()) as { error?: { details?: unknown } };
      expect(res.status, key).toBe(400);
      expect(body.error?.details, key).toEqual([{ path: "bogus", message: "unknown query parameter" }]);
    }
  }, SWEEP_MS);

  it("refuses a parameter given empty, or a name filter with spaces around it, with 400 naming it, rather than listing or exporting everything", async () => {
    const token = await makeOrg(`org_empty_${crypto.randomUUID().slice(0, 8)}`);
    await createTask({ agent: "researcher", title: "not everything", description: "@output x" }, token);
    for (const path of ["/tasks", "/tasks/summary", "/tasks/export"]) {
      for (const key of ["agent", "q", "trigger_id", "status", "source"]) {
        const res = await api("GET", `${path}?${key}=`, { token });
        expectError(res, 400, "bad_request");
        expect(res.json.error.details, `${path} ${key}`).toEqual([{ path: key, message: "empty: give a value, or leave the parameter out" }]);
        expect(res.json.error.message).toBe(`invalid request: ${key}: empty: give a value, or leave the parameter out`);
      }
      for (const value of [" researcher", "researcher ", "%09researcher"]) {
        const res = await api("GET", `${path}?agent=${value.replaceAll(" ", "%20")}`, { token });
        expectError(res, 400, "bad_request");
        expect(res.json.error.details, `${path} ${JSON.stringify(value)}`).toEqual([{ path: "agent", message: "spaces around the value: give it without them" }]);
      }
      expectError(await api("GET", `${path}?trigger_id=%20trg_x`, { token }), 400, "bad_request");
    }
    for (const key of ["cursor", "limit", "sort", "created_from", "created_to"]) {
      expect((await api("GET", `/tasks?${key}`, { token })).json.error.details, key).toEqual([{ path: key, message: "empty: give a value, or leave the parameter out" }]);
    }
    expect((await api("GET", "/tasks/export?format=", { token })).json.error.details).toEqual([{ path: "format", message: "empty: give a value, or leave the parameter out" }]);
    expect((await api("GET", "/audit?action=", { token })).json.error.details).toEqual([{ path: "action", message: "empty: give a value, or leave the parameter out" }]);
    const spaced = { path: "", message: "spaces around the value: give it without them" };
    expect((await api("GET", "/audit?action=task.create%20", { token })).json.error.details).toEqual([{ ...spaced, path: "action" }]);
    expect((await api("GET", "/notifications/deliveries?task_id=%20tsk_x", { token })).json.error.details).toEqual([{ ...spaced, path: "task_id" }]);
    expect((await api("GET", "/notifications/deliveries?subscription_id=sub_x%20", { token })).json.error.details).toEqual([{ ...spaced, path: "subscription_id" }]);
    expect((await api("GET", "/agents?limit=&cursor=", { token })).json.error.details).toHaveLength(2);
    // a value with no name (`?=writer`, a client's name left out) is no filter either
    const nameless = await api("GET", "/tasks/export?=writer", { token });
    expectError(nameless, 400, "bad_request");
    expect(nameless.json.error.details).toEqual([{ path: "", message: "unknown query parameter" }]);
    // a search's own spaces are words apart, as typed
    expect((await api("GET", "/tasks?q=%20not%20every%20", { token })).json.items).toHaveLength(1);
    expect((await api("GET", "/tasks?agent=researcher", { token })).json.items).toHaveLength(1);
  });

  it("refuses an unknown body key with 400 at the key's own path, one detail per key, and makes nothing", async () => {
    const before = (await api("GET", "/agents")).json.items.length;
    const agent = await api("POST", "/agents", { body: { name: "stray-key", model: "sim", system_prompt: "x", tools: [], max_turns: 3, extra: 1, more: 2 } });
    expectError(agent, 400, "bad_request");
    expect(agent.json.error.details).toEqual([{ path: "extra", message: "unknown key" }, { path: "more", message: "unknown key" }]);
    expect(agent.json.error.message).toBe("invalid request: extra: unknown key; more: unknown key");
    expect((await api("GET", "/agents")).json.items.length).toBe(before);
    // inside a union's closest shape, and nested in a plan
    const task = await api("POST", "/tasks", { body: { agent: "researcher", title: "stray", description: "x", bogus: { a: 1 } } });
    expect(task.json.error.details).toEqual([{ path: "bogus", message: "unknown key" }]);
    const plan = await api("POST", "/plans", { body: { name: "stray", steps: [{ id: "s", agent: "researcher", instructions: "x" }, { id: "l", kind: "loop", over: "s", body: [{ id: "b", agent: "researcher", instructions: "x", dependson: ["s"] }] }] } });
    expectError(plan, 400, "bad_request");
    expect(plan.json.error.details).toEqual([{ path: "steps[1].body[0].dependson", message: "unknown key" }]);
    // a huge integer is told the field's own bound, not also JavaScript's safe-integer one
    expect((await api("GET", "/tasks?limit=99999999999999999999999")).json.error.details).toEqual([{ path: "limit", message: "a whole number from 1 to 100, in decimal digits" }]);
    const turns = await api("POST", "/agents", { body: { name: "huge-turns", model: "sim", system_prompt: "x", max_turns: 1e20 } });
    expect(turns.json.error.details).toEqual([{ path: "max_turns", message: "Too big: expected number to be <=1000" }]);
  });
});

describe("a method a path does not take", () => {
  it("is 405 with Allow naming the documented methods (OPTIONS gets them as a 204), and a stray trailing slash is named", async () => {
    // the documented paths a URL matches most fixedly count: `/tasks/export` is a `GET /tasks/export`, never a
    // `DELETE /tasks/{id}` of a task called "export" (a fixed segment beats a parameter where they first differ)
    const pattern = (path: string, op: Op) => new RegExp(`^${fullPath(path, op).replace(/\./g, "\\.").replace(/\{\w+\}/g, "[^/]+")}$`);
    const fixedness = (path: string) => path.split("/").map((seg) => (/^\{\w+\}$/.test(seg) ? "0" : "1")).join("");
    const all = ops().map((o) => ({ ...o, re: pattern(o.path, o.op), fixed: fixedness(fullPath(o.path, o.op)) }));
    for (const url of new Set(all.map((o) => fill(fullPath(o.path, o.op))))) {
      const matching = all.filter((o) => o.re.test(url));
      const most = matching.map((o) => o.fixed).sort().at(-1)!;
      const methods = [...new Set(matching.filter((o) => o.fixed === most).map((o) => o.method))];
      const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : [])].sort().join(", ");
      // one method no route takes, and every one that only a less fixed route takes
      const shadowed = [...new Set(matching.filter((o) => o.fixed !== most).map((o) => o.method))].filter((m) => !methods.includes(m));
      const wrongs = new Set([["PATCH", "PUT", "DELETE", "POST", "GET"].find((m) => !methods.includes(m))!, ...shadowed]);
      for (const wrong of wrongs) {
        const res = await workerFetch(new Request(`${BASE}${url}`, { method: wrong, headers: { authorization: `Bearer ${ADMIN}` } }));
        const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
        expect([res.status, res.headers.get("allow"), body.error.code], `${wrong} ${url}`).toEqual([405, allow, "method_not_allowed"]);
        expect(body.error.message).toBe(`${wrong} is not allowed on ${url}: it takes ${allow}`);
        expect(body.error.request_id).toBeTruthy();
      }
      const options = await workerFetch(new Request(`${BASE}${url}`, { method: "OPTIONS", headers: { authorization: `Bearer ${ADMIN}` } }));
      expect([options.status, options.headers.get("allow")], `OPTIONS ${url}`).toEqual([204, `${allow}, OPTIONS`]);
    }
    // and changes nothing: a PUT on the task list makes no task
    const before = (await api("GET", "/tasks?limit=100")).json.items.length;
    expect((await api("PUT", "/tasks", { body: { agent: "researcher", title: "put" } })).status).toBe(405);
    expect((await api("GET", "/tasks?limit=100")).json.items.length).toBe(before);
    const slash = await api("GET", "/tasks/");
    expectError(slash, 404, "not_found");
    expect(slash.json.error.message).toBe("no route GET /api/v1/tasks/ (did you mean /api/v1/tasks, without the trailing slash?)");
    expect((await api("GET", "/nothing-here")).json.error.message).toBe("no route GET /api/v1/nothing-here");
  }, SWEEP_MS);
});

describe("a fixed path beside an {id}", () => {
  it("takes only its own methods: DELETE /tasks/export is 405, not a cancel of a task called export", async () => {
    const cases: [string, string, string][] = [
      ["DELETE", "/tasks/export", "GET, HEAD"],
      ["DELETE", "/tasks/summary", "GET, HEAD"],
      ["PATCH", "/tasks/export", "GET, HEAD"],
      ["DELETE", "/triggers/next-fires", "GET, HEAD"],
      ["PATCH", "/triggers/next-fires", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await api(method, path);
      expectError(res, 405, "method_not_allowed");
      expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow);
      expect(res.json.error.message).toBe(`${method} is not allowed on /api/v1${path}: it takes ${allow}`);
      const options = await api("OPTIONS", path);
      expect([options.status, options.headers.get("allow")], `OPTIONS ${path}`).toEqual([204, `${allow}, OPTIONS`]);
    }
    // what they take still answers, and an {id} beside them is still a task's or a trigger's
    expect((await api("GET", "/tasks/summary")).status).toBe(200);
    expect((await api("HEAD", "/tasks/export?format=csv")).status).toBe(200);
    expectError(await api("DELETE", "/tasks/tsk_missing"), 404, "not_found");
    expectError(await api("PATCH", "/triggers/trg_missing", { body: { title: "x" } }), 404, "not_found");
    const options = await api("OPTIONS", "/tasks/tsk_missing");
    expect([options.status, options.headers.get("allow")]).toEqual([204, "DELETE, GET, HEAD, OPTIONS"]);
  });
});

describe("a route that takes no body", () => {
  it("refuses one (400 naming its keys) rather than dropping it, and changes nothing", async () => {
    const asking = await createTask({ agent: "researcher", title: "asks", description: "@ask Which segment?\n@output ok" });
    await waitForStatus(asking.id, ["needs_input"]);
    const refused = await api("DELETE", `/tasks/${asking.id}`, { body: { reason: "duplicate" } });
    expectError(refused, 400, "bad_request");
    expect(refused.json.error.message).toContain('this route takes no body (unknown key "reason")');
    expect(refused.json.error.details).toEqual([{ path: "reason", message: "unknown key: this route takes no body" }]);
    expect((await api("GET", `/tasks/${asking.id}`)).json.status).toBe("needs_input");
    expectError(await api("DELETE", `/tasks/${asking.id}`, { raw: "[1]" }), 400, "bad_request");
    expectError(await api("DELETE", `/tasks/${asking.id}`, { raw: "not json", headers: { "content-type": "text/plain" } }), 400, "bad_request");
    // an empty object is what many clients send for "nothing": it is no body
    expect((await api("DELETE", `/tasks/${asking.id}`, { body: {} })).json.status).toBe("cancelled");
    for (const { key, method, path, op } of ops()) {
      if (method === "GET" || op.requestBody) continue;
      const res = await workerFetch(
        new Request(`${BASE}${fill(fullPath(path, op))}`, { method, headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: j({ bogus: 1 }) }),
      );
      const body = (await res.json()) as { error?: { details?: unknown } };
      expect(res.status, key).toBe(400);
      expect(body.error?.details, key).toEqual([{ path: "bogus", message: "unknown key: this route takes no body" }]);
    }
  }, SWEEP_MS);
});

describe("every documented status is reachable", () => {
  it("answers each documented status of each route family with a representative request", async () => {
    const cases = await buildCases();
    const byKey = new Map(ops().map((o) => [o.key, o]));
    const covered = new Set<string>();
    for (const c of cases) {
      const o = byKey.get(c.op);
      expect(o, `${c.op} is documented`).toBeTruthy();
      expect(Object.keys(o!.op.responses), `${c.op} documents ${c.status}`).toContain(String(c.status));
      if (c.status === 429) await spendLimits();
      expect(await c.run(), `${c.op} → ${c.status}`).toBe(c.status);
      covered.add(`${o!.op.tags[0]} ${c.status}`);
    }
    const missing: string[] = [];
    for (const { key, op } of ops()) {
      for (const st of Object.keys(op.responses)) {
        if (!covered.has(`${op.tags[0]} ${st}`) && !KNOWN_UNREACHABLE[`${key} ${st}`]) missing.push(`${op.tags[0]} ${st} (e.g. ${key})`);
      }
    }
    expect([...new Set(missing)], "family statuses with no representative request").toEqual([]);
    // a few hundred requests one after another: about 10 s alone, more with another file running beside it
  }, 120_000);

  it("reports a dependency that does not answer as down, within the timeout", async () => {
    const hang = { prepare: () => ({ first: () => new Promise(() => {}) }) } as unknown as D1Database;
    const started = Date.now();
    const health = await checkHealth({ ...env, DB: hang });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(health).toMatchObject({ ok: false, d1: false, durable_objects: true, checks: { d1: { ok: false }, task_runner: { ok: true }, org_feed: { ok: true } } });
    expect(health.checks.d1.error).toMatch(/no answer within/);
  });
});
