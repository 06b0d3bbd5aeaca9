import { describe, expect, it } from "vitest";
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
});
