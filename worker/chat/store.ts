import { addUsage } from "../agents/cost";
import { type Usage, zeroUsage } from "../agents/types";
import { spendRows, type SpendRow } from "../spend/ledger";
import type { Plan } from "../task/plan-schema";
import type { PlanIssue } from "../task/validate";
import type { CreatedBy } from "../task/meta";
import type { ChatMessage, ChatTokens, DraftChanges, DraftView, MessageRole, PlannerInfo, ReplySpend } from "./types";

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

const SCHEMA_VERSION = 2;
const DDL = [
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  `CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, role TEXT NOT NULL, content TEXT NOT NULL,
     draft_version INTEGER, failed INTEGER NOT NULL DEFAULT 0, issues TEXT, created_at INTEGER NOT NULL)`,
  "CREATE TABLE IF NOT EXISTS drafts (version INTEGER PRIMARY KEY, plan TEXT NOT NULL, changes TEXT NOT NULL, created_at INTEGER NOT NULL)",
];
/** Each version's DDL on top of the one before: a reply's planner, model, token use (JSON) and cost. */
const UPGRADES: Record<number, string[]> = {
  2: ["ALTER TABLE messages ADD COLUMN agent TEXT", "ALTER TABLE messages ADD COLUMN model TEXT", "ALTER TABLE messages ADD COLUMN usage TEXT", "ALTER TABLE messages ADD COLUMN cost_nanos INTEGER NOT NULL DEFAULT 0"],
};

const iso = (ms: number) => new Date(ms).toISOString();

interface MessageRow extends Record<string, SqlStorageValue> {
  seq: number;
  role: string;
  content: string;
  draft_version: number | null;
  failed: number;
  issues: string | null;
  agent: string | null;
  model: string | null;
  usage: string | null;
  cost_nanos: number;
  created_at: number;
}

interface DraftRow extends Record<string, SqlStorageValue> {
  version: number;
  plan: string;
  changes: string;
  created_at: number;
}

const tokensOf = ({ searches: _, ...tokens }: Usage): ChatTokens => tokens;
const usageOf = (r: MessageRow): Usage => (r.usage ? (JSON.parse(r.usage) as Usage) : zeroUsage());

const toMessage = (r: MessageRow): ChatMessage => {
  const u = usageOf(r);
  return {
    seq: r.seq, role: r.role as MessageRole, content: r.content, draft_version: r.draft_version, failed: r.failed === 1,
    ...(r.issues ? { issues: JSON.parse(r.issues) as PlanIssue[] } : {}),
    ...(r.role === "assistant" ? { tokens: tokensOf(u), searches: u.searches, cost: r.cost_nanos / 1e9 } : {}),
    created_at: iso(r.created_at),
  };
};

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
    const columns = new Set(this.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('messages')").toArray().map((c) => c.name));
    for (let v = 2; v <= SCHEMA_VERSION; v++) {
      for (const stmt of UPGRADES[v]) if (!columns.has(/ADD COLUMN (\w+)/.exec(stmt)![1])) this.sql.exec(stmt);
    }
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

  addMessage(
    m: { role: MessageRole; content: string; draft_version?: number | null; failed?: boolean; issues?: PlanIssue[]; spend?: ReplySpend | null },
    now = Date.now(),
  ): ChatMessage {
    const row = this.sql
      .exec<MessageRow>(
        `INSERT INTO messages (role, content, draft_version, failed, issues, agent, model, usage, cost_nanos, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING *`,
        m.role, m.content, m.draft_version ?? null, m.failed ? 1 : 0, m.issues?.length ? JSON.stringify(m.issues.slice(0, 50)) : null,
        m.spend?.agent ?? null, m.spend?.model ?? null, m.spend ? JSON.stringify(m.spend.usage) : null, m.spend?.cost_nanos ?? 0, now,
      )
      .one();
    return toMessage(row);
  }

  /** What every reply's model calls spent, summed. */
  spent(): { tokens: ChatTokens; searches: number; cost: number } {
    const rows = this.sql.exec<MessageRow>("SELECT * FROM messages WHERE usage IS NOT NULL").toArray();
    const u = rows.reduce((sum, r) => addUsage(sum, usageOf(r)), zeroUsage());
    return { tokens: tokensOf(u), searches: u.searches, cost: rows.reduce((n, r) => n + r.cost_nanos, 0) / 1e9 };
  }

  /** The conversation's rows of the organization's spend ledger: by the UTC day of each reply, planner agent and model. */
  spendRows(): SpendRow[] {
    const rows = this.sql.exec<MessageRow>("SELECT * FROM messages WHERE usage IS NOT NULL").toArray();
    return spendRows(
      rows.map((r) => ({ usage: usageOf(r), cost_nanos: r.cost_nanos, started_at: r.created_at, agent: r.agent ?? "", model: r.model ?? "" })),
      (r) => ({ agent: r.agent, model: r.model }),
    );
  }

  /** Whether replies have spent more than the organization's spend ledger was last told. */
  ledgerPending(): boolean {
    return this.ready && this.sql.exec("SELECT 1 FROM meta WHERE key = 'ledger_pending'").toArray().length > 0;
  }

  setLedgerPending(pending: boolean): void {
    this.sql.exec(pending ? "INSERT OR REPLACE INTO meta (key, value) VALUES ('ledger_pending', '1')" : "DELETE FROM meta WHERE key = 'ledger_pending'");
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
