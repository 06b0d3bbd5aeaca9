import { env } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import { ANTHROPIC_KEY } from "../../fake-servers/anthropic";
import { OPENAI_KEY } from "../../fake-servers/openai";
import { api, makeOrg, until } from "../../helpers";

const local = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;

describe("searches an openai: agent runs through WEB_SEARCH_URL", () => {
  const saved = { key: env.OPENAI_API_KEY, url: env.OPENAI_BASE_URL, search: env.WEB_SEARCH_URL };
  afterEach(() => Object.assign(env, { OPENAI_API_KEY: saved.key, OPENAI_BASE_URL: saved.url, WEB_SEARCH_URL: saved.search }));

  it("count in `searches` and cost per_search on the turn, run, step and task, as a native search does", async () => {
    const { openai, http } = inject("fakeServers");
    Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: local(openai, "/v1"), WEB_SEARCH_URL: local(http, "/searx/search") });
    const token = await makeOrg(`org_search_${crypto.randomUUID().slice(0, 8)}`);
    expect((await api("PUT", "/pricing/openai:tools", { token, body: { input: 0, cache: 0, output: 0, per_search: 0.01 } })).status).toBe(200);
    await api("POST", "/agents", { token, body: { name: "searcher", model: "openai:tools", tools: ["web_search"] } });
    const task = (await api("POST", "/tasks", { token, body: { agent: "searcher", title: "search", description: '{"query": "flights"}' } })).json;
    const detail = await until("the task", () => api("GET", `/tasks/${task.id}`, { token }).then((r) => r.json), (d) => d.status === "completed");
    expect([detail.searches, detail.cost, detail.steps[0].searches, detail.steps[0].runs[0].searches]).toEqual([1, 0.01, 1, 1]);
    const trace = (await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`, { token })).json;
    expect([trace.searches, trace.cost]).toEqual([1, 0.01]);
    expect(trace.turns.map((t: { usage: { searches: number; web_search: number }; cost: number }) => [t.usage.searches, t.usage.web_search, t.cost])).toEqual([
      [1, 0, 0.01],
      [0, 0, 0],
    ]);
    expect(trace.turns[0].tool_results[0].result).toContain("flights #1");
  });

  it("do not count a search that failed", async () => {
    const { openai, http } = inject("fakeServers");
    Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: local(openai, "/v1"), WEB_SEARCH_URL: local(http, "/searx/search") });
    const token = await makeOrg(`org_search_${crypto.randomUUID().slice(0, 8)}`);
    await api("POST", "/agents", { token, body: { name: "searcher", model: "openai:tools", tools: ["web_search"] } });
    const task = (await api("POST", "/tasks", { token, body: { agent: "searcher", title: "search", description: '{"query": "down"}' } })).json;
    const detail = await until("the task", () => api("GET", `/tasks/${task.id}`, { token }).then((r) => r.json), (d) => d.status === "completed");
    expect([detail.searches, detail.output]).toEqual([0, "tool said: error: the search service answered 503"]);
  });
});

describe("searches an anthropic: agent runs natively", () => {
  const saved = { key: env.ANTHROPIC_API_KEY, url: env.ANTHROPIC_BASE_URL };
  afterEach(() => Object.assign(env, { ANTHROPIC_API_KEY: saved.key, ANTHROPIC_BASE_URL: saved.url }));

  it("resume a turn the API paused mid-search, and each part's searches count in `searches` and cost", async () => {
    Object.assign(env, { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: local(inject("fakeServers").anthropic, "") });
    const token = await makeOrg(`org_search_${crypto.randomUUID().slice(0, 8)}`);
    expect((await api("PUT", "/pricing/anthropic:pause-search", { token, body: { input: 0, cache: 0, output: 0, per_search: 0.01 } })).status).toBe(200);
    await api("POST", "/agents", { token, body: { name: "claude-searcher", model: "anthropic:pause-search", tools: ["web_search"] } });
    const task = (await api("POST", "/tasks", { token, body: { agent: "claude-searcher", title: "search", description: "pricing and reviews" } })).json;
    const detail = await until("the task", () => api("GET", `/tasks/${task.id}`, { token }).then((r) => r.json), (d) => !["pending", "in_progress"].includes(d.status));
    expect([detail.status, detail.output, detail.searches, detail.cost]).toEqual(["completed", "Both searched.", 2, 0.02]);
    const trace = (await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`, { token })).json;
    expect(trace.turns.map((t: { paused?: boolean; usage: { searches: number }; searches: { query: string }[] }) => [t.paused ?? false, t.usage.searches, t.searches.map((s) => s.query)])).toEqual([
      [true, 1, ["flightdeck pricing"]],
      [false, 1, ["flightdeck reviews"]],
    ]);
    // the blocks kept to send the paused turn back are not the trace's: its content and searches say what they held
    expect(JSON.stringify(trace)).not.toContain("enc-a");
  });
});
