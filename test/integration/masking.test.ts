import { env } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import { OPENAI_KEY } from "../fake-servers/openai";
import { api, expectError, makeOrg, until } from "../helpers";

async function finished(token: string, id: string, statuses: string[]) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const d = (await api("GET", `/tasks/${id}`, { token })).json;
    if (statuses.includes(d.status)) return d;
    if (Date.now() > deadline) throw new Error(`task is ${d.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("secrets in traces", () => {
  it("masks common key shapes and the organization's patterns before the trace is stored", async () => {
    const orgId = `org_mask_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    await api("PUT", "/agents/researcher", { token, body: { name: "researcher", model: "sim", tools: ["ask_human"] } });
    const res = await api("PATCH", "/settings", { token, body: { mask_patterns: ["ACME-\\d{6}"] } });
    expect(res.json.mask_patterns).toEqual(["ACME-\\d{6}"]);
    const secret = "sk-proj-0123456789abcdefghij";
    // the instance's admin token (a literal the instance knows), and one in the shape `npm start` generates
    const admin = env.FLIGHTDECK_ADMIN_TOKEN!;
    const generated = "fd_YCUVnfa1Srk8pV-30U5jv_28uEkfEqr7yx_-tU1E";
    const created = await api("POST", "/tasks", {
      token,
      body: { agent: "researcher", title: "leaky", description: `use ${secret} for order ACME-123456, then ${admin} or ${generated}\n@ask which header?\n@output done` },
    });
    const waiting = await finished(token, created.json.id, ["needs_input"]);
    await api("POST", `/sessions/${waiting.session_id}/respond`, { token, body: { call_id: waiting.pending[0].call_id, answers: ["Authorization: Bearer abcdefghijklmnop"] } });
    const done = await finished(token, created.json.id, ["completed"]);

    const trace = await api("GET", `/tasks/${done.id}/steps/main/runs/1/trace`, { token });
    expect(trace.status).toBe(200);
    expect(trace.text).not.toContain(secret);
    expect(trace.text).not.toContain("ACME-123456");
    expect(trace.text).not.toContain("abcdefghijklmnop");
    expect(trace.text).not.toContain(admin);
    expect(trace.text).not.toContain(generated);
    expect(trace.text).toContain("[masked]");
    expect(trace.json.turns[0].sent.some((m: { content: string }) => m.content.includes("use [masked] for order [masked], then [masked] or [masked]"))).toBe(true);

    // Not in the object's storage either: the turns as stored hold no secret.
    const stored = await env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(done.id)).runTrace("main", 1);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it("sends a run resumed after an answer or a retry its instructions as written, not as the trace keeps them: later steps get the value", async () => {
    const token = await makeOrg(`org_mask_${crypto.randomUUID().slice(0, 8)}`);
    await api("PUT", "/agents/researcher", { token, body: { name: "researcher", model: "sim", tools: ["ask_human"] } });
    await api("PATCH", "/settings", { token, body: { mask_patterns: ["ACME-\\d{6}"] } });
    const secret = "sk-abcdefghijklmnopqrstuvwxyz123456";
    const plan = await api("POST", "/plans", {
      token,
      body: {
        name: "resumed",
        steps: [
          { id: "asks", agent: "researcher", instructions: `@ask Which format?\n@output value ${secret} for ACME-123456` },
          { id: "retries", agent: "researcher", instructions: `@tool ask_human {"question":"q"}\n@fail transient 1\n@output again ${secret}`, retry: { max_attempts: 2, backoff: { initial_ms: 10 } } },
          { id: "uses", agent: "researcher", depends_on: ["asks", "retries"], instructions: "@output got {{steps.asks.output}} / {{steps.retries.output}}" },
        ],
      },
    });
    expect(plan.status, plan.text).toBe(201);
    const run = await api("POST", `/plans/${plan.json.id}/run`, { token, body: {} });
    for (let answered = 0; answered < 2; ) {
      const d = await finished(token, run.json.id, ["needs_input", "completed", "failed"]);
      if (d.status !== "needs_input") break;
      for (const p of d.pending) {
        const r = await api("POST", `/sessions/${d.session_id}/respond`, { token, body: { call_id: p.call_id, answers: ["plain"] } });
        if (r.status === 200) answered++;
      }
      await until("answered", async () => (await api("GET", `/tasks/${run.json.id}`, { token })).json.pending.length < d.pending.length || null, Boolean);
    }
    const done = await finished(token, run.json.id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.output).toBe(`got value ${secret} for ACME-123456 / again ${secret}`);
    // the traces still hold none of it
    for (const [step, runNo] of [["asks", 1], ["retries", 2], ["uses", 1]] as const) {
      const trace = await api("GET", `/tasks/${done.id}/steps/${step}/runs/${runNo}/trace`, { token });
      expect(trace.status).toBe(200);
      expect(trace.text).not.toContain(secret);
    }
  });

  it("masks a secret in an agent's question before anyone is shown it: the task's pending question, its list row and the inbox", async () => {
    const token = await makeOrg(`org_mask_${crypto.randomUUID().slice(0, 8)}`);
    await api("PUT", "/agents/researcher", { token, body: { name: "researcher", model: "sim", tools: ["ask_human"] } });
    await api("PATCH", "/settings", { token, body: { mask_patterns: ["ACME-\\d{6}"] } });
    const created = await api("POST", "/tasks", { token, body: { agent: "researcher", title: "asks with a key", description: "@ask Is sk-proj-0123456789abcdefghij the key for ACME-654321?\n@output done" } });
    const waiting = await finished(token, created.json.id, ["needs_input"]);
    const masked = "Is [masked] the key for [masked]?";
    expect(waiting.pending[0].question).toBe(masked);
    // the index follows the task's object a moment later
    const find = (items: { id: string }[]) => items.find((t) => t.id === created.json.id) as { pending: { question: string }[] } | undefined;
    const listed = await until("listed as needs_input", async () => find((await api("GET", "/tasks?status=needs_input", { token })).json.items), Boolean);
    expect(listed!.pending[0].question).toBe(masked);
    // (the description is the person's own text, shown as they wrote it)
    const inboxed = find((await api("GET", "/notifications/inbox", { token })).json.items);
    expect(inboxed!.pending[0].question).toBe(masked);
    // and the answer goes to the call as asked
    await api("POST", `/sessions/${waiting.session_id}/respond`, { token, body: { call_id: waiting.pending[0].call_id, answers: ["yes"] } });
    expect((await finished(token, created.json.id, ["completed"])).output).toBe("done");
  });

  describe("with a provider that quotes its key in an error", () => {
    const saved = { key: env.OPENAI_API_KEY, url: env.OPENAI_BASE_URL };
    afterEach(() => Object.assign(env, { OPENAI_API_KEY: saved.key, OPENAI_BASE_URL: saved.url }));

    it("masks the key in the run's and the step's error", async () => {
      Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${inject("fakeServers").openai}/v1` });
      const token = await makeOrg(`org_mask_${crypto.randomUUID().slice(0, 8)}`);
      await api("POST", "/agents", { token, body: { name: "leaky", model: "openai:quotes-key", tools: [] } });
      const created = await api("POST", "/tasks", { token, body: { agent: "leaky", title: "leaky error", description: "hi" } });
      const failed = await finished(token, created.json.id, ["failed"]);
      const trace = await api("GET", `/tasks/${failed.id}/steps/main/runs/1/trace`, { token });
      for (const text of [JSON.stringify(failed), trace.text]) expect(text).not.toContain(OPENAI_KEY);
      expect(failed.steps[0].error).toBe("openai: HTTP 401: Key [masked] is not allowed to use this model");
      expect(trace.json.error).toBe(failed.steps[0].error);
    });
  });

  it("validates patterns", async () => {
    const token = await makeOrg(`org_mask_${crypto.randomUUID().slice(0, 8)}`);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: ["("] } }), 400);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: ["a*"] } }), 400);
    const slow = await api("PATCH", "/settings", { token, body: { mask_patterns: ["ACME-\\d{6}", "(a+)+$"] } });
    expectError(slow, 400);
    expect(slow.json.error.details).toEqual([{ path: "mask_patterns[1]", message: expect.stringMatching(/exponential time/) }]);
    expect((await api("GET", "/settings", { token })).json.mask_patterns).toEqual([]);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: [""] } }), 400);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: Array(21).fill("x") } }), 400);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: ["x".repeat(201)] } }), 400);
    expect((await api("PATCH", "/settings", { token, body: { mask_patterns: [] } })).json.mask_patterns).toEqual([]);
  });

  it("refuses a long count, and shows a pattern saved before that check as skipped rather than dropping it", async () => {
    const orgId = `org_mask_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    const long = await api("PATCH", "/settings", { token, body: { mask_patterns: ["a{1,50000}b"] } });
    expectError(long, 400);
    expect(long.json.error.details).toEqual([{ path: "mask_patterns[0]", message: expect.stringMatching(/polynomial time.*a count over 16/) }]);
    // as an older version let it be saved
    await env.DB.prepare("UPDATE orgs SET settings = json_set(settings, '$.mask_patterns', json(?)) WHERE id = ?").bind(JSON.stringify(["ACME-\\d{6}", "a{1,50000}b"]), orgId).run();
    const read = (await api("GET", "/settings", { token })).json;
    expect(read.mask_patterns).toEqual(["ACME-\\d{6}", "a{1,50000}b"]);
    expect(read.mask_patterns_skipped).toEqual([{ pattern: "a{1,50000}b", reason: expect.stringMatching(/polynomial time/) }]);
    expect((await api("PATCH", "/settings", { token, body: { mask_patterns: ["ACME-\\d{6}"] } })).json.mask_patterns_skipped).toEqual([]);
  });

  it("restores the default (none) with null, as the other settings", async () => {
    const token = await makeOrg(`org_mask_${crypto.randomUUID().slice(0, 8)}`);
    expect((await api("PATCH", "/settings", { token, body: { mask_patterns: ["ACME-\\d{6}"], retention_days: 30 } })).json.mask_patterns).toEqual(["ACME-\\d{6}"]);
    const res = await api("PATCH", "/settings", { token, body: { mask_patterns: null } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ mask_patterns: [], retention_days: 30 });
    expect((await api("GET", "/settings", { token })).json.mask_patterns).toEqual([]);
  });
});
