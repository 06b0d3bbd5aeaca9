import { env } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import { ANTHROPIC_KEY } from "../../fake-servers/anthropic";
import { OPENAI_KEY } from "../../fake-servers/openai";
import { ADMIN, api, BASE, makeOrg, until, workerFetch } from "../../helpers";

const local = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;

/** An answer past what a turn may keep: the fake's `sized` model answers as the message asks, 100 input and 800,000 output tokens. */
const cases = [
  { provider: "openai", ask: { text: 2_600_000 }, what: "a streamed text of 2.6 MB", mb: "2.6" },
  { provider: "openai", ask: { args: 3_000_000 }, what: "a streamed tool call's 3 MB arguments", mb: "3.0" },
  { provider: "openai", ask: { text: 2_600_000, json: true }, what: "a 2.6 MB text in one JSON answer", mb: "2.6" },
  { provider: "anthropic", ask: { text: 2_600_000 }, what: "a streamed text of 2.6 MB", mb: "2.6" },
  { provider: "anthropic", ask: { args: 3_000_000 }, what: "a streamed tool call's 3 MB input", mb: "3.0" },
  { provider: "anthropic", ask: { args: 3_000_000, json: true }, what: "a tool call's 3 MB input in one JSON answer", mb: "3.0" },
] as const;

describe("an answer past what a turn may keep", () => {
  const saved = { openai: [env.OPENAI_API_KEY, env.OPENAI_BASE_URL], anthropic: [env.ANTHROPIC_API_KEY, env.ANTHROPIC_BASE_URL] };
  afterEach(() =>
    Object.assign(env, { OPENAI_API_KEY: saved.openai[0], OPENAI_BASE_URL: saved.openai[1], ANTHROPIC_API_KEY: saved.anthropic[0], ANTHROPIC_BASE_URL: saved.anthropic[1] }),
  );

  it.each(cases)("$provider, $what: the turn is kept cut, its tokens and cost counted, and the run fails saying why", async ({ provider, ask, mb }) => {
    const { openai, anthropic } = inject("fakeServers");
    Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: local(openai, "/v1"), ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: local(anthropic, "") });
    const token = await makeOrg(`org_oversize_${crypto.randomUUID().slice(0, 8)}`);
    const model = `${provider}:sized`;
    expect((await api("PUT", `/pricing/${model}`, { token, body: { input: 1, cache: 0, output: 1 } })).status).toBe(200);
    await api("POST", "/agents", { token, body: { name: "talker", model, tools: ["http_fetch"] } });
    const task = (await api("POST", "/tasks", { token, body: { agent: "talker", title: "long answer", description: JSON.stringify(ask) } })).json;
    const detail = await until("the task", () => api("GET", `/tasks/${task.id}`, { token }).then((r) => r.json), (d) => !["pending", "in_progress"].includes(d.status), 20_000);
    const error = `the model's answer is ${mb} MB, past the 1 MB a model turn may hold, so it is neither the step's output nor are its tool calls run; turn 1 of the trace holds it cut to fit`;
    expect([detail.status, detail.steps[0].error, detail.steps[0].runs]).toMatchObject(["failed", error, [{ status: "failed", error }]]);
    expect(detail.steps[0].runs).toHaveLength(1);
    expect(detail.tokens).toMatchObject({ input: 100, output: 800_000 });
    expect(detail.cost).toBeCloseTo(0.8001, 9);

    const trace = (await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`, { token })).json;
    expect(trace).toMatchObject({ status: "failed", error, tokens: { input: 100, output: 800_000 }, interrupted_text: null });
    expect(trace.turns).toHaveLength(1);
    const turn = trace.turns[0];
    expect(turn).toMatchObject({ oversize: `${mb} MB, past the 1 MB a model turn may hold`, usage: { input: 100, output: 800_000 } });
    expect(turn.cost).toBeCloseTo(0.8001, 9);
    const kept = new TextEncoder().encode(JSON.stringify({ content: turn.content, tool_calls: turn.tool_calls, searches: turn.searches })).byteLength;
    expect(kept).toBeLessThanOrEqual(1_000_000);
    if ("text" in ask) expect(turn.content).toMatch(/^x{400000,}$/);
    else {
      // the call's arguments, cut, are not a JSON object any more: kept as written, and the call was not run
      expect(turn.tool_calls).toMatchObject([{ id: expect.stringMatching(/_big$/), name: "http_fetch", arguments: {} }]);
      expect(turn.tool_calls[0].invalid_arguments).toMatch(/^\{"data":"y{400000,}$/);
      expect(turn.tool_results).toMatchObject([{ result: expect.stringMatching(/^error: not run: /) }]);
    }

    await env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(task.id)).settled();
    const spend = (await api("GET", "/spend", { token })).json;
    expect(spend.items.at(-1)).toMatchObject({ tasks: 1, tokens: { input: 100, output: 800_000 } });
    expect(spend.total).toBeCloseTo(0.8001, 9);
  });

  it("streams a burst of 300,000 characters live to a task's stream, in events it can carry, and goes on to the task's end", async () => {
    const { openai } = inject("fakeServers");
    Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: local(openai, "/v1") });
    await api("POST", "/agents", { body: { name: `burst-${crypto.randomUUID().slice(0, 6)}`, model: "openai:sized", tools: [] } }).then(async (r) => {
      const task = (await api("POST", "/tasks", { body: { agent: r.json.name, title: "a burst", description: JSON.stringify({ text: 300_000, wait_ms: 1500, pause_ms: 1000 }) } })).json;
      const res = await workerFetch(new Request(`${BASE}/api/v1/tasks/${task.id}/events`, { headers: { authorization: `Bearer ${ADMIN}` } }));
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      let text = 0;
      const deadline = Date.now() + 20_000;
      try {
        while (Date.now() < deadline && !/event: task\.updated\ndata: [^\n]*"status":"completed"/.test(seen.slice(-4000))) {
          const { value, done } = await reader.read();
          if (done) break;
          seen += value;
        }
      } finally {
        await reader.cancel();
      }
      for (const m of seen.matchAll(/event: run\.text\ndata: (.*)\n/g)) text += (JSON.parse(m[1]) as { delta: string }).delta.length;
      // the burst came live (the masker holds back a word's tail until the turn's end, which the turn's own event
      // carries), and the stream went on to the task's end
      expect(text).toBeGreaterThan(299_000);
      expect(seen).toMatch(/event: task\.updated\ndata: .*"status":"completed"/);
    });
  });
});
