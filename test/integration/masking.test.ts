import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectError, makeOrg } from "../helpers";

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
    const created = await api("POST", "/tasks", { token, body: { agent: "researcher", title: "leaky", description: `use ${secret} for order ACME-123456\n@ask which header?\n@output done` } });
    const waiting = await finished(token, created.json.id, ["needs_input"]);
    await api("POST", `/sessions/${waiting.session_id}/respond`, { token, body: { call_id: waiting.pending[0].call_id, answers: ["Authorization: Bearer abcdefghijklmnop"] } });
    const done = await finished(token, created.json.id, ["completed"]);

    const trace = await api("GET", `/tasks/${done.id}/steps/main/runs/1/trace`, { token });
    expect(trace.status).toBe(200);
    expect(trace.text).not.toContain(secret);
    expect(trace.text).not.toContain("ACME-123456");
    expect(trace.text).not.toContain("abcdefghijklmnop");
    expect(trace.text).toContain("[masked]");
    expect(trace.json.turns[0].sent.some((m: { content: string }) => m.content.includes("use [masked] for order [masked]"))).toBe(true);

    // Not in the object's storage either: the turns as stored hold no secret.
    const stored = await env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(done.id)).runTrace("main", 1);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it("validates patterns", async () => {
    const token = await makeOrg(`org_mask_${crypto.randomUUID().slice(0, 8)}`);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: ["("] } }), 400);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: ["a*"] } }), 400);
    const slow = await api("PATCH", "/settings", { token, body: { mask_patterns: ["ACME-\\d{6}", "(a+)+$"] } });
    expectError(slow, 400);
    expect(slow.json.error.details).toEqual([{ path: "mask_patterns.1", message: expect.stringMatching(/exponential time/) }]);
    expect((await api("GET", "/settings", { token })).json.mask_patterns).toEqual([]);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: [""] } }), 400);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: Array(21).fill("x") } }), 400);
    expectError(await api("PATCH", "/settings", { token, body: { mask_patterns: ["x".repeat(201)] } }), 400);
    expect((await api("PATCH", "/settings", { token, body: { mask_patterns: [] } })).json.mask_patterns).toEqual([]);
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
