import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** D1: the searchable index and the organization's settings. Never the source of truth for a task's internals. */

export const ROLES = ["viewer", "member", "admin"] as const;
export type Role = (typeof ROLES)[number];
export const TASK_STATUSES = ["pending", "in_progress", "needs_input", "failed", "completed", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_SOURCES = ["dashboard", "api", "agent", "cron", "webhook"] as const;
export type TaskSource = (typeof TASK_SOURCES)[number];

export const orgs = sqliteTable("orgs", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  created_at: integer("created_at").notNull(),
});

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    org_id: text("org_id").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    token_hash: text("token_hash").notNull(),
    instance_admin: integer("instance_admin", { mode: "boolean" }).notNull().default(false),
    created_at: integer("created_at").notNull(),
    revoked_at: integer("revoked_at"),
    /** null: never */
    expires_at: integer("expires_at"),
  },
  (t) => [uniqueIndex("api_tokens_hash").on(t.token_hash), index("api_tokens_org").on(t.org_id, t.created_at)],
);

export const authSessions = sqliteTable(
  "auth_sessions",
  {
    id_hash: text("id_hash").primaryKey(),
    token_id: text("token_id").notNull(),
    org_id: text("org_id").notNull(),
    created_at: integer("created_at").notNull(),
    expires_at: integer("expires_at").notNull(),
    /** 1: issued under the cookie's old name (`fd_session`), under which it may come back (migration 0043) */
    legacy_cookie: integer("legacy_cookie").notNull().default(0),
  },
  (t) => [index("auth_sessions_token").on(t.token_id), index("auth_sessions_org_expiry").on(t.org_id, t.expires_at)],
);

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    org_id: text("org_id").notNull(),
    name: text("name").notNull(),
    model: text("model").notNull(),
    system_prompt: text("system_prompt").notNull(),
    tools: text("tools", { mode: "json" }).$type<string[]>().notNull(),
    max_turns: integer("max_turns").notNull(),
    max_cost_nanos: integer("max_cost_nanos"),
    /** tasks using this agent that may run at once; null: only the organization's cap applies */
    max_concurrency: integer("max_concurrency"),
    /** tool calls one model turn may have run, under the instance's MAX_TOOL_CALLS_PER_TURN; null: that bound alone */
    max_tool_calls_per_turn: integer("max_tool_calls_per_turn"),
    created_at: integer("created_at").notNull(),
    updated_at: integer("updated_at").notNull(),
    /** raised by every save; the agent's ETag (migration 0037) */
    version: integer("version").notNull().default(1),
  },
  (t) => [uniqueIndex("agents_org_name").on(t.org_id, t.name)],
);

export const plans = sqliteTable(
  "plans",
  {
    id: text("id").primaryKey(),
    org_id: text("org_id").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull(),
    version: integer("version").notNull(),
    created_at: integer("created_at").notNull(),
    updated_at: integer("updated_at").notNull(),
  },
  (t) => [index("plans_org").on(t.org_id, t.created_at)],
);

export const planVersions = sqliteTable(
  "plan_versions",
  {
    plan_id: text("plan_id").notNull(),
    version: integer("version").notNull(),
    definition: text("definition").notNull(),
    created_at: integer("created_at").notNull(),
    // who saved it, as the audit log names actors; NULL for a version saved before this was kept
    saved_by_type: text("saved_by_type"),
    saved_by_id: text("saved_by_id"),
    saved_by_name: text("saved_by_name"),
  },
  (t) => [primaryKey({ columns: [t.plan_id, t.version] })],
);

export const tasks = sqliteTable(
  "tasks",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    org_id: text("org_id").notNull(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    status: text("status", { enum: TASK_STATUSES }).notNull(),
    source: text("source", { enum: TASK_SOURCES }).notNull(),
    agent: text("agent"),
    agents: text("agents").notNull().default("[]"),
    created_by: text("created_by").notNull(),
    parent_id: text("parent_id"),
    rerun_of: text("rerun_of"),
    trigger_id: text("trigger_id"),
    session_id: text("session_id").notNull(),
    plan_id: text("plan_id"),
    plan_version: integer("plan_version"),
    progress_done: integer("progress_done").notNull().default(0),
    progress_total: integer("progress_total").notNull().default(0),
    tokens_input: integer("tokens_input").notNull().default(0),
    tokens_cache: integer("tokens_cache").notNull().default(0),
    tokens_cache_write: integer("tokens_cache_write").notNull().default(0),
    tokens_output: integer("tokens_output").notNull().default(0),
    tokens_web_search: integer("tokens_web_search").notNull().default(0),
    searches: integer("searches").notNull().default(0),
    cost_nanos: integer("cost_nanos").notNull().default(0),
    pending: text("pending").notNull().default("[]"),
    /** steps waiting on a sub-task that needs a person, and the task asking (migration 0034) */
    input_needed_in: text("input_needed_in").notNull().default("[]"),
    output: text("output"),
    index_version: integer("index_version").notNull().default(0),
    created_at: integer("created_at").notNull(),
    started_at: integer("started_at"),
    finished_at: integer("finished_at"),
    /** a sub-task's: the parent's spawn_task call that made it (migration 0012) */
    spawn_call: text("spawn_call"),
    /** what the search index reads for a title or description in an unspaced script, else null (migration 0017) */
    search_title: text("search_title"),
    search_description: text("search_description"),
  },
  (t) => [
    uniqueIndex("tasks_id").on(t.id),
    uniqueIndex("tasks_session").on(t.session_id),
    index("tasks_org_seq").on(t.org_id, t.seq),
    index("tasks_org_status_seq").on(t.org_id, t.status, t.seq),
    index("tasks_org_source_seq").on(t.org_id, t.source, t.seq),
    index("tasks_parent").on(t.parent_id).where(sql`${t.parent_id} IS NOT NULL`),
    index("tasks_trigger_seq").on(t.trigger_id, t.seq).where(sql`${t.trigger_id} IS NOT NULL`),
    uniqueIndex("tasks_spawn_call").on(t.parent_id, t.spawn_call).where(sql`${t.spawn_call} IS NOT NULL`),
  ],
);

export const pricing = sqliteTable(
  "pricing",
  {
    org_id: text("org_id").notNull(),
    model: text("model").notNull(),
    input: integer("input").notNull(),
    cache: integer("cache").notNull(),
    cache_write: integer("cache_write").notNull(),
    output: integer("output").notNull(),
    web_search: integer("web_search").notNull(),
    per_search: integer("per_search").notNull(),
    updated_at: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.org_id, t.model] })],
);

export const TRIGGER_KINDS = ["cron", "webhook"] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** Cron and webhook triggers start tasks from a saved plan. A webhook's secret is kept as is: verifying an HMAC needs the key. */
export const triggers = sqliteTable(
  "triggers",
  {
    id: text("id").primaryKey(),
    org_id: text("org_id").notNull(),
    kind: text("kind", { enum: TRIGGER_KINDS }).notNull(),
    plan_id: text("plan_id").notNull(),
    title: text("title"),
    cron: text("cron"),
    timezone: text("timezone"),
    inputs: text("inputs").notNull().default("{}"),
    /** JSON {param: dot path}: a webhook's inputs from fields of its body; null, the body is the inputs */
    input_map: text("input_map"),
    secret: text("secret"),
    /** the secret before the latest rotation, accepted until `previous_secret_expires_at` (ms); null: never rotated */
    previous_secret: text("previous_secret"),
    previous_secret_expires_at: integer("previous_secret_expires_at"),
    paused: integer("paused").notNull().default(0),
    created_by: text("created_by").notNull(),
    created_at: integer("created_at").notNull(),
    updated_at: integer("updated_at").notNull(),
    /** where a cron schedule counts from: the create, the latest change of cron or timezone, or resume */
    schedule_from: integer("schedule_from").notNull().default(0),
    last_fired_at: integer("last_fired_at"),
    next_fire_at: integer("next_fire_at"),
    last_error: text("last_error"),
    /** a webhook's cap on deliveries a minute; null: the instance's WEBHOOK_RATE_LIMIT_PER_MIN */
    rate_limit_per_min: integer("rate_limit_per_min"),
  },
  (t) => [index("triggers_org").on(t.org_id, t.created_at)],
);

/** `webhook-id`s already accepted, so a redelivery starts nothing. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    trigger_id: text("trigger_id").notNull(),
    webhook_id: text("webhook_id").notNull(),
    task_id: text("task_id"),
    received_at: integer("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.trigger_id, t.webhook_id] }), index("webhook_deliveries_received").on(t.received_at)],
);

/** A cron trigger's claimed fires whose task is not yet stored (worker/triggers/claimed-fires.ts); `fired_at` is the claim's `last_fired_at`. */
export const cronFires = sqliteTable(
  "cron_fires",
  {
    trigger_id: text("trigger_id").notNull(),
    fired_at: integer("fired_at").notNull(),
    task_id: text("task_id"),
    /** starts that failed other than by a refusal: retried each wake, up to MAX_FAILURES */
    failures: integer("failures").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.trigger_id, t.fired_at] })],
);

/** Tasks written before migration 0017 whose search copy is yet to be made (worker/db/search-reindex.ts). */
export const tasksReindex = sqliteTable("tasks_reindex", { seq: integer("seq").primaryKey() });

/** A reserved key has `status` null until its first request finishes; `owner` tells the reserving request apart. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    org_id: text("org_id").notNull(),
    token_id: text("token_id").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    owner: text("owner").notNull(),
    status: integer("status"),
    response: text("response"),
    /** the answer's media type (an SSE reply is kept whole and replayed as one); null is JSON */
    content_type: text("content_type"),
    /** the answer's `Location` (a 201's new resource) */
    location: text("location"),
    /** the answer's `ETag` (a plan's version), replayed with it (migration 0033) */
    etag: text("etag"),
    /** the highest role its request was checked for, asked again of the token on a replay (migration 0041) */
    role: text("role", { enum: ROLES }),
    created_at: integer("created_at").notNull(),
    /** the task the create made, written in its D1 batch (migration 0009) */
    task_id: text("task_id"),
  },
  (t) => [primaryKey({ columns: [t.org_id, t.token_id, t.key] }), index("idempotency_keys_created").on(t.created_at)],
);

export const ACTOR_TYPES = ["token", "trigger", "agent"] as const;
/** Who an audit entry names: also `system`, for what the product did on its own (a subscription a 410 disabled). */
export const AUDIT_ACTOR_TYPES = [...ACTOR_TYPES, "system"] as const;

export const auditLog = sqliteTable(
  "audit_log",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    org_id: text("org_id").notNull(),
    at: integer("at").notNull(),
    actor_type: text("actor_type", { enum: AUDIT_ACTOR_TYPES }).notNull(),
    actor_id: text("actor_id").notNull(),
    actor_name: text("actor_name").notNull(),
    action: text("action").notNull(),
    target_type: text("target_type").notNull(),
    target_id: text("target_id").notNull(),
    details: text("details"),
    /** the entry's number within its organization: its id and cursor (seq counts every organization's) */
    org_seq: integer("org_seq"),
  },
  (t) => [
    index("audit_log_org_org_seq").on(t.org_id, t.org_seq),
    index("audit_log_org_target").on(t.org_id, t.target_id, t.org_seq),
    index("audit_log_org_actor").on(t.org_id, t.actor_id, t.org_seq),
  ],
);

export const SPEND_SOURCES = ["task", "chat"] as const;
export type SpendSource = (typeof SPEND_SOURCES)[number];

/**
 * Spend per task (or planning conversation), UTC day, agent and model, written with the task's index row. It outlives a purged
 * task, so the monthly cap and the spend report do not shrink when tasks are deleted.
 */
export const spend = sqliteTable(
  "spend",
  {
    org_id: text("org_id").notNull(),
    task_id: text("task_id").notNull(),
    day: text("day").notNull(),
    agent: text("agent").notNull(),
    model: text("model").notNull(),
    cost_nanos: integer("cost_nanos").notNull(),
    tokens_input: integer("tokens_input").notNull(),
    tokens_cache: integer("tokens_cache").notNull(),
    tokens_cache_write: integer("tokens_cache_write").notNull().default(0),
    tokens_output: integer("tokens_output").notNull(),
    tokens_web_search: integer("tokens_web_search").notNull(),
    searches: integer("searches").notNull(),
    /** `task`: a task's runs; `chat`: a planning conversation's model calls (`task_id` is then the conversation) */
    source: text("source", { enum: SPEND_SOURCES }).notNull().default("task"),
    /** the saved plan the task was made from (migrations/0032) */
    plan_id: text("plan_id"),
  },
  (t) => [primaryKey({ columns: [t.task_id, t.day, t.agent, t.model] }), index("spend_org_day").on(t.org_id, t.day, t.cost_nanos)],
);

/** An organization's spend per month (its first day, YYYY-MM-01), kept from `spend` by triggers (migrations/0007). */
export const spendMonths = sqliteTable(
  "spend_months",
  {
    org_id: text("org_id").notNull(),
    month: text("month").notNull(),
    cost_nanos: integer("cost_nanos").notNull(),
  },
  (t) => [primaryKey({ columns: [t.org_id, t.month] })],
);

/** Named MCP servers (`mcp:<name>`): `headers` is sealed (lib/secret-box.ts) and never leaves the Worker but to the server's origin. */
export const mcpServers = sqliteTable(
  "mcp_servers",
  {
    org_id: text("org_id").notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    headers: text("headers"),
    header_names: text("header_names").notNull().default("[]"),
    created_at: integer("created_at").notNull(),
    updated_at: integer("updated_at").notNull(),
    updated_by: text("updated_by").notNull(),
    /** raised by every save: the ETag a PUT or DELETE names in If-Match (migration 0038) */
    version: integer("version").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.org_id, t.name] })],
);
