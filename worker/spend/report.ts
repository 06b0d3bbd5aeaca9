import { monthEndMs, monthStart, utcDay } from "./ledger";

export const SPEND_GROUPS = ["day", "month", "agent", "model", "source", "plan"] as const;
export type SpendGroup = (typeof SPEND_GROUPS)[number];

const KEY: Record<SpendGroup, string> = { day: "day", month: "substr(day, 1, 7)", agent: "agent", model: "model", source: "source", plan: "coalesce(plan_id, '')" };

export interface SpendItem {
  key: string;
  cost_nanos: number;
  tokens: { input: number; cache: number; cache_write: number; output: number; web_search: number };
  searches: number;
  tasks: number;
  /** planning conversations whose planner's model calls spent here */
  conversations: number;
  /** the part of `cost_nanos` the chat planner spent */
  planner_nanos: number;
  /** by plan: the plan's name, null when there is none (no saved plan, or it was deleted) */
  name?: string | null;
}

interface Row {
  key: string;
  cost_nanos: number;
  input: number;
  cache: number;
  cache_write: number;
  output: number;
  web_search: number;
  searches: number;
  tasks: number;
  conversations: number;
  planner_nanos: number;
  name?: string | null;
}

const DAY_MS = 86_400_000;

/** Every month (`YYYY-MM`) from the one of `from` to the one of `to`, both included. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = `${from.slice(0, 7)}-01`; m.slice(0, 7) <= to.slice(0, 7); m = utcDay(monthEndMs(m))) out.push(m.slice(0, 7));
  return out;
}

/** Every UTC day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) out.push(utcDay(t));
  return out;
}

const empty = (key: string): SpendItem => ({ key, cost_nanos: 0, tokens: { input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0 }, searches: 0, tasks: 0, conversations: 0, planner_nanos: 0 });

/**
 * Spend from the ledger between two UTC days (both included), by day or UTC month
 * (every one present, zeros included, oldest first) or by agent, model or source
 * (`task` or `chat`, the planner's) or plan (named; `""` for tasks made from no saved plan; costliest first).
 */
export async function spendReport(d1: D1Database, orgId: string, from: string, to: string, group: SpendGroup): Promise<SpendItem[]> {
  const { results } = await d1
    .prepare(
      `SELECT ${KEY[group]} AS key, sum(cost_nanos) AS cost_nanos, sum(tokens_input) AS input, sum(tokens_cache) AS cache,
         sum(tokens_cache_write) AS cache_write, sum(tokens_output) AS output, sum(tokens_web_search) AS web_search, sum(searches) AS searches,
         count(DISTINCT CASE WHEN source = 'task' THEN task_id END) AS tasks, count(DISTINCT CASE WHEN source = 'chat' THEN task_id END) AS conversations,
         coalesce(sum(CASE WHEN source = 'chat' THEN cost_nanos END), 0) AS planner_nanos
         ${group === "plan" ? ", (SELECT name FROM plans WHERE id = spend.plan_id AND org_id = ?1) AS name" : ""}
       FROM spend WHERE org_id = ?1 AND day >= ?2 AND day <= ?3 GROUP BY key ORDER BY ${group === "day" || group === "month" ? "key" : "cost_nanos DESC, key"}`,
    )
    .bind(orgId, from, to)
    .all<Row>();
  const items = results.map((r): SpendItem => ({
    key: r.key, cost_nanos: r.cost_nanos, tokens: { input: r.input, cache: r.cache, cache_write: r.cache_write, output: r.output, web_search: r.web_search }, searches: r.searches, tasks: r.tasks,
    conversations: r.conversations, planner_nanos: r.planner_nanos, ...(group === "plan" ? { name: r.name ?? null } : {}),
  }));
  if (group !== "day" && group !== "month") return items;
  const byKey = new Map(items.map((i) => [i.key, i]));
  return (group === "day" ? daysBetween(from, to) : monthsBetween(from, to)).map((k) => byKey.get(k) ?? empty(k));
}

export async function monthToDate(d1: D1Database, orgId: string, now = Date.now()): Promise<number> {
  const row = await d1.prepare("SELECT cost_nanos AS n FROM spend_months WHERE org_id = ? AND month = ?").bind(orgId, monthStart(now)).first<{ n: number }>();
  return row?.n ?? 0;
}
