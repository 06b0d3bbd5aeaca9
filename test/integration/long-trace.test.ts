import { env } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import { OPENAI_KEY } from "../fake-servers/openai";
import { api, waitForStatus } from "../helpers";

describe("long runs", () => {
  it("keeps and loads the trace of a run of 1,000 turns", { timeout: 120_000 }, async () => {
    await api("POST", "/agents", { body: { name: "marathon", model: "sim", tools: ["web_search"], max_turns: 1000 } });
    const calls = Array.from({ length: 999 }, (_, i) => `@tool web_search {"query": "q${i}"}`).join("\n");
    const plan = await api("POST", "/plans", { body: { name: "marathon", steps: [{ id: "main", agent: "marathon", instructions: `${calls}\n@output finished` }] } });
    expect(plan.status, plan.text).toBe(201);
    const task = (await api("POST", `/plans/${plan.json.id}/run`, { body: {} })).json;
    const done = await waitForStatus(task.id, ["completed", "failed"], 110_000);
    expect(done.status, done.steps[0].error).toBe("completed");
    const trace = await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`);
    expect(trace.status).toBe(200);
    expect(trace.json.turns).toHaveLength(1000);
    expect(trace.json.turns[998].tool_calls[0].arguments).toEqual({ query: "q998" });
    expect(trace.json.turns[999].content).toBe("finished");
    const sum = trace.json.turns.reduce((n: number, t: { usage: { output: number } }) => n + t.usage.output, 0);
    expect(sum).toBe(done.tokens.output);
  });

  describe("a turn of many large tool results", () => {
    const saved = { key: env.OPENAI_API_KEY, url: env.OPENAI_BASE_URL };
    afterEach(() => Object.assign(env, { OPENAI_API_KEY: saved.key, OPENAI_BASE_URL: saved.url }));

    it("keeps each result whole up to its cap, past SQLite's 2 MB row limit for the turn", { timeout: 60_000 }, async () => {
      const { openai, http } = inject("fakeServers");
      Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${openai}/v1` });
      await api("POST", "/agents", { body: { name: "fan-out-fetcher", model: "openai:fan-out", tools: ["http_fetch"] } });
      // ten 256 KB results: 2.5 MB for the turn
      const calls = Array.from({ length: 10 }, () => ({ url: `http://127.0.0.1:${http}/big` }));
      const task = (await api("POST", "/tasks", { body: { agent: "fan-out-fetcher", title: "many big fetches", description: JSON.stringify(calls) } })).json;
      const done = await waitForStatus(task.id, ["completed", "failed"], 50_000);
      expect(done.status, done.steps[0].error).toBe("completed");
      const trace = await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`);
      const results = trace.json.turns[0].tool_results as { call_id: string; result: string; truncated: boolean }[];
      expect(results.map((r) => r.call_id)).toEqual(calls.map((_, i) => `call_${i + 1}`));
      for (const r of results) {
        expect(r.truncated).toBe(true);
        expect(r.result).toMatch(/^HTTP 200 OK\n[\s\S]*\[truncated: kept the first 262144 of \d+ bytes\]$/);
      }
      expect(done.output).toBe(`tool results of ${results.map((r) => r.result.length).join(", ")} characters`);
    });

    it("runs the first 32 tool calls of a turn, answers the rest with an error saying so, and goes on", { timeout: 60_000 }, async () => {
      const { openai, http } = inject("fakeServers");
      Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${openai}/v1` });
      await api("POST", "/agents", { body: { name: "fan-out-greedy", model: "openai:fan-out", tools: ["http_fetch"] } });
      const calls = Array.from({ length: 40 }, (_, i) => ({ url: `http://127.0.0.1:${http}/hello?n=${i}` }));
      const task = (await api("POST", "/tasks", { body: { agent: "fan-out-greedy", title: "forty fetches", description: JSON.stringify(calls) } })).json;
      const done = await waitForStatus(task.id, ["completed", "failed"], 50_000);
      expect(done.status, done.steps[0].error).toBe("completed");
      const trace = await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`);
      const results = trace.json.turns[0].tool_results as { call_id: string; result: string; error?: string }[];
      expect(results.map((r) => r.call_id)).toEqual(calls.map((_, i) => `call_${i + 1}`));
      for (const r of results.slice(0, 32)) expect([r.result.slice(0, 15), r.error]).toEqual(["HTTP 200 OK\ncon", undefined]);
      const refused = "not run: the turn asked for 40 tool calls and a turn may make at most 32, so only the first 32 were run; ask again for the rest";
      for (const r of results.slice(32)) expect([r.result, r.error]).toEqual([`error: ${refused}`, refused]);
      expect(trace.json.turns).toHaveLength(2);
    });

    it("runs only as many tool calls of a turn as the agent's own bound, under the instance's", { timeout: 60_000 }, async () => {
      const { openai, http } = inject("fakeServers");
      Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${openai}/v1` });
      await api("POST", "/agents", { body: { name: "fan-out-bounded", model: "openai:fan-out", tools: ["http_fetch"], max_tool_calls_per_turn: 3 } });
      const calls = Array.from({ length: 5 }, (_, i) => ({ url: `http://127.0.0.1:${http}/hello?n=${i}` }));
      const task = (await api("POST", "/tasks", { body: { agent: "fan-out-bounded", title: "five fetches", description: JSON.stringify(calls) } })).json;
      const done = await waitForStatus(task.id, ["completed", "failed"], 50_000);
      expect(done.status, done.steps[0].error).toBe("completed");
      const trace = await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`);
      const results = trace.json.turns[0].tool_results as { call_id: string; result: string; error?: string }[];
      for (const r of results.slice(0, 3)) expect([r.result.slice(0, 15), r.error]).toEqual(["HTTP 200 OK\ncon", undefined]);
      const refused = "not run: the turn asked for 5 tool calls and a turn may make at most 3, so only the first 3 were run; ask again for the rest";
      for (const r of results.slice(3)) expect([r.result, r.error]).toEqual([`error: ${refused}`, refused]);
    });
  });
});
