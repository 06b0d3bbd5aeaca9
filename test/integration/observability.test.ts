import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { log, logTaskEvent, setLogLevel } from "../../worker/lib/log";
import { currentRequestId, withRequestId } from "../../worker/lib/request-context";
import { api, BASE, makeOrg, workerFetch } from "../helpers";

type Line = Record<string, unknown>;

/** Every JSON line the Worker writes to the console while `fn` runs. */
async function captureLogs(fn: () => Promise<unknown>): Promise<Line[]> {
  const lines: Line[] = [];
  const keep = (...args: unknown[]) => {
    try {
      lines.push(JSON.parse(String(args[0])) as Line);
    } catch {
      // not ours
    }
  };
  const spies = (["debug", "info", "log", "warn", "error"] as const).map((m) => vi.spyOn(console, m).mockImplementation(keep));
  try {
    await fn();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return lines;
}

afterEach(() => {
  vi.restoreAllMocks();
  setLogLevel(undefined);
});

async function brokenAgentToken() {
  const org = `org_obs_${crypto.randomUUID().slice(0, 8)}`;
  const token = await makeOrg(org);
  await env.DB.prepare("INSERT INTO agents (id, org_id, name, model, system_prompt, tools, max_turns, created_at, updated_at) VALUES (?, ?, 'broken', 'sim', '', 'not json', 20, 0, 0)")
    .bind(`agt_${org}_broken`, org)
    .run();
  return token;
}

describe("request ids", () => {
  it("puts the request id in a header on every answer and the same id in every error body", async () => {
    const broken = await brokenAgentToken();
    const big = "x".repeat(Number(env.MAX_BODY_BYTES) + 1);
    const cases: [string, () => Promise<{ status: number; headers: Headers; json: { error?: { request_id: string; code: string } } | null }>, number, string?][] = [
      ["ok", () => api("GET", "/tasks?limit=1"), 200],
      ["unknown route", () => api("GET", "/nope"), 404, "not_found"],
      ["unknown method", () => api("PATCH", "/tasks"), 405, "method_not_allowed"],
      ["schema-invalid body", () => api("POST", "/tasks", { body: { agent: "researcher", title: "" } }), 400, "bad_request"],
      ["invalid query", () => api("GET", "/tasks?limit=1000"), 400, "bad_request"],
      ["malformed JSON", () => api("POST", "/tasks", { raw: '{"agent": "researcher",' }), 400, "bad_request"],
      ["no token", () => api("GET", "/tasks", { token: null }), 401, "unauthorized"],
      ["body too large", () => api("POST", "/tasks", { raw: big }), 413, "payload_too_large"],
      ["unhandled error", () => api("GET", "/agents/broken", { token: broken }), 500, "internal"],
    ];
    for (const [what, call, status, code] of cases) {
      const res = await call();
      expect(res.status, what).toBe(status);
      const id = res.headers.get("x-request-id");
      expect(id, what).toMatch(/^[\w-]{8,}$/);
      if (code) expect(res.json?.error, what).toMatchObject({ code, request_id: id });
    }
  });

  it("answers unknown paths outside /api/v1 and webhook errors with a request id too", async () => {
    for (const url of [`${BASE}/api/v2/tasks`, `${BASE}/hooks/trg_missing`]) {
      const res = await workerFetch(new Request(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));
      const body = (await res.json()) as { error: { request_id: string } };
      expect(res.status, url).toBe(404);
      expect(body.error.request_id, url).toBe(res.headers.get("x-request-id"));
    }
  });

  it("keeps a caller's x-request-id, so a trace can cross services, and replaces one that is not an id", async () => {
    const mine = await api("GET", "/tasks/tsk_missing", { headers: { "x-request-id": "trace-abc_123" } });
    expect(mine.headers.get("x-request-id")).toBe("trace-abc_123");
    expect(mine.json.error.request_id).toBe("trace-abc_123");
    const bad = await api("GET", "/tasks/tsk_missing", { headers: { "x-request-id": "<script>" } });
    expect(bad.headers.get("x-request-id")).not.toBe("<script>");
    expect(bad.json.error.request_id).toBe(bad.headers.get("x-request-id"));
  });
});

describe("structured logs", () => {
  it("writes one JSON access line per request, with its request id, status and duration", async () => {
    let rid = "";
    const lines = await captureLogs(async () => {
      rid = (await api("GET", "/tasks?limit=1")).headers.get("x-request-id")!;
    });
    const access = lines.filter((l) => l.msg === "request" && l.request_id === rid);
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ level: "info", method: "GET", path: "/api/v1/tasks", status: 200, org_id: "org_default", token_id: "tok_bootstrap" });
    expect(typeof access[0].duration_ms).toBe("number");
    expect(Date.parse(String(access[0].time))).not.toBeNaN();
  });

  it("logs an unhandled error with its stack under the request's id, and the client sees only a generic message", async () => {
    const token = await brokenAgentToken();
    let res: Awaited<ReturnType<typeof api>> | undefined;
    const lines = await captureLogs(async () => {
      res = await api("GET", "/agents/broken", { token });
    });
    const rid = res!.headers.get("x-request-id");
    expect(res!.json.error).toEqual({ code: "internal", message: "internal error", request_id: rid });
    const err = lines.find((l) => l.msg === "unhandled error");
    expect(err).toMatchObject({ level: "error", request_id: rid });
    expect(String(err!.stack)).toContain("SyntaxError");
    expect(lines.find((l) => l.msg === "request")).toMatchObject({ level: "error", status: 500, request_id: rid });
  });

  it("stamps every line written under a request id with it, across awaits and timers", async () => {
    const lines = await captureLogs(async () => {
      await withRequestId("req_outer", async () => {
        log("info", "first");
        await new Promise((r) => setTimeout(r, 5));
        expect(currentRequestId()).toBe("req_outer");
        log("info", "second", { request_id: "explicit" });
      });
      log("info", "outside");
    });
    expect(lines.map((l) => [l.msg, l.request_id])).toEqual([
      ["first", "req_outer"],
      ["second", "explicit"],
      ["outside", undefined],
    ]);
  });

  it("logs task events with the task, event type, sequence number and request id; streamed text by size only", async () => {
    setLogLevel("debug");
    const lines = await captureLogs(async () =>
      withRequestId("req_task", async () => {
        logTaskEvent(7, { type: "step.updated", task_id: "tsk_1", step: "main", status: "in_progress", run_no: 1 });
        logTaskEvent(8, { type: "run.text", task_id: "tsk_1", step: "main", run_no: 1, delta: "secret words" });
        logTaskEvent(9, { task_id: "tsk_1", type: "run.turn", step: "main", run_no: 1, turn_no: 2, tokens: { input: 3, cache: 0, cache_write: 0, output: 4, web_search: 0 } });
        logTaskEvent(10, { type: "task.updated", task_id: "tsk_1", status: "completed", progress: { done: 1, total: 1 }, cost: 0 });
      }),
    );
    expect(lines[0]).toMatchObject({ level: "debug", msg: "task event", event: "step.updated", seq: 7, task_id: "tsk_1", step: "main", status: "in_progress", request_id: "req_task" });
    expect(lines[1]).toMatchObject({ level: "debug", event: "run.text", seq: 8, chars: 12, request_id: "req_task" });
    expect(JSON.stringify(lines[1])).not.toContain("secret words");
    // an event serialized in another key order takes the slower path to the same line
    expect(lines[2]).toMatchObject({ level: "debug", msg: "task event", event: "run.turn", seq: 9, task_id: "tsk_1", turn_no: 2, tokens: { output: 4 }, request_id: "req_task" });
    expect(lines[3]).toMatchObject({ level: "info", msg: "task event", event: "task.updated", seq: 10, status: "completed", request_id: "req_task" });
  });

  it("writes no line below LOG_LEVEL: at the default info a task's status changes are logged, its steps' events are not", async () => {
    setLogLevel(undefined);
    const token = await makeOrg(`org_lvl_${crypto.randomUUID().slice(0, 8)}`);
    const lines = await captureLogs(async () => {
      const created = await api("POST", "/tasks", { token, body: { agent: "researcher", title: "levels", description: "@output done" } });
      expect(created.status).toBe(201);
      const done = await api("GET", `/tasks/${created.json.id}?wait=10`, { token });
      expect(done.json.status).toBe("completed");
    });
    const events = lines.filter((l) => l.msg === "task event");
    expect(events.map((l) => [l.event, l.status])).toEqual([
      ["task.updated", "pending"],
      ["task.updated", "in_progress"],
      ["task.updated", "completed"],
    ]);
    expect(lines.filter((l) => l.level === "debug")).toEqual([]);
    expect(lines.filter((l) => l.msg === "request").length).toBe(2);

    setLogLevel("warn");
    const quiet = await captureLogs(async () => {
      log("info", "not written");
      log("warn", "written");
    });
    expect(quiet.map((l) => l.msg)).toEqual(["written"]);
  });

  it("falls back to info for an unknown LOG_LEVEL and says so once", async () => {
    const lines = await captureLogs(async () => {
      setLogLevel("loud");
      log("debug", "not written");
      log("info", "written");
    });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ["warn", "unknown LOG_LEVEL; logging at info"],
      ["info", "written"],
    ]);
    expect(lines[0]).toMatchObject({ log_level: "loud", levels: ["debug", "info", "warn", "error"] });
  });
});

describe("GET /health", () => {
  it("reports D1 and each Durable Object class it depends on, with latencies, uncached", async () => {
    const res = await api("GET", "/health", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.json).toMatchObject({ ok: true, d1: true, durable_objects: true, checks: { d1: { ok: true }, task_runner: { ok: true }, org_feed: { ok: true } } });
    for (const c of Object.values(res.json.checks as Record<string, { ms: number }>)) expect(c.ms).toBeGreaterThanOrEqual(0);
  });
});
