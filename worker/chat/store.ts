import type { Plan } from "../task/plan-schema";
import type { PlanIssue } from "../task/validate";
import type { CreatedBy } from "../task/meta";
import type { ChatMessage, DraftChanges, DraftView, MessageRole, PlannerInfo } from "./types";

/** The conversation object's SQLite: one meta row, the messages, and every draft. */

export interface ConversationMeta {
  id: string;
  org_id: string;
  planner: PlannerInfo;
  planner_prompt: string;
  plan_id: string | null;
  plan_version: number | null;
  created_by: CreatedBy;
  created_at: number;
}

const SCHEMA_VERSION = 1;
const DDL = [
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  `CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, role TEXT NOT NULL, content TEXT NOT NULL,
     draft_version INTEGER, failed INTEGER NOT NULL DEFAULT 0, issues TEXT, created_at INTEGER NOT NULL)`,
  "CREATE TABLE IF NOT EXISTS drafts (version INTEGER PRIMARY KEY, plan TEXT NOT NULL, changes TEXT NOT NULL, created_at INTEGER NOT NULL)",
];

const iso = (ms: number) => new Date(ms).toISOString();

interface MessageRow extends Record<string, SqlStorageValue> {
  seq: number;
  role: string;
  content: string;
  draft_version: number | null;
  failed: number;
  issues: string | null;
  created_at: number;
}

interface DraftRow extends Record<string, SqlStorageValue> {
  version: number;
  plan: string;
  changes: string;
  created_at: number;
}

const toMessage = (r: MessageRow): ChatMessage => ({
  seq: r.seq, role: r.role as MessageRole, content: r.content, draft_version: r.draft_version, failed: r.failed === 1,
  ...(r.issues ? { issues: JSON.parse(r.issues) as PlanIssue[] } : {}), created_at: iso(r.created_at),
});

const toDraft = (r: DraftRow): DraftView => ({
  version: r.version, plan: JSON.parse(r.plan) as Plan, changes: JSON.parse(r.changes) as DraftChanges, created_at: iso(r.created_at),
});

export class ConversationStore {
  /** Whether the tables are there: an object is given them when its conversation is created, not when an id is looked up. */
  private ready = false;

  constructor(private readonly sql: SqlStorage) {}

  /** Brings a created conversation's tables up to date; an object never created (or deleted) is left with none. */
  open(): void {
    this.ready = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'meta'").one().n > 0;
    if (this.ready) this.migrate();
  }

  /** DDL only when the stored version is older; a warm object reads one row. */
  migrate(): void {
    const current = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'meta'").one().n
      ? Number(this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema'").toArray()[0]?.value ?? 0)
      : 0;
    this.ready = true;
    if (current >= SCHEMA_VERSION) return;
    for (const stmt of DDL) this.sql.exec(stmt);
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", String(SCHEMA_VERSION));
  }

  meta(): ConversationMeta | null {
    if (!this.ready) return null;
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'conversation'").toArray()[0];
    return row ? (JSON.parse(row.value) as ConversationMeta) : null;
  }

  saveMeta(meta: ConversationMeta): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('conversation', ?)", JSON.stringify(meta));
  }

  addMessage(m: { role: MessageRole; content: string; draft_version?: number | null; failed?: boolean; issues?: PlanIssue[] }, now = Date.now()): ChatMessage {
    const row = this.sql
      .exec<MessageRow>(
        `INSERT INTO messages (role, content, draft_version, failed, issues, created_at) VALUES (?, ?, ?, ?, ?, ?)
         RETURNING seq, role, content, draft_version, failed, issues, created_at`,
        m.role, m.content, m.draft_version ?? null, m.failed ? 1 : 0, m.issues?.length ? JSON.stringify(m.issues.slice(0, 50)) : null, now,
      )
      .one();
    return toMessage(row);
  }

  /** When the conversation last had a message, else null. */
  lastActivity(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT max(created_at) AS at FROM messages").one().at;
  }

  messages(): ChatMessage[] {
    return this.sql.exec<MessageRow>("SELECT * FROM messages ORDER BY seq").toArray().map(toMessage);
  }

  addDraft(plan: Plan, changes: DraftChanges, now = Date.now()): DraftView {
    const version = (this.sql.exec<{ v: number | null }>("SELECT max(version) AS v FROM drafts").one().v ?? 0) + 1;
    this.sql.exec("INSERT INTO drafts (version, plan, changes, created_at) VALUES (?, ?, ?, ?)", version, JSON.stringify(plan), JSON.stringify({ ...changes }), now);
    return { version, plan, changes, created_at: iso(now) };
  }

  latestDraft(): DraftView | null {
    const row = this.sql.exec<DraftRow>("SELECT * FROM drafts ORDER BY version DESC LIMIT 1").toArray()[0];
    return row ? toDraft(row) : null;
  }

  draft(version: number): DraftView | null {
    const row = this.sql.exec<DraftRow>("SELECT * FROM drafts WHERE version = ?", version).toArray()[0];
    return row ? toDraft(row) : null;
  }
}
