import { beforeAll, describe, expect, it } from "vitest";
import { api, BASE, waitForStatus, workerFetch } from "../helpers";

/**
 * Every operation of the OpenAPI document, probed as an attacker would: with another organization's admin token
 * on this organization's real ids, and with each role below the one it needs. Each operation must be listed in
 * ACCESS, so a new route fails here until its access is decided.
 */
type Need = "public" | "viewer" | "member" | "admin" | "instance";
const ACCESS: Record<string, Need> = {
  "GET /health": "public", "POST /auth/session": "public", "GET /auth/session": "viewer", "DELETE /auth/session": "viewer",
  "POST /hooks/{trigger_id}": "public", "GET /openapi.json": "public", "GET /reference": "public", "GET /reference.css": "public",
  "GET /tasks/export": "viewer", "POST /tasks": "member", "GET /tasks": "viewer", "GET /tasks/summary": "viewer",
  "GET /tasks/{id}": "viewer", "DELETE /tasks/{id}": "member", "DELETE /tasks/{id}/purge": "admin",
  "POST /tasks/{id}/steps/{step}/approve": "member", "POST /tasks/{id}/steps/{step}/reject": "member",
  "GET /tasks/{id}/steps/{step}/runs/{n}/trace": "viewer", "POST /tasks/{id}/rerun": "member", "GET /tasks/{id}/events": "viewer",
  "POST /sessions/{session_id}/respond": "member",
  "GET /agents": "viewer", "POST /agents": "admin", "GET /agents/{id}": "viewer", "PUT /agents/{id}": "admin", "DELETE /agents/{id}": "admin",
  "GET /plans": "viewer", "POST /plans": "admin", "GET /plans/{id}": "viewer", "PUT /plans/{id}": "admin", "DELETE /plans/{id}": "admin",
  "GET /plans/{id}/versions": "viewer", "POST /plans/{id}/run": "member", "GET /events": "viewer",
  "POST /triggers": "admin", "GET /triggers": "viewer", "GET /triggers/next-fires": "viewer", "GET /triggers/{id}": "viewer",
  "PATCH /triggers/{id}": "admin", "DELETE /triggers/{id}": "admin", "POST /triggers/{id}/rotate-secret": "admin",
  "POST /triggers/{id}/expire-previous-secret": "admin", "POST /triggers/{id}/pause": "admin", "POST /triggers/{id}/resume": "admin",
  "POST /triggers/{id}/run": "member",
  "POST /tokens": "admin", "GET /tokens": "admin", "GET /tokens/{id}": "admin", "PATCH /tokens/{id}": "admin", "DELETE /tokens/{id}": "admin",
  "POST /orgs": "instance", "GET /orgs": "instance", "GET /orgs/{id}": "instance", "GET /audit": "admin",
  "GET /search-index": "instance", "POST /search-index/merge": "instance",
  "GET /pricing": "viewer", "PUT /pricing/{model}": "admin", "DELETE /pricing/{model}": "admin",
  "GET /mcp-servers": "viewer", "GET /mcp-servers/{name}": "viewer", "PUT /mcp-servers/{name}": "admin", "DELETE /mcp-servers/{name}": "admin",
  "GET /settings": "viewer", "PATCH /settings": "admin", "GET /spend": "viewer",
  "GET /notifications/subscriptions": "admin", "POST /notifications/subscriptions": "admin", "GET /notifications/subscriptions/{id}": "admin",
  "PATCH /notifications/subscriptions/{id}": "admin", "DELETE /notifications/subscriptions/{id}": "admin",
  "POST /notifications/subscriptions/{id}/rotate-secret": "admin", "POST /notifications/subscriptions/{id}/test": "admin",
  "GET /notifications/deliveries": "admin", "GET /notifications/inbox": "viewer",
  "POST /chat": "member", "GET /chat/{id}": "viewer", "GET /chat/{id}/draft": "viewer", "POST /chat/{id}/messages": "member",
  "POST /chat/{id}/run": "member", "POST /chat/{id}/save": "admin",
};

interface Org { id: string; admin: string; member: string; viewer: string; tokenId: string }
interface Fixture {
  org: Org;
  waiting: { id: string; session_id: string; call_id: string };
  review: { id: string };
  done: { id: string };
  plan: string; agent: string; cron: string; webhook: string; subscription: string; chat: string;
}

async function newOrg(name: string): Promise<Org> {
  const made = await api("POST", "/orgs", { body: { name } });
  expect(made.status, made.text).toBe(201);
  const admin = made.json.token.token as string;
  const role = async (r: string) => {
    const t = await api("POST", "/tokens", { token: admin, body: { name: r, role: r } });
    expect(t.status, t.text).toBe(201);
    return t.json as { id: string; token: string };
  };
  const member = await role("member");
  const viewer = await role("viewer");
  return { id: made.json.org.id, admin, member: member.token, viewer: viewer.token, tokenId: viewer.id };
}

async function post(token: string, path: string, body: unknown) {
  const res = await api("POST", path, { token, body });
  expect(res.status, `${path}: ${res.text}`).toBeLessThan(300);
  return res.json;
}

async function fixture(name: string): Promise<Fixture> {
  const org = await newOrg(name);
  const t = org.admin;
  const waitingTask = await post(t, "/tasks", { agent: "researcher", title: "secret question", description: "@ask which market?" });
  const plan = await post(t, "/plans", { name: "secret plan", steps: [{ id: "draft", agent: "writer", instructions: "@output v1", approval: true }] });
  const review = await post(t, `/plans/${plan.id}/run`, {});
  const done = await post(t, "/tasks", { agent: "researcher", title: "secret done", description: "@output finished" });
  const price = await api("PUT", "/pricing/openai:secret-model", { token: t, body: { input: 1, cache: 1, output: 1 } });
  expect(price.status, price.text).toBe(200);
  const server = await api("PUT", "/mcp-servers/secret-server", { token: t, body: { url: "https://mcp.example.com/secret", headers: { Authorization: "Bearer secret-credential" } } });
  expect(server.status, server.text).toBe(200);
  const agent = await post(t, "/agents", { name: "secret-agent", model: "sim", system_prompt: "be secret", tools: ["mcp:secret-server"] });
  const cron = await post(t, "/triggers", { kind: "cron", plan_id: plan.id, cron: "0 9 * * 1-5", timezone: "UTC" });
  const webhook = await post(t, "/triggers", { kind: "webhook", plan_id: plan.id });
  const subscription = await post(t, "/notifications/subscriptions", { url: "https://hooks.example.com/secret", events: ["task.failed"] });
  const chat = await post(t, "/chat", { message: "research the market, then write a brief" });
  const waiting = await waitForStatus(waitingTask.id, ["needs_input"], 10_000, t);
  await waitForStatus(review.id, ["needs_input"], 10_000, t);
  await waitForStatus(done.id, ["completed"], 10_000, t);
  return {
    org, waiting: { id: waiting.id, session_id: waiting.session_id, call_id: waiting.pending[0].call_id }, review: { id: review.id }, done: { id: done.id },
    plan: plan.id, agent: agent.id, cron: cron.id, webhook: webhook.id, subscription: subscription.id, chat: chat.id,
  };
}

/** One request per operation on `f`'s ids, with a body that would succeed for the right caller. */
function requestsFor(f: Fixture): Record<string, { path: string; body?: unknown }> {
  return {
    "GET /auth/session": { path: "/auth/session" },
    "DELETE /auth/session": { path: "/auth/session" },
    "GET /tasks/export": { path: "/tasks/export?format=json" },
    "POST /tasks": { path: "/tasks", body: { agent: "researcher", title: "x", description: "@output x" } },
    "GET /tasks": { path: "/tasks" },
    "GET /tasks/summary": { path: "/tasks/summary" },
    "GET /tasks/{id}": { path: `/tasks/${f.waiting.id}` },
    "DELETE /tasks/{id}": { path: `/tasks/${f.waiting.id}` },
    "DELETE /tasks/{id}/purge": { path: `/tasks/${f.done.id}/purge` },
    "POST /tasks/{id}/steps/{step}/approve": { path: `/tasks/${f.review.id}/steps/draft/approve`, body: {} },
    "POST /tasks/{id}/steps/{step}/reject": { path: `/tasks/${f.review.id}/steps/draft/reject`, body: { comment: "no" } },
    "GET /tasks/{id}/steps/{step}/runs/{n}/trace": { path: `/tasks/${f.done.id}/steps/main/runs/1/trace` },
    "POST /tasks/{id}/rerun": { path: `/tasks/${f.done.id}/rerun`, body: { from_step: "main" } },
    "GET /tasks/{id}/events": { path: `/tasks/${f.waiting.id}/events` },
    "POST /sessions/{session_id}/respond": { path: `/sessions/${f.waiting.session_id}/respond`, body: { call_id: f.waiting.call_id, answers: ["fintech"] } },
    "GET /agents": { path: "/agents" },
    "POST /agents": { path: "/agents", body: { name: "another", model: "sim", system_prompt: "", tools: [] } },
    "GET /agents/{id}": { path: `/agents/${f.agent}` },
    "PUT /agents/{id}": { path: `/agents/${f.agent}`, body: { name: "secret-agent", model: "sim", system_prompt: "changed", tools: [] } },
    "DELETE /agents/{id}": { path: `/agents/${f.agent}` },
    "GET /plans": { path: "/plans" },
    "POST /plans": { path: "/plans", body: { name: "another", steps: [{ id: "a", agent: "writer", instructions: "@output a" }] } },
    "GET /plans/{id}": { path: `/plans/${f.plan}` },
    "PUT /plans/{id}": { path: `/plans/${f.plan}`, body: { name: "secret plan", steps: [{ id: "draft", agent: "writer", instructions: "@output v2", approval: true }] } },
    "DELETE /plans/{id}": { path: `/plans/${f.plan}` },
    "GET /plans/{id}/versions": { path: `/plans/${f.plan}/versions` },
    "POST /plans/{id}/run": { path: `/plans/${f.plan}/run`, body: {} },
    "GET /events": { path: "/events" },
    "POST /triggers": { path: "/triggers", body: { kind: "webhook", plan_id: f.plan } },
    "GET /triggers": { path: "/triggers" },
    "GET /triggers/next-fires": { path: "/triggers/next-fires?cron=0%209%20*%20*%20*" },
    "GET /triggers/{id}": { path: `/triggers/${f.webhook}` },
    "PATCH /triggers/{id}": { path: `/triggers/${f.cron}`, body: { title: "changed" } },
    "DELETE /triggers/{id}": { path: `/triggers/${f.cron}` },
    "POST /triggers/{id}/rotate-secret": { path: `/triggers/${f.webhook}/rotate-secret`, body: {} },
    "POST /triggers/{id}/expire-previous-secret": { path: `/triggers/${f.webhook}/expire-previous-secret`, body: {} },
    "POST /triggers/{id}/pause": { path: `/triggers/${f.cron}/pause`, body: {} },
    "POST /triggers/{id}/resume": { path: `/triggers/${f.cron}/resume`, body: {} },
    "POST /triggers/{id}/run": { path: `/triggers/${f.cron}/run`, body: {} },
    "POST /tokens": { path: "/tokens", body: { name: "another", role: "admin" } },
    "GET /tokens": { path: "/tokens" },
    "GET /tokens/{id}": { path: `/tokens/${f.org.tokenId}` },
    "PATCH /tokens/{id}": { path: `/tokens/${f.org.tokenId}`, body: { role: "admin" } },
    "DELETE /tokens/{id}": { path: `/tokens/${f.org.tokenId}` },
    "POST /orgs": { path: "/orgs", body: { name: "another" } },
    "GET /orgs": { path: "/orgs" },
    "GET /orgs/{id}": { path: `/orgs/${f.org.id}` },
    "GET /search-index": { path: "/search-index" },
    "POST /search-index/merge": { path: "/search-index/merge", body: {} },
    "GET /audit": { path: "/audit" },
    "GET /pricing": { path: "/pricing" },
    "PUT /pricing/{model}": { path: "/pricing/openai:secret-model", body: { input: 2, cache: 2, output: 2 } },
    "DELETE /pricing/{model}": { path: "/pricing/openai:secret-model" },
    "GET /mcp-servers": { path: "/mcp-servers" },
    "GET /mcp-servers/{name}": { path: "/mcp-servers/secret-server" },
    "PUT /mcp-servers/{name}": { path: "/mcp-servers/secret-server", body: { url: "https://mcp.example.com/other", headers: { Authorization: "Bearer stolen-value" } } },
    "DELETE /mcp-servers/{name}": { path: "/mcp-servers/secret-server" },
    "GET /settings": { path: "/settings" },
    "PATCH /settings": { path: "/settings", body: { max_concurrent_tasks: 1 } },
    "GET /spend": { path: "/spend" },
    "GET /notifications/subscriptions": { path: "/notifications/subscriptions" },
    "POST /notifications/subscriptions": { path: "/notifications/subscriptions", body: { url: "https://hooks.example.com/x", events: ["task.failed"] } },
    "GET /notifications/subscriptions/{id}": { path: `/notifications/subscriptions/${f.subscription}` },
    "PATCH /notifications/subscriptions/{id}": { path: `/notifications/subscriptions/${f.subscription}`, body: { url: "https://evil.example.com/steal" } },
    "DELETE /notifications/subscriptions/{id}": { path: `/notifications/subscriptions/${f.subscription}` },
    "POST /notifications/subscriptions/{id}/rotate-secret": { path: `/notifications/subscriptions/${f.subscription}/rotate-secret`, body: {} },
    "POST /notifications/subscriptions/{id}/test": { path: `/notifications/subscriptions/${f.subscription}/test`, body: {} },
    "GET /notifications/deliveries": { path: "/notifications/deliveries" },
    "GET /notifications/inbox": { path: "/notifications/inbox" },
    "POST /chat": { path: "/chat", body: { message: "write a poem" } },
    "GET /chat/{id}": { path: `/chat/${f.chat}` },
    "GET /chat/{id}/draft": { path: `/chat/${f.chat}/draft` },
    "POST /chat/{id}/messages": { path: `/chat/${f.chat}/messages`, body: { content: "add a review step" } },
    "POST /chat/{id}/run": { path: `/chat/${f.chat}/run`, body: {} },
    "POST /chat/{id}/save": { path: `/chat/${f.chat}/save`, body: {} },
  };
}

/** What `org` can see of its own fixture, to show nothing changed after another's requests. */
async function snapshot(f: Fixture) {
  const t = f.org.admin;
  const read = async (path: string) => {
    const res = await api("GET", path, { token: t });
    expect(res.status, `${path}: ${res.text}`).toBe(200);
    return res.json;
  };
  const task = async (id: string) => {
    const { status, pending } = await read(`/tasks/${id}`);
    return { status, pending };
  };
  const trigger = async (id: string) => {
    const { paused, title, secret_rotated_at, previous_secret_expires_at } = await read(`/triggers/${id}`);
    return { paused, title, secret_rotated_at, previous_secret_expires_at };
  };
  return {
    tasks: [await task(f.waiting.id), await task(f.review.id), await task(f.done.id)],
    count: (await read("/tasks/summary")).counts,
    plan: (await read(`/plans/${f.plan}`)).version,
    agent: (await read(`/agents/${f.agent}`)).system_prompt,
    triggers: [await trigger(f.cron), await trigger(f.webhook)],
    token: (await read(`/tokens/${f.org.tokenId}`)).role,
    tokens: (await read("/tokens")).items.length,
    subscription: await read(`/notifications/subscriptions/${f.subscription}`),
    chat: (await read(`/chat/${f.chat}`)).messages.length,
    settings: (await read("/settings")).max_concurrent_tasks,
    pricing: (await read("/pricing")).items.filter((p: { source: string }) => p.source === "organization"),
    mcpServers: (await read("/mcp-servers")).items,
  };
}

/**
 * Every kind of path parameter, by what it names: an organization's object by `id`, or by a `name` it chose (a PUT
 * there sets the caller's own, never another's), or a `part` of the object another parameter names. A new kind
 * fails here until it says which, so no route keyed by it escapes the probe of another organization.
 */
const PATH_PARAMS: Record<string, "id" | "name" | "part"> = {
  id: "id", session_id: "id", trigger_id: "id", name: "name", model: "name", step: "part", n: "part",
};
const paramsOf = (op: string) => [...op.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
/** This organization's real ids and names, and the same shapes made up. */
const OWN_ID = /(tsk|pln|agt|trg|tok|sub|cnv|ses)_[0-9a-z]+/g;
const OWN_NAME = /secret-(server|model)/g;
const madeUp = (path: string) =>
  path.replace(OWN_ID, (id) => `${id.slice(0, 4)}${"0".repeat(id.length - 4)}`).replace(OWN_NAME, (_, kind) => `unknown-${kind}`);
const neutral = (message: string) => message.replaceAll(OWN_ID, "<id>").replaceAll(OWN_NAME, "<name>").replaceAll(/unknown-(server|model)/g, "<name>");

describe("tenant isolation and roles, on every operation", () => {
  let a: Fixture;
  let b: Org;
  let ops: string[];

  beforeAll(async () => {
    const doc = (await api("GET", "/openapi.json")).json as { paths: Record<string, Record<string, unknown>> };
    ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((m) => ["get", "put", "post", "delete", "patch"].includes(m)).map((m) => `${m.toUpperCase()} ${path}`),
    );
    a = await fixture("Org A");
    b = await newOrg("Org B");
  }, 60_000);

  it("classifies every operation of the API", () => {
    expect(ops.filter((op) => !(op in ACCESS))).toEqual([]);
    expect(Object.keys(ACCESS).filter((op) => !ops.includes(op))).toEqual([]);
  });

  it("lists the kind of every path parameter, and keys every such operation by an id or a name", () => {
    const keyed = ops.filter((op) => paramsOf(op).length > 0);
    expect(keyed.flatMap(paramsOf).filter((p) => !(p in PATH_PARAMS))).toEqual([]);
    expect(keyed.filter((op) => !paramsOf(op).some((p) => PATH_PARAMS[p] !== "part"))).toEqual([]);
  });

  it("answers another organization's ids and names as it answers unknown ones (404, same message), and changes nothing", async () => {
    const before = await snapshot(a);
    const requests = requestsFor(a);
    const keyedOps = ops.filter((op) => paramsOf(op).length > 0 && ACCESS[op] !== "public" && ACCESS[op] !== "instance");
    const setsOwn = (op: string) => op.startsWith("PUT ") && paramsOf(op).some((p) => PATH_PARAMS[p] === "name");
    expect(keyedOps.length).toBeGreaterThan(35);
    expect(keyedOps.filter((op) => paramsOf(op).some((p) => PATH_PARAMS[p] === "name"))).toEqual(
      expect.arrayContaining(["GET /mcp-servers/{name}", "DELETE /mcp-servers/{name}", "DELETE /pricing/{model}"]),
    );
    for (const op of keyedOps.filter((o) => !setsOwn(o))) {
      const { path, body } = requests[op];
      const method = op.split(" ")[0];
      const theirs = await api(method, path, { token: b.admin, body });
      expect(theirs.status, `${op} ${path}: ${theirs.text}`).toBe(404);
      expect(theirs.json.error.code, op).toBe("not_found");
      // the same shape made up: the answer must not tell "exists elsewhere" from "never existed"
      const unknown = await api(method, madeUp(path), { token: b.admin, body });
      expect(unknown.status, `${op} ${madeUp(path)}`).toBe(404);
      expect(neutral(theirs.json.error.message), op).toBe(neutral(unknown.json.error.message));
      for (const secret of [a.waiting.id, a.plan, a.agent, a.cron, a.webhook, a.subscription, "secret"]) {
        if (!path.includes(secret)) expect(theirs.text, op).not.toContain(secret);
      }
    }
    // a PUT by name sets the caller's own, beside (never over) the other organization's of the same name; a third
    // organization makes it, so that B's lists stay empty for the next test
    const c = await newOrg("Org C");
    for (const op of keyedOps.filter(setsOwn)) {
      const { path, body } = requests[op];
      const theirs = await api("PUT", path, { token: c.admin, body });
      expect(theirs.status, `${op} ${path}: ${theirs.text}`).toBe(200);
      expect(await snapshot(a), op).toEqual(before);
      const removed = await api("DELETE", path, { token: c.admin });
      expect(removed.status, `DELETE ${path}: ${removed.text}`).toBe(204);
    }
    expect(await snapshot(a)).toEqual(before);
  }, 60_000);

  it("shows nothing of another organization in lists, filters, exports and reports", async () => {
    const ids = [a.waiting.id, a.review.id, a.done.id, a.plan, a.agent, a.cron, a.webhook, a.subscription, a.chat, a.org.tokenId];
    const paths = [
      "/tasks", `/tasks?trigger_id=${a.cron}`, `/tasks?parent_id=${a.waiting.id}`, "/tasks?q=secret", "/tasks/summary", `/tasks/summary?trigger_id=${a.cron}`,
      "/tasks/export?format=json", `/tasks/export?format=csv&q=secret`, "/agents", "/plans", "/triggers", "/tokens", "/audit", `/audit?target=${a.plan}`,
      `/audit?actor=${a.org.tokenId}`, "/notifications/subscriptions", `/notifications/deliveries?subscription_id=${a.subscription}`,
      `/notifications/deliveries?task_id=${a.waiting.id}`, "/notifications/inbox", "/spend?group=plan", "/spend?group=agent", "/settings", "/pricing",
      "/mcp-servers",
    ];
    for (const path of paths) {
      const res = await api("GET", path, { token: b.admin });
      expect(res.status, `${path}: ${res.text}`).toBe(200);
      for (const id of ids) expect(res.text, path).not.toContain(id);
      expect(res.text, path).not.toContain("secret");
    }
  });

  it("refuses every operation to a role below the one it needs (403), and changes nothing", async () => {
    const before = await snapshot(a);
    const requests = requestsFor(a);
    const below: Record<Need, string[]> = {
      public: [], viewer: [], member: [a.org.viewer], admin: [a.org.viewer, a.org.member], instance: [a.org.viewer, a.org.member, a.org.admin],
    };
    let probed = 0;
    for (const op of ops) {
      for (const token of below[ACCESS[op]]) {
        const { path, body } = requests[op];
        const res = await api(op.split(" ")[0], path, { token, body });
        expect(res.status, `${op} ${path}: ${res.text}`).toBe(403);
        expect(res.json.error.code, op).toBe("forbidden");
        probed++;
      }
    }
    expect(probed).toBeGreaterThan(60);
    expect(await snapshot(a)).toEqual(before);
  }, 60_000);

  it("lets a viewer read (and sign out), but never mutate", async () => {
    const requests = requestsFor(a);
    for (const op of ops.filter((o) => ACCESS[o] === "viewer" && o.startsWith("GET "))) {
      const res = await workerFetch(new Request(`${BASE}/api/v1${requests[op].path}`, { method: "HEAD", headers: { authorization: `Bearer ${a.org.viewer}` } }));
      await res.arrayBuffer();
      expect(res.status, op).toBe(200);
    }
    const mutating = ops.filter((o) => !o.startsWith("GET ") && ACCESS[o] !== "public");
    expect(mutating.filter((o) => ACCESS[o] === "viewer")).toEqual(["DELETE /auth/session"]);
  });
});
