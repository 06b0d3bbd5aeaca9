import type { SpendSource } from "../db/schema";
import type { Prepares } from "../db/sql";
import type { StoredRun } from "../task/store";

export interface SpendRow {
  day: string;
  agent: string;
  model: string;
  cost_nanos: number;
  tokens_input: number;
  tokens_cache: number;
  tokens_cache_write: number;
  tokens_output: number;
  tokens_web_search: number;
  searches: number;
}

/** UTC day of a time, `YYYY-MM-DD`. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** First UTC day of the month of a time. */
export const monthStart = (ms: number) => `${utcDay(ms).slice(0, 7)}-01`;

/** When the month that begins on `month` (`YYYY-MM-01`) ends: the next one's first instant. */
export function monthEndMs(month: string): number {
  const d = new Date(`${month}T00:00:00Z`);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** What some model calls spent: a task's run, a planner's reply. */
export type Spent = Pick<StoredRun, "usage" | "cost_nanos" | "started_at">;

/** A task's (or a conversation's) spend by the UTC day its runs started, agent and model. */
export function spendRows<R extends Spent>(runs: Iterable<R>, agentOf: (run: R) => { agent: string; model: string }): SpendRow[] {
  const rows = new Map<string, SpendRow>();
  for (const r of runs) {
    const u = r.usage;
    if (r.cost_nanos === 0 && u.input + u.cache + u.cache_write + u.output + u.web_search + u.searches === 0) continue;
    const { agent, model } = agentOf(r);
    const day = utcDay(r.started_at);
    const key = `${day}\u0000${agent}\u0000${model}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { day, agent, model, cost_nanos: 0, tokens_input: 0, tokens_cache: 0, tokens_cache_write: 0, tokens_output: 0, tokens_web_search: 0, searches: 0 }));
    row.cost_nanos += r.cost_nanos;
    row.tokens_input += u.input;
    row.tokens_cache += u.cache;
    row.tokens_cache_write += u.cache_write;
    row.tokens_output += u.output;
    row.tokens_web_search += u.web_search;
    row.searches += u.searches;
  }
  return [...rows.values()];
}

const COLS = ["cost_nanos", "tokens_input", "tokens_cache", "tokens_cache_write", "tokens_output", "tokens_web_search", "searches"] as const;
const ROWS_PER_STATEMENT = 50;

/**
 * Upserts of absolute values that only ever grow (`max`), so a late or
 * repeated write never lowers what a newer one wrote.
 */
export function ledgerStatements<S>(d1: Prepares<S>, orgId: string, taskId: string, rows: SpendRow[], source: SpendSource = "task", planId: string | null = null): S[] {
  const out: S[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    out.push(
      d1
        .prepare(
          `INSERT INTO spend (org_id, task_id, source, plan_id, day, agent, model, ${COLS.join(", ")}) VALUES ${chunk.map(() => `(?, ?, ?, ?, ?, ?, ?, ${COLS.map(() => "?").join(", ")})`).join(", ")}
           ON CONFLICT(task_id, day, agent, model) DO UPDATE SET ${COLS.map((c) => `${c} = max(${c}, excluded.${c})`).join(", ")}`,
        )
        .bind(...chunk.flatMap((r) => [orgId, taskId, source, planId, r.day, r.agent, r.model, ...COLS.map((c) => r[c])])),
    );
  }
  return out;
}
