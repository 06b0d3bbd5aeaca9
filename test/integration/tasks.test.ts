import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, createTask, expectError, makeOrg, taskStub, tokenWithRole, waitForStatus } from "../helpers";

describe("health and auth", () => {
  it("answers health without auth", async () => {
    const res = await api("GET", "/health", { token: null });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, d1: true, durable_objects: true });
  });

  it("refuses requests without a valid token", async () => {
    expectError(await api("GET", "/tasks", { token: null }), 401, "unauthorized");
    expectError(await api("GET", "/tasks", { token: "fd_nope" }), 401, "unauthorized");
    expectError(await api("GET", "/tasks", { token: null, headers: { authorization: "Basic abc" } }), 401, "unauthorized");
  });

  it("returns a request id on every response and in error bodies", async () => {
    const res = await api("GET", "/tasks/tsk_missing");
    expectError(res, 404, "not_found");
    expect(res.headers.get("x-request-id")).toBe(res.json.error.request_id);
  });

  it("seeds a default organization with ready sim agents", async () => {
    const res = await api("GET", "/agents");
    expect(res.status).toBe(200);
    // other files add agents to the default organization too: the seeded four are the ones asked about
    const seeded = (res.json.items as { name: string; model: string }[]).filter((a) => ["planner", "researcher", "reviewer", "writer"].includes(a.name));
    expect(seeded.map((a) => a.name).sort()).toEqual(["planner", "researcher", "reviewer", "writer"]);
    expect(seeded.every((a) => a.model === "sim")).toBe(true);
  });
});

describe("POST /tasks", () => {
  it("creates a one-step task that runs to completion with tokens and cost", async () => {
    const task = await createTask({ agent: "researcher", title: "Market analysis Q1", description: "Analyze Q1 market trends\n@output SaaS grew 12%" });
    expect(task).toMatchObject({ title: "Market analysis Q1", status: "pending", source: "api", agent: "researcher" });
    expect(task.session_id).toMatch(/^ses_/);
    const done = await waitForStatus(task.id, ["completed"]);
    expect(done.output).toBe("SaaS grew 12%");
    expect(done.progress).toEqual({ done: 1, total: 1 });
    expect(done.created_by).toMatchObject({ type: "token", name: "bootstrap admin" });
    expect(done.steps).toHaveLength(1);
    const [step] = done.steps;
    expect(step).toMatchObject({ id: "main", agent: "researcher", status: "completed", output: "SaaS grew 12%" });
    expect(step.runs).toHaveLength(1);
    expect(step.runs[0].status).toBe("completed");
    expect(done.tokens.input).toBeGreaterThan(0);
    expect(done.tokens.output).toBeGreaterThan(0);
    expect(done.tokens).toEqual(step.tokens);
    expect(done.cost).toBeGreaterThan(0);
    expect(done.started_at).not.toBeNull();
    expect(done.finished_at).not.toBeNull();
    const row = await env.DB.prepare("SELECT status, tokens_output, cost_nanos FROM tasks WHERE id = ?").bind(task.id).first<{ status: string; tokens_output: number; cost_nanos: number }>();
    expect(row).toMatchObject({ status: "completed", tokens_output: done.tokens.output });
    expect(row!.cost_nanos / 1e9).toBeCloseTo(done.cost, 12);
  });

  it("sends a one-step task's description to its agent as written, double braces included", async () => {
    const description = "Fix the Jinja loop: {% for x in xs %}{{ item }}{{params.name}} and {{steps.a.output}}{% endfor %}";
    const done = await waitForStatus((await createTask({ agent: "writer", title: "braces", description })).id, ["completed"]);
    // the sim model answers "Done: <the instructions it was sent>"
    expect(done.output).toBe(`Done: ${description}`);
  });

  it("fails a task whose step fails permanently, with the error on the run", async () => {
    const task = await createTask({ agent: "researcher", title: "doomed", description: "@fail permanent" });
    const done = await waitForStatus(task.id, ["failed"]);
    expect(done.steps[0].status).toBe("failed");
    expect(done.steps[0].runs).toHaveLength(1);
    expect(done.steps[0].runs[0].error).toBeTruthy();
  });

  it("rejects bad input with 400 and changes nothing", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>();
    expectError(await api("POST", "/tasks", { body: { agent: "researcher" } }), 400, "bad_request");
    expectError(await api("POST", "/tasks", { body: { agent: "researcher", title: "", description: "x" } }), 400);
    expectError(await api("POST", "/tasks", { body: { agent: 5, title: "t" } }), 400);
    expectError(await api("POST", "/tasks", { body: { agent: "researcher", title: "x".repeat(201) } }), 400);
    expectError(await api("POST", "/tasks", { body: { agent: "researcher", title: "t", bogus: 1 } }), 400);
    expectError(await api("POST", "/tasks", { raw: "{not json" }), 400, "bad_request");
    expectError(await api("POST", "/tasks", { body: [1, 2] }), 400);
    // a lone surrogate is no text: D1 would keep U+FFFD where the task's object keeps the escape
    const lone = await api("POST", "/tasks", { raw: '{"agent":"researcher","title":"a\\ud800b","description":"x"}' });
    expectError(lone, 400, "bad_request");
    expect(lone.json.error.details).toEqual([{ path: "title", message: expect.stringContaining("surrogate") }]);
    // its path named as every error names one: indexes in brackets, odd keys quoted
    const inPlan = await api("POST", "/plans", { raw: '{"name":"p","steps":[{"id":"a","agent":"researcher","instructions":"\\udc00"}]}' });
    expectError(inPlan, 400, "bad_request");
    expect(inPlan.json.error.details[0].path).toBe("steps[0].instructions");
    const inSettings = await api("PATCH", "/settings", { raw: '{"mask_patterns":["ok","\\ud83d"]}' });
    expectError(inSettings, 400, "bad_request");
    expect(inSettings.json.error.details[0].path).toBe("mask_patterns[1]");
    const oddKey = await api("POST", "/tasks", { raw: '{"agent":"researcher","title":"t","description":"x","inputs":{"needs review":["\\ud800"]}}' });
    expect(oddKey.json.error.details[0].path).toBe('inputs["needs review"][0]');
    // a record drops a __proto__ key without a word: refused, so an input so named is never lost in silence
    const proto = await api("POST", "/tasks", { raw: '{"agent":"researcher","title":"t","description":"x","inputs":{"__proto__":{"x":1}}}' });
    expectError(proto, 400, "bad_request");
    expect(proto.json.error.details).toEqual([{ path: "inputs.__proto__", message: expect.stringContaining("no field of this API takes") }]);
    const protoParam = await api("POST", "/plans", { body: { name: "p", params: [{ name: "__proto__" }], steps: [{ id: "a", agent: "researcher", instructions: "x" }] } });
    expectError(protoParam, 400);
    expect(protoParam.json.error.details[0]).toEqual({ path: "params[0].name", message: "__proto__ cannot be a param's name" });
    // nested deeper than the call stack goes: still a 400, wherever the surrogate is
    const deep = (inner: string) => `{"agent":"researcher","title":"t","description":"x","x":${"[".repeat(100_000)}${inner}${"]".repeat(100_000)}}`;
    expectError(await api("POST", "/tasks", { raw: deep("") }), 400, "bad_request");
    expectError(await api("POST", "/tasks", { raw: deep('"\\ud800"') }), 400, "bad_request");
    // without credentials the answer is 401 first, as for any other body
    expectError(await api("POST", "/tasks", { token: null, raw: deep('"\\ud800"') }), 401, "unauthorized");
    // JSON sent as another media type is malformed too
    const plain = await api("POST", "/tasks", { raw: '{"agent":"researcher","title":"t","description":"x"}', headers: { "content-type": "text/plain" } });
    expectError(plain, 400, "bad_request");
    expect(plain.json.error.message).toContain("Content-Type: application/json");
    // a body of neither shape is told what is wrong with the shape it came closest to
    const noAgent = await api("POST", "/tasks", { body: { title: "t" } });
    expect(noAgent.json.error.details).toEqual([{ path: "agent", message: expect.any(String) }]);
    const badCost = await api("POST", "/tasks", { body: { agent: "researcher", title: "x", description: "y", max_cost: "1" } });
    expect(badCost.json.error.details).toEqual([{ path: "max_cost", message: expect.stringContaining("number") }]);
    expect(badCost.json.error.message).toMatch(/^invalid request: max_cost: /);
    const badInputs = await api("POST", "/tasks", { body: { plan_id: "pln_x", inputs: "nope" } });
    expect(badInputs.json.error.details).toEqual([{ path: "inputs", message: expect.any(String) }]);
    const after = await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
    expect((await api("POST", "/tasks", { body: { agent: "researcher", title: "paired \u{1F600} stays", description: "@output x" } })).status).toBe(201);
  });

  it("answers 422 for an unknown agent", async () => {
    const res = await api("POST", "/tasks", { body: { agent: "nobody", title: "t", description: "d" } });
    expectError(res, 422, "unprocessable");
    expect(res.json.error.message).toContain("nobody");
  });

  it("answers 413 for a body over the limit", async () => {
    const res = await api("POST", "/tasks", { body: { agent: "researcher", title: "t", description: "x".repeat(1_100_000) } });
    expectError(res, 413, "payload_too_large");
  });

  it("lets a viewer read but not create", async () => {
    const viewer = await tokenWithRole("viewer");
    expect((await api("GET", "/tasks", { token: viewer })).status).toBe(200);
    expectError(await api("POST", "/tasks", { token: viewer, body: { agent: "researcher", title: "t" } }), 403, "forbidden");
    const member = await tokenWithRole("member");
    await createTask({ agent: "researcher", title: "by a member", description: "@output ok" }, member);
  });
});

describe("GET /tasks", () => {
  it("filters by status, source, agent and name, newest first, with a cursor", async () => {
    const tag = `zebra${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createTask({ agent: "researcher", title: `${tag} number ${i}`, description: "@output x" })).id);
    await Promise.all(ids.map((id) => waitForStatus(id, ["completed"])));
    const page1 = await api("GET", `/tasks?q=${tag}&limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.json.items.map((t: { id: string }) => t.id)).toEqual([ids[4], ids[3]]);
    expect(page1.json.next_cursor).toBeTruthy();
    const page2 = await api("GET", `/tasks?q=${tag}&limit=2&cursor=${page1.json.next_cursor}`);
    expect(page2.json.items.map((t: { id: string }) => t.id)).toEqual([ids[2], ids[1]]);
    const page3 = await api("GET", `/tasks?q=${tag}&limit=2&cursor=${page2.json.next_cursor}`);
    expect(page3.json.items.map((t: { id: string }) => t.id)).toEqual([ids[0]]);
    expect(page3.json.next_cursor).toBeNull();

    expect((await api("GET", `/tasks?q=${tag.slice(0, 4)}&status=completed&source=api&agent=researcher`)).json.items.length).toBeGreaterThanOrEqual(5);
    expect((await api("GET", `/tasks?q=${tag}&status=failed`)).json.items).toEqual([]);
    expect((await api("GET", `/tasks?q=${tag}&source=dashboard`)).json.items).toEqual([]);
    expect((await api("GET", `/tasks?q=${tag}&agent=writer`)).json.items).toEqual([]);
  });

  it("treats any search text as plain words", async () => {
    for (const q of ['"', "AND", "a OR b", "NEAR(x y)", "*", "title:x", "-x", "'; DROP TABLE tasks; --", "🙂", "((("]) {
      const res = await api("GET", `/tasks?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
    }
  });

  it("validates list parameters", async () => {
    expectError(await api("GET", "/tasks?limit=0"), 400);
    expectError(await api("GET", "/tasks?limit=101"), 400);
    expectError(await api("GET", "/tasks?status=bogus"), 400);
    expectError(await api("GET", "/tasks?cursor=!!!"), 400);
  });

  it("summarizes per status with the first five of each group", async () => {
    const res = await api("GET", "/tasks/summary");
    expect(res.status).toBe(200);
    expect(Object.keys(res.json.counts).sort()).toEqual(["cancelled", "completed", "failed", "in_progress", "needs_input", "pending"]);
    expect(res.json.groups.completed.items.length).toBeLessThanOrEqual(5);
  });
});

describe("DELETE /tasks/{id}", () => {
  it("cancels a running task at once and is 409 afterwards", async () => {
    const task = await createTask({ agent: "researcher", title: "slow", description: "@delay 5000\n@output never" });
    const running = await waitForStatus(task.id, ["in_progress"]);
    // a step speaks the task's words (DESIGN.md): running is in_progress
    expect(running.steps[0].status).toBe("in_progress");
    const res = await api("DELETE", `/tasks/${task.id}`);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("cancelled");
    const detail = (await api("GET", `/tasks/${task.id}`)).json;
    // the cancel answers the detail, as GET does
    expect(res.json).toEqual({ ...detail, finished_at: res.json.finished_at });
    expect(detail.status).toBe("cancelled");
    expect(detail.steps[0].status).toBe("cancelled");
    expect(await taskStub(task.id).settled()).toBe("cancelled");
    expectError(await api("DELETE", `/tasks/${task.id}`), 409, "conflict");
  });

  it("is 404 for unknown tasks and for another organization's", async () => {
    expectError(await api("DELETE", "/tasks/tsk_nope"), 404);
    const other = await makeOrg("org_other_cancel");
    const task = await createTask({ agent: "researcher", title: "mine", description: "@delay 2000" });
    expectError(await api("DELETE", `/tasks/${task.id}`, { token: other }), 404);
    expectError(await api("GET", `/tasks/${task.id}`, { token: other }), 404);
    expect((await api("DELETE", `/tasks/${task.id}`, { token: ADMIN })).status).toBe(200);
  });
});

describe("ask_human and the respond endpoint", () => {
  it("waits for a person, resumes with the answer, and refuses a second answer", async () => {
    const task = await createTask({ agent: "researcher", title: "ask", description: "@ask Which segment?\n@output done" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    expect(waiting.steps[0].status).toBe("needs_input");
    expect(waiting.pending).toHaveLength(1);
    const [pending] = waiting.pending;
    expect(pending).toMatchObject({ kind: "question", step: "main", question: "Which segment?" });
    expect(pending.call_id).toBeTruthy();
    const path = `/sessions/${waiting.session_id}/respond`;
    expectError(await api("POST", path, { body: { call_id: "call_unknown", answers: ["x"] } }), 404);
    expectError(await api("POST", "/sessions/ses_unknown/respond", { body: { call_id: pending.call_id, answers: ["x"] } }), 404);
    expectError(await api("POST", path, { body: { call_id: pending.call_id, answers: [] } }), 400);
    // a blank answer (an unset variable in a script) is not one: the dashboard refuses it too
    for (const answers of [[""], [" \n "], ["EU", ""]]) {
      const blank = await api("POST", path, { body: { call_id: pending.call_id, answers } });
      expectError(blank, 400, "bad_request");
      expect(blank.json.error.message).toContain("an answer cannot be blank");
    }
    // an unknown key is refused as every other body's is, and answers nothing
    expectError(await api("POST", path, { body: { call_id: pending.call_id, answers: ["x"], anwser: "y" } }), 400, "bad_request");
    expect((await api("GET", `/tasks/${task.id}`)).json.status).toBe("needs_input");
    const ok = await api("POST", path, { body: { call_id: pending.call_id, answers: ["Focus on enterprise segment"] } });
    expect(ok.status).toBe(200);
    const done = await waitForStatus(task.id, ["completed"]);
    expect(done.pending).toEqual([]);
    expect(done.output).toBe("done");
    expectError(await api("POST", path, { body: { call_id: pending.call_id, answers: ["again"] } }), 409, "conflict");
    const trace = await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`);
    expect(trace.status).toBe(200);
    expect(JSON.stringify(trace.json.turns)).toContain("Focus on enterprise segment");
    // every time in the trace is ISO-8601, a tool result's too (null while it waits)
    const result = trace.json.turns[0].tool_results[0];
    expect(result).toMatchObject({ call_id: expect.any(String), result: "Focus on enterprise segment", finished_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect(Date.parse(result.finished_at)).toBeGreaterThanOrEqual(Date.parse(trace.json.turns[0].finished_at));
  });
});
