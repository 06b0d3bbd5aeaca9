import type { IndexRow, PendingItem } from "../db/task-row";
import { type SpendRow, spendRows } from "../spend/ledger";
import { primaryAgent, progress } from "./dag";
import { inputNeededIn } from "./input-needed";
import type { TaskRunner } from "./runner";
import type { StoredNode } from "./store";

type IndexedTask = Pick<TaskRunner, "meta" | "status" | "output" | "startedAt" | "finishedAt" | "lastEventId" | "graph" | "totals" | "nodes">;

/** The task's D1 index row (./index-sync.ts), as the object holds it now. */
export function indexRowOf(t: IndexedTask): IndexRow {
  const m = t.meta!;
  const p = progress(t.graph);
  const u = t.totals.usage;
  return {
    id: m.id, org_id: m.org_id, title: m.title, description: m.description, status: t.status, source: m.source,
    agent: primaryAgent(m.plan, Object.keys(m.agents)), agents: JSON.stringify(Object.keys(m.agents)), created_by: JSON.stringify(m.created_by),
    parent_id: m.parent_id, rerun_of: m.rerun_of, trigger_id: m.trigger_id, session_id: m.session_id, plan_id: m.plan_id,
    plan_version: m.plan_version, progress_done: p.done, progress_total: p.total, tokens_input: u.input, tokens_cache: u.cache, tokens_cache_write: u.cache_write,
    tokens_output: u.output, tokens_web_search: u.web_search, searches: u.searches, cost_nanos: t.totals.cost_nanos,
    pending: indexedPending(pendingItemsOf(t.nodes())), input_needed_in: JSON.stringify(inputNeededIn(t.nodes())), output: t.output, index_version: t.lastEventId, created_at: m.created_at,
    started_at: t.startedAt, finished_at: t.finishedAt,
  };
}

/** The most the index's copy of a task's questions holds (the detail keeps them whole). */
export const PENDING_INDEX_CHARS = 200_000;

/**
 * The questions as the index row keeps them: each cut short when together they would pass PENDING_INDEX_CHARS. A loop
 * whose iterations each ask 20,000 characters would otherwise pass the 2 MB D1 takes a row, and the row, never
 * written, would show the task unfinished for good and hold its slot.
 */
export function indexedPending(items: PendingItem[]): string {
  const whole = JSON.stringify(items);
  if (whole.length <= PENDING_INDEX_CHARS) return whole;
  const each = Math.max(50, Math.floor(PENDING_INDEX_CHARS / items.length) - 100);
  return JSON.stringify(items.map((i) => (i.question && i.question.length > each ? { ...i, question: `${i.question.slice(0, each)}…` } : i)));
}

/** What the task's steps wait on a person for: an approval, an answer, a budget raise. */
export function pendingItemsOf(nodes: Iterable<StoredNode>): PendingItem[] {
  const out: PendingItem[] = [];
  for (const n of nodes) {
    if (!n.waiting) continue;
    if (n.waiting.kind === "approval") out.push({ kind: "approval", step: n.key, run: n.runs });
    else if (n.waiting.kind === "child") continue;
    else out.push({ kind: n.waiting.kind, step: n.key, call_id: n.waiting.call_id, question: n.waiting.question });
  }
  return out;
}

/** The task's spend ledger rows, each run under its step's agent and that agent's model. */
export function spendRowsOf(t: Pick<TaskRunner, "meta" | "runs" | "node" | "agentStep">): SpendRow[] {
  const m = t.meta!;
  return spendRows(t.runs.values(), (r) => {
    const agent = t.agentStep(t.node(r.node_key)).agent;
    return { agent, model: m.agents[agent]?.model ?? "unknown" };
  });
}
