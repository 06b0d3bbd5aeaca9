import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The TaskRunner's own SQLite: the source of truth for one task. */

export const taskRow = sqliteTable("task", {
  id: text("id").primaryKey(),
  org_id: text("org_id").notNull(),
  meta: text("meta").notNull(),
  status: text("status").notNull(),
  output: text("output"),
  index_version: integer("index_version").notNull().default(0),
  created_at: integer("created_at").notNull(),
  started_at: integer("started_at"),
  finished_at: integer("finished_at"),
});

export const nodeRows = sqliteTable("nodes", {
  key: text("key").primaryKey(),
  step_id: text("step_id").notNull(),
  kind: text("kind").notNull(),
  parent: text("parent"),
  deps: text("deps").notNull(),
  iteration: integer("iteration"),
  item: text("item"),
  status: text("status").notNull(),
  output: text("output"),
  error: text("error"),
  started_at: integer("started_at"),
  finished_at: integer("finished_at"),
  runs: integer("runs").notNull().default(0),
  retry_at: integer("retry_at"),
  waiting: text("waiting"),
  seq: integer("seq").notNull(),
});

export const runRows = sqliteTable(
  "runs",
  {
    node_key: text("node_key").notNull(),
    run_no: integer("run_no").notNull(),
    status: text("status").notNull(),
    started_at: integer("started_at").notNull(),
    finished_at: integer("finished_at"),
    error: text("error"),
    feedback: text("feedback"),
    price: text("price").notNull(),
    input: integer("input").notNull().default(0),
    cache: integer("cache").notNull().default(0),
    cache_write: integer("cache_write").notNull().default(0),
    output: integer("output").notNull().default(0),
    web_search: integer("web_search").notNull().default(0),
    searches: integer("searches").notNull().default(0),
    cost_nanos: integer("cost_nanos").notNull().default(0),
    /** Time the run has spent working, as last stored: its timeout bounds this, not the time since it started. */
    worked_ms: integer("worked_ms").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.node_key, t.run_no] })],
);

export const turnRows = sqliteTable(
  "turns",
  {
    node_key: text("node_key").notNull(),
    run_no: integer("run_no").notNull(),
    turn_no: integer("turn_no").notNull(),
    data: text("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.node_key, t.run_no, t.turn_no] })],
);

/** A turn's tool results, one row each: a turn of several large results would pass SQLite's row limit as one row. */
export const toolResultRows = sqliteTable(
  "tool_results",
  {
    node_key: text("node_key").notNull(),
    run_no: integer("run_no").notNull(),
    turn_no: integer("turn_no").notNull(),
    call_id: text("call_id").notNull(),
    result: text("result").notNull(),
  },
  (t) => [primaryKey({ columns: [t.node_key, t.run_no, t.turn_no, t.call_id] })],
);

export const callRows = sqliteTable("calls", {
  call_id: text("call_id").primaryKey(),
  node_key: text("node_key").notNull(),
  run_no: integer("run_no").notNull(),
  kind: text("kind").notNull(),
  tool_call_id: text("tool_call_id"),
  question: text("question"),
  created_at: integer("created_at").notNull(),
  answered_at: integer("answered_at"),
  answer: text("answer"),
});

export const eventRows = sqliteTable("events", {
  id: integer("id").primaryKey(),
  type: text("type").notNull(),
  data: text("data").notNull(),
  at: integer("at").notNull(),
});
