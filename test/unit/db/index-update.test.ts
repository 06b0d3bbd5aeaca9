import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { indexUpdateStatements } from "../../../worker/db/index-update";
import { asStatements } from "../../../worker/db/sql";
import type { IndexRow } from "../../../worker/db/task-row";
import { ledgerStatements } from "../../../worker/spend/ledger";

const org = `org_iu_${crypto.randomUUID().slice(0, 8)}`;

function row(id: string, over: Partial<IndexRow> = {}): IndexRow {
  return {
    id, org_id: org, title: `index update ${id}`, description: "", status: "pending", source: "api", agent: "writer", agents: '["writer"]',
    created_by: '{"type":"token","id":"tok","name":"t"}', parent_id: null, rerun_of: null, trigger_id: null, session_id: `ses_${id}`,
    plan_id: null, plan_version: null, progress_done: 0, progress_total: 1, tokens_input: 0, tokens_cache: 0, tokens_cache_write: 0, tokens_output: 0,
    tokens_web_search: 0, searches: 0, cost_nanos: 0, pending: "[]", input_needed_in: "[]", output: null, index_version: 0, created_at: 1_000, started_at: null,
    finished_at: null, ...over,
  };
}

async function insert(r: IndexRow) {
  await env.DB.prepare(
    `INSERT INTO tasks (id, org_id, title, description, status, source, agent, agents, created_by, session_id, progress_total, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(r.id, r.org_id, r.title, r.description, r.status, r.source, r.agent, r.agents, r.created_by, r.session_id, r.progress_total, r.created_at)
    .run();
}

const byStatus = async (status: string) =>
  (
    await env.DB.prepare("SELECT t.id FROM tasks_search s JOIN tasks t ON t.seq = s.rowid WHERE tasks_search MATCH 's' || hex(?) ORDER BY t.id")
      .bind(`${org} ${status}`)
      .all<{ id: string }>()
  ).results.map((r) => r.id);

describe("indexUpdateStatements", () => {
  it("writes many tasks' rows in one UPDATE after their ledger rows, skipping a write older than the row, and re-indexes the status", async () => {
    const [a, b, c] = ["tsk_iu_a", "tsk_iu_b", "tsk_iu_c"].map((id) => row(id));
    for (const r of [a, b, c]) await insert(r);
    await env.DB.prepare("UPDATE tasks SET index_version = 9 WHERE id = ?").bind(c.id).run();
    const done = { status: "completed" as const, progress_done: 1, cost_nanos: 2_500_000_000_123, output: "ok", started_at: 2_000, finished_at: 5_000, index_version: 4 };
    const spend = [{ day: "2026-12-05", agent: "writer", model: "sim", tokens_input: 10, tokens_cache: 0, tokens_cache_write: 0, tokens_output: 5, tokens_web_search: 0, searches: 0, cost_nanos: 7 }];
    const statements = indexUpdateStatements([
      { row: row(a.id, done), ledger: ledgerStatements(asStatements, org, a.id, spend) },
      { row: row(b.id, { status: "in_progress", started_at: 2_000, index_version: 2 }), ledger: [] },
      { row: row(c.id, done), ledger: [] },
    ]);
    expect(statements.map((s) => s.sql.split(" ")[0])).toEqual(["INSERT", "UPDATE"]);
    await env.DB.batch(statements.map((s) => env.DB.prepare(s.sql).bind(...s.params)));

    const rows = await env.DB.prepare("SELECT id, status, cost_nanos, output, duration_ms, index_version FROM tasks WHERE org_id = ? ORDER BY id").bind(org).all();
    expect(rows.results).toEqual([
      { id: a.id, status: "completed", cost_nanos: 2_500_000_000_123, output: "ok", duration_ms: 3_000, index_version: 4 },
      { id: b.id, status: "in_progress", cost_nanos: 0, output: null, duration_ms: null, index_version: 2 },
      // its row had a newer write already
      { id: c.id, status: "pending", cost_nanos: 0, output: null, duration_ms: null, index_version: 9 },
    ]);
    expect(await byStatus("completed")).toEqual([a.id]);
    expect(await byStatus("pending")).toEqual([c.id]);
    expect(await env.DB.prepare("SELECT tokens_input, cost_nanos FROM spend WHERE task_id = ?").bind(a.id).first()).toEqual({ tokens_input: 10, cost_nanos: 7 });
  });

  it("keeps a task's newest write when one batch carries two", () => {
    const [update] = indexUpdateStatements([
      { row: row("tsk_twice", { status: "completed", index_version: 7 }), ledger: [] },
      { row: row("tsk_twice", { status: "in_progress", index_version: 5 }), ledger: [] },
    ]);
    const rows = JSON.parse(update.params[0] as string) as unknown[][];
    expect(rows).toHaveLength(1);
    expect(rows[0][0]).toBe("tsk_twice");
    expect(rows[0]).toContain("completed");
  });

  it("writes nothing for no updates", () => {
    expect(indexUpdateStatements([])).toEqual([]);
  });
});
