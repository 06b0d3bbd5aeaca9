import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import type { TurnRecord } from "../agents/turn";
import { type Usage, zeroUsage } from "../agents/types";
import type { NodeSpec, NodeState, NodeStatus } from "./dag";
import freshSchema from "./fresh-schema.sql";
import migrations from "./migrations/migrations.js";
import * as s from "./storage-schema";
import type { RunStatus } from "./step-status";

export type Waiting =
  | { kind: "approval" }
  | { kind: "question"; call_id: string; question: string }
  /**
   * A cap question keeps what the turn it held back could cost (`next_turn_nanos`), so a raise can tell whether it
   * now fits, and when its month ends (`month_end`), when the task's alarm looks again. A budget question keeps the
   * budget it reached (`limit_nanos`), so a raise to no more than it, which would only ask again, is refused.
   */
  | { kind: "budget"; call_id: string; question: string; next_turn_nanos?: number; month_end?: number; limit_nanos?: number }
  /**
   * not a person: the run waits for a sub-task it spawned with `wait`; `input`, while a person is asked
   * something in that sub-task or below it, names the task asking (./input-needed.ts)
   */
  | { kind: "child"; task_id: string; tool_call_id: string; input?: { task_id: string; title: string } };

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
  status: RunStatus;
  started_at: number;
  finished_at: number | null;
  error: string | null;
  feedback: string | null;
  price: string;
  usage: Usage;
  cost_nanos: number;
  /** Working time as last stored (./work-time.ts). */
  worked_ms: number;
}

export type Db = ReturnType<typeof drizzle>;

/** The newest migration's tag: an object that has applied it skips the migrator on every later wake-up. */
const SCHEMA = migrations.journal.entries.at(-1)!.tag;

/**
 * A new object's whole schema in one `exec`, with the migrator's own bookkeeping, so a
 * later migration still applies on top. Running the migrator statement by statement
 * costs more than the rest of a short task's start; running the migrations in one go would
 * make tables that a later migration rebuilds.
 */
const FRESH = [
  'CREATE TABLE "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)',
  freshSchema.trim().replace(/;$/, ""),
  ...migrations.journal.entries.map((e) => `INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES ('', ${e.when})`),
].join(";\n");

/** In place of the schema's tag: the object's create was undone before it started (./interrupted.ts), so it never will. */
const ABANDONED = "abandoned";

/** In place of the schema's tag: the task ran and was deleted; kept so that a repeat of the request that made it is not taken for a create cut off. */
const PURGED = "purged";

/**
 * Opens an object's store: "new" when it has stored nothing yet (its first write makes the schema,
 * `createStore`, so a new task's schema and its start are one commit), "abandoned" when its create was
 * undone, "purged" when the task was deleted, otherwise brought up to date.
 */
export function openStore(storage: DurableObjectStorage): "new" | "open" | "abandoned" | "purged" {
  const have = storage.kv.get<string>("schema");
  if (have === SCHEMA) return "open";
  if (have === ABANDONED) return "abandoned";
  if (have === PURGED) return "purged";
  // objects from before the tag have tables but no tag
  const tables = have !== undefined || storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = '__drizzle_migrations'").toArray().length > 0;
  if (!tables) return "new";
  migrate(queryBuilder(storage), migrations);
  storage.kv.put("schema", SCHEMA);
  return "open";
}

export const markAbandoned = (storage: DurableObjectStorage): void => storage.kv.put("schema", ABANDONED);
export const markPurged = (storage: DurableObjectStorage): void => storage.kv.put("schema", PURGED);

/** A new object's whole schema, in the caller's transaction. */
export function createStore(storage: DurableObjectStorage): void {
  storage.sql.exec(FRESH);
  storage.kv.put("schema", SCHEMA);
}

/** The hot paths use fixed statements; the rest reads through drizzle. */
export const queryBuilder = (storage: DurableObjectStorage): Db => drizzle(storage, { logger: false });

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

/**
 * The hot path (a loop of 1,000 items writes these tens of thousands of times) goes
 * straight to the object's SQLite with fixed statements, which the runtime caches
 * prepared; the query builder costs more than the write itself here.
 */
export function insertNode(sql: SqlStorage, spec: NodeSpec, seq: number): StoredNode {
  const node: StoredNode = { ...spec, output: null, error: null, started_at: null, finished_at: null, runs: 0, retry_at: null, waiting: null, seq };
  sql.exec(
    "INSERT INTO nodes (key, step_id, kind, parent, deps, iteration, item, status, runs, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
    spec.key, spec.step_id, spec.kind, spec.parent, JSON.stringify(spec.deps), spec.iteration, spec.item, spec.status, seq,
  );
  return node;
}

export function saveNode(sql: SqlStorage, n: StoredNode): void {
  sql.exec(
    "UPDATE nodes SET status = ?, output = ?, error = ?, started_at = ?, finished_at = ?, runs = ?, retry_at = ?, waiting = ? WHERE key = ?",
    n.status, n.output, n.error, n.started_at, n.finished_at, n.runs, n.retry_at, n.waiting ? JSON.stringify(n.waiting) : null, n.key,
  );
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
  worked_ms: r.worked_ms,
});

export function insertRun(sql: SqlStorage, r: StoredRun): void {
  const u = r.usage;
  sql.exec(
    `INSERT INTO runs (node_key, run_no, status, started_at, finished_at, error, feedback, price, input, cache, cache_write, output, web_search, searches, cost_nanos)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    r.node_key, r.run_no, r.status, r.started_at, r.finished_at, r.error, r.feedback, r.price,
    u.input, u.cache, u.cache_write, u.output, u.web_search, u.searches, r.cost_nanos,
  );
}

/** A run's later writes: its status, price, usage, cost and working time. */
export function saveRun(sql: SqlStorage, r: StoredRun): void {
  const u = r.usage;
  sql.exec(
    `UPDATE runs SET status = ?, finished_at = ?, error = ?, feedback = ?, price = ?, input = ?, cache = ?, cache_write = ?, output = ?,
       web_search = ?, searches = ?, cost_nanos = ?, worked_ms = ? WHERE node_key = ? AND run_no = ?`,
    r.status, r.finished_at, r.error, r.feedback, r.price, u.input, u.cache, u.cache_write, u.output, u.web_search, u.searches, r.cost_nanos,
    r.worked_ms, r.node_key, r.run_no,
  );
}

/** A run's turns, oldest first, each with its tool results put back from their own rows. */
export function loadTurns(sql: SqlStorage, key: string, runNo: number): TurnRecord[] {
  const results = new Map<string, string>();
  for (const r of sql.exec<{ turn_no: number; call_id: string; result: string }>(
    "SELECT turn_no, call_id, result FROM tool_results WHERE node_key = ? AND run_no = ?",
    key, runNo,
  )) {
    results.set(`${r.turn_no} ${r.call_id}`, r.result);
  }
  return sql
    .exec<{ data: string }>("SELECT data FROM turns WHERE node_key = ? AND run_no = ? ORDER BY turn_no", key, runNo)
    .toArray()
    .map((row) => {
      const turn = JSON.parse(row.data) as TurnRecord;
      // turns stored before results had rows of their own hold them inline
      const tool_results = turn.tool_results.map((r) => ({ ...r, result: results.get(`${turn.turn_no} ${r.call_id}`) ?? r.result }));
      return { ...turn, tool_results };
    });
}

/**
 * Stores a turn, each finished tool result in a row of its own: one row holding them all would pass SQLite's
 * 2 MB row limit with a few large results (each is capped at 256 KB, but a turn may make many calls).
 */
export function saveTurn(sql: SqlStorage, key: string, runNo: number, turn: TurnRecord): void {
  for (const r of turn.tool_results) {
    if (r.result === null) continue;
    sql.exec(
      `INSERT INTO tool_results (node_key, run_no, turn_no, call_id, result) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (node_key, run_no, turn_no, call_id) DO UPDATE SET result = excluded.result WHERE result IS NOT excluded.result`,
      key, runNo, turn.turn_no, r.call_id, r.result,
    );
  }
  const stored = { ...turn, tool_results: turn.tool_results.map((r) => ({ ...r, result: null })) };
  sql.exec(
    "INSERT INTO turns (node_key, run_no, turn_no, data) VALUES (?, ?, ?, ?) ON CONFLICT (node_key, run_no, turn_no) DO UPDATE SET data = excluded.data",
    key, runNo, turn.turn_no, JSON.stringify(stored),
  );
}

/**
 * A retry starts where the failed run stopped: its turns are copied into the new run, marked as carried and
 * costing nothing there, so no question a person answered is asked again and no finished tool call runs again.
 * Returns how many turns were carried.
 */
export function carryTurns(sql: SqlStorage, key: string, fromRun: number, toRun: number): number {
  // a failed answer is the failed run's, and no part of the conversation the retry goes on with
  const turns = loadTurns(sql, key, fromRun).filter((t) => t.failed === undefined);
  for (const t of turns) saveTurn(sql, key, toRun, { ...t, carried_from: t.carried_from ?? fromRun, usage: zeroUsage(), cost_nanos: 0 });
  return turns.length;
}

/** Ids are given, not returned: the object is the log's only writer and knows its last id. */
export function appendEvent(sql: SqlStorage, id: number, type: string, json: string, at: number): void {
  sql.exec("INSERT INTO events (id, type, data, at) VALUES (?, ?, ?, ?)", id, type, json, at);
}

export function eventsAfter(sql: SqlStorage, id: number, limit = 1000) {
  return sql.exec<{ id: number; type: string; data: string }>("SELECT id, type, data FROM events WHERE id > ? ORDER BY id LIMIT ?", id, limit).toArray();
}

/** A run's key in a task's runs: its step's key and its number. */
export const runKey = (key: string, runNo: number) => `${key}#${runNo}`;
