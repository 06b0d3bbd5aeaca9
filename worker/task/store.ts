import { and, asc, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import type { Usage } from "../agents/types";
import type { NodeSpec, NodeState, NodeStatus } from "./dag";
import migrations from "./migrations/migrations.js";
import * as s from "./storage-schema";

export type Waiting =
  | { kind: "approval" }
  | { kind: "question"; call_id: string; question: string }
  | { kind: "budget"; call_id: string; question: string }
  /** not a person: the run waits for a sub-task it spawned with `wait` */
  | { kind: "child"; task_id: string; tool_call_id: string };

export interface StoredNode extends NodeState {
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
  runs: number;
  retry_at: number | null;
  waiting: Waiting | null;
  seq: number;
}

export interface StoredRun {
  node_key: string;
  run_no: number;
  status: "running" | "completed" | "failed" | "cancelled" | "waiting";
  started_at: number;
  finished_at: number | null;
  error: string | null;
  feedback: string | null;
  price: string;
  usage: Usage;
  cost_nanos: number;
}

export type Db = ReturnType<typeof drizzle>;

export function openStore(storage: DurableObjectStorage): Db {
  const db = drizzle(storage, { logger: false });
  migrate(db, migrations);
  return db;
}

export const nodeFromRow = (r: typeof s.nodeRows.$inferSelect): StoredNode => ({
  key: r.key,
  step_id: r.step_id,
  kind: r.kind as StoredNode["kind"],
  parent: r.parent,
  deps: JSON.parse(r.deps) as string[],
  iteration: r.iteration,
  item: r.item,
  status: r.status as NodeStatus,
  output: r.output,
  error: r.error,
  started_at: r.started_at,
  finished_at: r.finished_at,
  runs: r.runs,
  retry_at: r.retry_at,
  waiting: r.waiting ? (JSON.parse(r.waiting) as Waiting) : null,
  seq: r.seq,
});

export function insertNode(db: Db, spec: NodeSpec, seq: number): StoredNode {
  const node: StoredNode = { ...spec, output: null, error: null, started_at: null, finished_at: null, runs: 0, retry_at: null, waiting: null, seq };
  db.insert(s.nodeRows)
    .values({ ...spec, deps: JSON.stringify(spec.deps), seq })
    .run();
  return node;
}

export function saveNode(db: Db, n: StoredNode): void {
  db.update(s.nodeRows)
    .set({
      status: n.status,
      output: n.output,
      error: n.error,
      started_at: n.started_at,
      finished_at: n.finished_at,
      runs: n.runs,
      retry_at: n.retry_at,
      waiting: n.waiting ? JSON.stringify(n.waiting) : null,
    })
    .where(eq(s.nodeRows.key, n.key))
    .run();
}

export const runFromRow = (r: typeof s.runRows.$inferSelect): StoredRun => ({
  node_key: r.node_key,
  run_no: r.run_no,
  status: r.status as StoredRun["status"],
  started_at: r.started_at,
  finished_at: r.finished_at,
  error: r.error,
  feedback: r.feedback,
  price: r.price,
  usage: { input: r.input, cache: r.cache, cache_write: r.cache_write, output: r.output, web_search: r.web_search, searches: r.searches },
  cost_nanos: r.cost_nanos,
});

export function saveRun(db: Db, r: StoredRun): void {
  const row = {
    node_key: r.node_key,
    run_no: r.run_no,
    status: r.status,
    started_at: r.started_at,
    finished_at: r.finished_at,
    error: r.error,
    feedback: r.feedback,
    price: r.price,
    ...r.usage,
    cost_nanos: r.cost_nanos,
  };
  db.insert(s.runRows)
    .values(row)
    .onConflictDoUpdate({ target: [s.runRows.node_key, s.runRows.run_no], set: row })
    .run();
}

export function loadTurns<T>(db: Db, key: string, runNo: number): T[] {
  return db
    .select({ data: s.turnRows.data })
    .from(s.turnRows)
    .where(and(eq(s.turnRows.node_key, key), eq(s.turnRows.run_no, runNo)))
    .orderBy(asc(s.turnRows.turn_no))
    .all()
    .map((r) => JSON.parse(r.data) as T);
}

export function saveTurn(db: Db, key: string, runNo: number, turnNo: number, data: unknown): void {
  const row = { node_key: key, run_no: runNo, turn_no: turnNo, data: JSON.stringify(data) };
  db.insert(s.turnRows)
    .values(row)
    .onConflictDoUpdate({ target: [s.turnRows.node_key, s.turnRows.run_no, s.turnRows.turn_no], set: { data: row.data } })
    .run();
}

export function appendEvent(db: Db, type: string, data: unknown, at: number): number {
  const [row] = db.insert(s.eventRows).values({ type, data: JSON.stringify(data), at }).returning({ id: s.eventRows.id }).all();
  return row.id;
}

export function eventsAfter(db: Db, id: number, limit = 1000) {
  return db.select().from(s.eventRows).where(gt(s.eventRows.id, id)).orderBy(asc(s.eventRows.id)).limit(limit).all();
}
