import { describe, expect, it } from "vitest";
import { monthStart, spendRows, utcDay } from "../../../worker/spend/ledger";
import { daysBetween } from "../../../worker/spend/report";
import type { StoredRun } from "../../../worker/task/store";

const run = (node_key: string, started_at: number, cost_nanos: number, input = 10): StoredRun => ({
  node_key, run_no: 1, status: "completed", started_at, finished_at: started_at + 1, error: null, feedback: null, price: "",
  usage: { input, cache: 1, cache_write: 4, output: 2, web_search: 3, searches: 1 }, cost_nanos, worked_ms: 1,
});

describe("spend ledger rows", () => {
  const d1 = Date.UTC(2026, 0, 31, 23, 59);
  const d2 = Date.UTC(2026, 1, 1, 0, 1);
  const agents: Record<string, { agent: string; model: string }> = { a: { agent: "writer", model: "sim" }, b: { agent: "reviewer", model: "openai:gpt" } };

  it("groups a task's runs by the UTC day they started, agent and model", () => {
    const rows = spendRows([run("a", d1, 5), run("a", d1 + 1000, 7), run("a", d2, 11), run("b", d2, 13), { ...run("b", d2, 0), usage: { input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0, searches: 0 } }], (r) => agents[r.node_key]);
    expect(rows).toEqual([
      { day: "2026-01-31", agent: "writer", model: "sim", cost_nanos: 12, tokens_input: 20, tokens_cache: 2, tokens_cache_write: 8, tokens_output: 4, tokens_web_search: 6, searches: 2 },
      { day: "2026-02-01", agent: "writer", model: "sim", cost_nanos: 11, tokens_input: 10, tokens_cache: 1, tokens_cache_write: 4, tokens_output: 2, tokens_web_search: 3, searches: 1 },
      { day: "2026-02-01", agent: "reviewer", model: "openai:gpt", cost_nanos: 13, tokens_input: 10, tokens_cache: 1, tokens_cache_write: 4, tokens_output: 2, tokens_web_search: 3, searches: 1 },
    ]);
  });

  it("names days and months in UTC", () => {
    expect(utcDay(d1)).toBe("2026-01-31");
    expect(monthStart(d1)).toBe("2026-01-01");
    expect(monthStart(d2)).toBe("2026-02-01");
    expect(daysBetween("2026-02-27", "2026-03-02")).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
    expect(daysBetween("2026-03-02", "2026-03-01")).toEqual([]);
  });
});
