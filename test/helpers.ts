import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../worker/index";
import { sha256Hex } from "../worker/lib/crypto";
import type { RateLimiter } from "../worker/lib/rate-limit";
import { type TokenGate, tokenGate } from "../worker/lib/token-gate";

export const ADMIN = "fd_test_admin_token";
export const BASE = "http://flightdeck.test";

type Json = Record<string, unknown> | unknown[];

/**
 * A request to the Worker's own fetch handler, with the test's bindings and an execution context of its own. Not
 * through `SELF`/`exports.default`: in the workers pool each of those costs more than the one before it in the same
 * runtime (workers-sdk#15446; 5 ms at first, 120 ms after about 1,000 requests), which made the longest files quadratic.
 */
export function workerFetch(request: Request): Promise<Response> {
  return Promise.resolve(worker.fetch(request, env, createExecutionContext()));
}

/** A request through the runtime's own fetch boundary, for what only it shows the Worker: a client that went away. */
export function runtimeFetch(request: Request): Promise<Response> {
  return exports.default.fetch(request);
}

/** A request through the real Worker; the body is always read, so no stream is left open. */
export async function api(method: string, path: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? ADMIN : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(opts.body);
  } else if (opts.raw !== undefined) headers["content-type"] ??= "application/json";
  const res = await workerFetch(new Request(`${BASE}/api/v1${path}`, { method, headers, body: payload }));
  const text = await res.text();
  let json: Json | null = null;
  try {
    json = text ? (JSON.parse(text) as Json) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json: json as any, text };
}

export function expectError(res: { status: number; json: any }, status: number, code?: string) {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json.error).toBeTruthy();
  expect(typeof res.json.error.message).toBe("string");
  expect(typeof res.json.error.request_id).toBe("string");
  if (code) expect(res.json.error.code).toBe(code);
}

export async function createTask(body: Record<string, unknown>, token = ADMIN) {
  const res = await api("POST", "/tasks", { body, token });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; session_id: string; status: string };
}

export const taskStub = (id: string) => env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));

/** Waits (in real time, polling the API as `token`) until the task's status is one of `statuses`. */
export async function waitForStatus(id: string, statuses: string[], timeoutMs = 10_000, token = ADMIN) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api("GET", `/tasks/${id}`, { token });
    if (statuses.includes(res.json?.status)) {
      await taskStub(id).settled();
      return (await api("GET", `/tasks/${id}`, { token })).json;
    }
    if (Date.now() > deadline) throw new Error(`task ${id} is ${res.json?.status}, wanted ${statuses.join("|")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Makes a token with a role in the default organization, straight in D1. */
export async function tokenWithRole(role: "viewer" | "member" | "admin", orgId = "org_default") {
  const token = `fd_test_${role}_${crypto.randomUUID()}`;
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  const hash = [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
  await env.DB.prepare("INSERT INTO api_tokens (id, org_id, name, role, token_hash, instance_admin, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)")
    .bind(`tok_${crypto.randomUUID()}`, orgId, `${role} token`, role, hash, Date.now())
    .run();
  return token;
}

export async function makeOrg(id: string) {
  await env.DB.prepare("INSERT OR IGNORE INTO orgs (id, name, settings, created_at) VALUES (?, ?, '{}', ?)").bind(id, id, Date.now()).run();
  await env.DB.prepare(
    "INSERT OR IGNORE INTO agents (id, org_id, name, model, system_prompt, tools, max_turns, created_at, updated_at) VALUES (?, ?, 'researcher', 'sim', '', '[]', 20, 0, 0)",
  )
    .bind(`agt_${id}_researcher`, id)
    .run();
  return tokenWithRole("admin", id);
}

/** The object that authenticates and counts an API token's requests. */
export const gateOf = async (token: string) => tokenGate(env, await sha256Hex(token));

/** Spends a rate allowance (a TokenGate's or a RateLimiter's `counter`), straight in its object: counted in this minute, it holds into the next. */
export async function spendWindow(stub: DurableObjectStub<TokenGate> | DurableObjectStub<RateLimiter>, count = Number.MAX_SAFE_INTEGER): Promise<void> {
  await runInDurableObject(stub as DurableObjectStub<RateLimiter>, (o) => {
    (o as unknown as RateLimiter).counter.spend(count);
  });
}

/** Polls `read` (in real time) until `ok` holds, and fails naming `what` and the last value. */
export async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The D1 binding for `n` requests sent at once, whose batches (each one's write) wait until all `n` have reached
 * theirs: every request has read what it read before any writes, the interleaving a race needs, made certain.
 */
export function batchesMeet(n: number): D1Database {
  let arrived = 0;
  let meet!: () => void;
  const all = new Promise<void>((r) => (meet = r));
  const db = env.DB;
  return new Proxy(db, {
    get: (d, k) => {
      if (k === "batch") return async (stmts: D1PreparedStatement[]) => (++arrived >= n && meet(), await all, d.batch(stmts));
      const v = Reflect.get(d, k);
      return typeof v === "function" ? v.bind(d) : v;
    },
  });
}

/** `api`, with the Worker given `db` for D1. */
export async function apiWithDb(db: D1Database, method: string, path: string, body: unknown, token = ADMIN) {
  const res = await worker.fetch(
    new Request(`${BASE}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) }),
    { ...env, DB: db },
    createExecutionContext(),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : null };
}
