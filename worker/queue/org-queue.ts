import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import { log } from "../lib/log";
import { sweepExpiredSessions } from "../lib/session-sweep";
import { DEFAULT_MAX_CONCURRENT_TASKS, readOrgSettings } from "../lib/org-settings";
import { admissible, agentCounts, type Caps, type Entry, fullAgents, type Holding, holdingCap } from "./admit";
import { placeholders } from "../db/sql";
import { taskStub } from "../task/stub";
import { TrustedReading } from "../lib/trusted-reading";

const SCHEMA_VERSION = 2;
const CAPS_TTL_MS = 30_000;
/** An admitted task that has not confirmed its start is told again this soon. */
const ACK_RETRY_MS = 5_000;
/** While tasks run, their slots are checked against the index this often, in case a release was lost; a task that has held its slot this long is told again. */
const SWEEP_MS = 60_000;
const BATCH = 64;
/** A released slot's row is deleted with the queue's next write, or after this long. */
const RELEASE_FLUSH_MS = 1_000;
/** Finished tasks remembered, so an offer that their release overtook takes no slot. */
const FINISHED_KEPT = 1_000;

export interface QueuedTask {
  org_id: string;
  task_id: string;
  created_at: number;
  /** the ids of the agents it uses: the cap goes with the agent, whatever it is named later */
  agents: string[];
  /** sub-tasks take a slot but never wait: their parent may be waiting on them, holding its own slot */
  bypass: boolean;
}

/** Why a task waits: the cap that holds it back, and its place (1 = next) in that cap's line. */
export type WaitReason = Holding & { position: number };

export type AdmitReply = "started" | "finished" | "unknown";

interface AgentCap {
  name: string;
  cap: number;
}

type AgentCapRow = { id: string; name: string; max_concurrency: number | null };

/** The caps, with the names of the capped agents by id: a waiting task's answer names its agent as it is called now. */
type NamedCaps = Caps & { names: Record<string, string> };

/** Entries stored before caps went by id name their agents; an agent's name never starts with agt_ (api/agents.ts). */
const isAgentId = (a: string) => a.startsWith("agt_");

/**
 * One per organization: the concurrency caps. Its SQLite keeps the tasks that
 * wait for a slot (in arrival order) and the slots of the tasks that run. A
 * slot is taken from admission until the task is completed, failed or
 * cancelled; a task waiting for a person keeps it. Admission is written here
 * before the task is told, and told again until it confirms, so a restart
 * loses nothing; the task ignores a second start.
 */
export class OrgQueue extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;
  private readonly caps = new TrustedReading<NamedCaps>(CAPS_TTL_MS);
  /**
   * The capped agents as last read, by id; stored, so that the tasks of an agent deleted since, running or
   * waiting, keep the cap they were queued under until they finish (they run on their snapshot of it).
   */
  private agentCaps: Record<string, AgentCap> = {};
  /** Reads of the caps started and applied: one that a later read overtook does not overwrite it. */
  private capsReads = 0;
  private capsApplied = 0;
  /** The stored entries still name agents by name: the first read of the caps rewrites them to ids. */
  private namedByName = false;
  private running = new Map<string, Entry>();
  /** What the tables hold, kept in memory too: every task's arrival and release asks, and most find no one waiting. */
  private unacked = new Set<string>();
  private waitingCount = 0;
  /**
   * Slots given back whose rows are still in the table. A release needs no commit of its own: a row
   * that outlives its release only holds a slot back, never lets one task too many in — were the
   * queue to restart first, the task would count as running until the sweep finds it finished.
   */
  private released = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Slots taken on arrival (counted in `running` at once, so the caps stay exact) whose rows wait for
   * the next commit: arrivals while one commit is in flight share the next, and each is answered once
   * its row is stored. Were the queue to restart first, nothing was answered: the task is still held
   * and offers itself again.
   */
  private unstored = new Map<string, string[]>();
  private slotsStored: Promise<void> | null = null;
  private committing: Promise<void> = Promise.resolve();
  private alarmAt: number | null = null;
  /**
   * Tasks that released: only a finished task does, so it never needs a slot again. A task cancelled while
   * its offer is on the way releases before the queue has the offer; without this, the offer would then take
   * a slot that only the sweep gives back. Kept in memory: after a restart the sweep is that fallback.
   */
  private finished = new Set<string>();
  /** Stored with the first task, which is the first call to need it. */
  private orgId: string | undefined;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.migrate();
      this.orgId = ctx.storage.kv.get<string>("org_id");
      this.agentCaps = ctx.storage.kv.get<Record<string, AgentCap>>("agent_caps") ?? {};
      for (const r of this.sql.exec<{ task_id: string; agents: string; acked: number }>("SELECT task_id, agents, acked FROM slots")) {
        this.running.set(r.task_id, { task_id: r.task_id, agents: JSON.parse(r.agents) as string[] });
        if (!r.acked) this.unacked.add(r.task_id);
      }
      this.waitingCount = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM waiting").one().n;
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private migrate(): void {
    const version = this.ctx.storage.kv.get<number>("schema");
    if (version === SCHEMA_VERSION) return;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS waiting (task_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, agents TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS waiting_order ON waiting (created_at, task_id);
      CREATE TABLE IF NOT EXISTS waiting_agents (agent TEXT NOT NULL, task_id TEXT NOT NULL, PRIMARY KEY (agent, task_id));
      CREATE TABLE IF NOT EXISTS slots (task_id TEXT PRIMARY KEY, agents TEXT NOT NULL, admitted_at INTEGER NOT NULL, acked INTEGER NOT NULL DEFAULT 0);
    `);
    // version 1 named agents by name: its entries need the agents' ids, which D1 holds (upgradeNames)
    if (version === 1) this.namedByName = true;
    else this.ctx.storage.kv.put("schema", SCHEMA_VERSION);
  }

  // ---- RPC surface ----

  /** Idempotent. True when the task may start now; otherwise it waits and is admitted later. */
  async enqueue(arrival: QueuedTask): Promise<boolean> {
    if (this.orgId !== arrival.org_id) {
      this.ctx.storage.kv.put("org_id", arrival.org_id);
      this.orgId = arrival.org_id;
    }
    // Nothing awaits between this check and the write below, so two arrivals cannot both take the last slot.
    const caps = await this.loadCaps(arrival.org_id);
    // an offer made by a task of the previous version names its agents
    const t = arrival.agents.every(isAgentId) ? arrival : { ...arrival, agents: arrival.agents.map((a) => (isAgentId(a) ? a : idNamed(caps, a))) };
    if (this.finished.has(t.task_id)) return false;
    if (this.running.has(t.task_id)) {
      this.acknowledge(t.task_id);
      if (this.unstored.has(t.task_id)) await this.storeSlots();
      return true;
    }
    const known = this.waitingCount > 0 && this.sql.exec("SELECT 1 FROM waiting WHERE task_id = ?", t.task_id).toArray().length > 0;
    if (!known) {
      const fits = t.bypass || (this.waitingCount === 0 && admissible(caps, [...this.running.values()], [t]).length === 1);
      if (fits) {
        this.running.set(t.task_id, { task_id: t.task_id, agents: t.agents });
        this.released.delete(t.task_id);
        this.unstored.set(t.task_id, t.agents);
        this.armAlarm();
        await this.storeSlots();
        return this.running.has(t.task_id);
      }
      this.ctx.storage.transactionSync(() => {
        this.flushReleased();
        this.sql.exec("INSERT INTO waiting (task_id, created_at, agents) VALUES (?, ?, ?)", t.task_id, t.created_at, JSON.stringify(t.agents));
        for (const a of t.agents) this.sql.exec("INSERT OR IGNORE INTO waiting_agents (agent, task_id) VALUES (?, ?)", a, t.task_id);
      });
      this.waitingCount++;
    }
    await this.admitReady();
    return this.running.has(t.task_id);
  }

  /** The task finished (or was cancelled while it waited): its slot or its place in line goes. */
  async release(taskId: string): Promise<void> {
    this.finished.add(taskId);
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.values().next().value!);
    this.drop(taskId);
    await this.admitReady();
  }

  /** Caps changed: read them again and start what now fits. */
  async refresh(): Promise<void> {
    this.caps.forget();
    await this.admitReady();
  }

  async snapshot(): Promise<{ running: string[]; waiting: string[] }> {
    const waiting = this.sql.exec<{ task_id: string }>("SELECT task_id FROM waiting ORDER BY created_at, task_id LIMIT 1000").toArray().map((r) => r.task_id);
    return { running: [...this.running.keys()], waiting };
  }

  /** Null when the task is not in line (it runs, finished, or its offer has not arrived yet). Read only: asked by a pending task's detail. */
  async whyWaiting(taskId: string): Promise<WaitReason | null> {
    if (this.waitingCount === 0 || !this.orgId) return null;
    // caps first: nothing awaits between the reads of the line below, so they agree
    const caps = await this.loadCaps(this.orgId);
    const row = this.sql.exec<{ created_at: number; agents: string }>("SELECT created_at, agents FROM waiting WHERE task_id = ?", taskId).toArray()[0];
    if (!row) return null;
    const counts = agentCounts(this.running.values());
    const holding = holdingCap(caps, counts, JSON.parse(row.agents) as string[]);
    const before = "(w.created_at < ? OR (w.created_at = ? AND w.task_id < ?))";
    // ahead in the organization's line: only those a freed slot would start first, not those their own full agent holds back
    const full = fullAgents(caps, counts);
    const ahead = "agent" in holding
      ? this.sql.exec<{ n: number }>(
          `SELECT count(*) AS n FROM waiting w JOIN waiting_agents a ON a.task_id = w.task_id WHERE a.agent = ? AND ${before}`,
          holding.agent, row.created_at, row.created_at, taskId,
        ).one().n
      : this.sql.exec<{ n: number }>(
          `SELECT count(*) AS n FROM waiting w WHERE ${before}
           AND NOT EXISTS (SELECT 1 FROM waiting_agents a WHERE a.task_id = w.task_id AND a.agent IN (${placeholders(full)}))`,
          row.created_at, row.created_at, taskId, ...full,
        ).one().n;
    const position = ahead + 1;
    return "agent" in holding ? { ...holding, agent: caps.names[holding.agent] ?? holding.agent, position } : { ...holding, position };
  }

  async counts(): Promise<{ running: number; waiting: number }> {
    return { running: this.running.size, waiting: this.waitingCount };
  }

  async alarm(): Promise<void> {
    this.alarmAt = null;
    await this.tell([...this.unacked]);
    await this.sweep();
    if (this.orgId) await sweepExpiredSessions(this.env.DB, this.orgId).run().catch((e) => log("warn", "expired sessions not swept", { org_id: this.orgId, error: String(e) }));
    await this.admitReady();
    this.armAlarm();
  }

  // ---- admission ----

  private async admitReady(): Promise<void> {
    const orgId = this.orgId;
    if (!orgId || this.waitingCount === 0) return;
    const caps = await this.loadCaps(orgId);
    const admitted: string[] = [];
    for (;;) {
      if (this.running.size >= caps.org) break;
      const full = fullAgents(caps, agentCounts(this.running.values()));
      const batch = this.sql
        .exec<{ task_id: string; agents: string }>(
          `SELECT task_id, agents FROM waiting w
           WHERE NOT EXISTS (SELECT 1 FROM waiting_agents a WHERE a.task_id = w.task_id AND a.agent IN (${placeholders(full)}))
           ORDER BY created_at, task_id LIMIT ?`,
          ...full,
          BATCH,
        )
        .toArray()
        .map((r) => ({ task_id: r.task_id, agents: JSON.parse(r.agents) as string[] }));
      const picks = admissible(caps, [...this.running.values()], batch);
      if (picks.length === 0) break;
      const byId = new Map(batch.map((b) => [b.task_id, b]));
      this.ctx.storage.transactionSync(() => {
        for (const id of picks) {
          this.sql.exec("DELETE FROM waiting WHERE task_id = ?", id);
          this.sql.exec("DELETE FROM waiting_agents WHERE task_id = ?", id);
          this.takeSlot(id, byId.get(id)!.agents, false);
        }
      });
      this.waitingCount -= picks.length;
      admitted.push(...picks);
    }
    if (admitted.length) {
      this.armAlarm();
      await this.tell(admitted);
    }
  }

  private storeSlots(): Promise<void> {
    return (this.slotsStored ??= this.committing.then(() => {
      this.slotsStored = null;
      if (this.unstored.size) {
        this.ctx.storage.transactionSync(() => {
          this.flushReleased();
          for (const [taskId, agents] of this.unstored) this.writeSlot(taskId, agents, true);
        });
        this.unstored.clear();
      }
      return (this.committing = this.ctx.storage.sync());
    }));
  }

  private writeSlot(taskId: string, agents: string[], acked: boolean): void {
    this.sql.exec("INSERT OR REPLACE INTO slots (task_id, agents, admitted_at, acked) VALUES (?, ?, ?, ?)", taskId, JSON.stringify(agents), Date.now(), acked ? 1 : 0);
  }

  private takeSlot(taskId: string, agents: string[], acked: boolean): void {
    this.released.delete(taskId);
    this.flushReleased();
    this.writeSlot(taskId, agents, acked);
    this.running.set(taskId, { task_id: taskId, agents });
    if (acked) this.unacked.delete(taskId);
    else this.unacked.add(taskId);
  }

  private acknowledge(taskId: string): void {
    if (!this.unacked.delete(taskId)) return;
    this.flushReleased();
    this.sql.exec("UPDATE slots SET acked = 1 WHERE task_id = ?", taskId);
  }

  /** A task holds a slot or waits for one, never both: admission moves it in one transaction. */
  private drop(taskId: string): void {
    if (this.unstored.delete(taskId)) {
      this.running.delete(taskId);
      return;
    }
    if (this.running.delete(taskId)) {
      this.unacked.delete(taskId);
      this.released.add(taskId);
      this.flushTimer ??= setTimeout(() => this.flushReleased(), RELEASE_FLUSH_MS);
      return;
    }
    if (this.waitingCount === 0) return;
    this.ctx.storage.transactionSync(() => {
      this.flushReleased();
      // task_id is the key: at most the one row (whatever else rowsWritten may count)
      const removed = this.sql.exec("DELETE FROM waiting WHERE task_id = ?", taskId).rowsWritten > 0;
      this.sql.exec("DELETE FROM waiting_agents WHERE task_id = ?", taskId);
      if (removed) this.waitingCount--;
    });
  }

  /** Deletes the rows of released slots, in the caller's write when there is one. */
  private flushReleased(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.released.size === 0) return;
    const ids = [...this.released];
    this.released.clear();
    for (let i = 0; i < ids.length; i += 90) {
      const chunk = ids.slice(i, i + 90);
      this.sql.exec(`DELETE FROM slots WHERE task_id IN (${placeholders(chunk)})`, ...chunk);
    }
  }

  /**
   * Tells admitted tasks to start; one that has finished (cancelled while it waited) gives its slot back.
   * `indexed`: the version of each one's index row, from the sweep.
   */
  private async tell(ids: string[], indexed?: Map<string, number>): Promise<void> {
    const freed: string[] = [];
    await Promise.all(
      ids.map(async (id) => {
        try {
          const reply = await taskStub(this.env, id).admit(indexed?.get(id));
          if (reply === "started") this.acknowledge(id);
          else freed.push(id);
        } catch (e) {
          log("warn", "task admission not confirmed", { task_id: id, error: String(e) });
        }
      }),
    );
    for (const id of freed) this.drop(id);
    if (freed.length) await this.admitReady();
  }

  /**
   * Slots whose task the index shows gone are dropped. One the index shows finished has not given its slot back,
   * which it does once its notifications are with the Notifier: it is told, hands over what it still owes (after a
   * restart), and gives the slot back. A task that has
   * held its slot for a sweep's interval and is unfinished in the index is told again: should its object have
   * restarted before its run set a heartbeat (task/wake.ts), or before it stored its start, that wakes it (it
   * resumes, or answers "unknown" and its slot goes); should the restart have lost its row's last write (it
   * finished, or went on after a person answered), it writes the row again. A live task just carries on.
   */
  private async sweep(): Promise<void> {
    const admittedAt = new Map(
      this.sql.exec<{ task_id: string; admitted_at: number }>("SELECT task_id, admitted_at FROM slots").toArray().map((r) => [r.task_id, r.admitted_at]),
    );
    const before = Date.now() - SWEEP_MS;
    const ids = [...this.running.keys()];
    const stale = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 90) {
      const chunk = ids.slice(i, i + 90);
      const { results } = await this.env.DB.prepare(`SELECT id, status, index_version FROM tasks WHERE id IN (${placeholders(chunk)})`)
        .bind(...chunk)
        .all<{ id: string; status: string; index_version: number }>();
      const live = new Map(results.map((r) => [r.id, r]));
      for (const id of chunk) {
        const row = live.get(id);
        if (row === undefined) this.drop(id);
        else if (row.status === "completed" || row.status === "failed" || row.status === "cancelled") stale.set(id, row.index_version);
        else if ((admittedAt.get(id) ?? Infinity) <= before && !this.unacked.has(id)) stale.set(id, row.index_version);
      }
    }
    if (stale.size) await this.tell([...stale.keys()], stale);
  }

  private loadCaps(orgId: string): Promise<NamedCaps> {
    return this.caps.get(async () => {
      const read = ++this.capsReads;
      const named = this.namedByName ? this.namesInEntries() : [];
      const [settings, agents] = await Promise.all([
        readOrgSettings(this.env.DB, orgId),
        // the capped agents; those remembered, to tell one deleted from one whose cap was lifted; those old entries name
        this.env.DB.prepare(
          `SELECT id, name, max_concurrency FROM agents WHERE org_id = ?1
             AND (max_concurrency IS NOT NULL OR id IN (SELECT value FROM json_each(?2)) OR name IN (SELECT value FROM json_each(?3)))
           ORDER BY id`,
        )
          .bind(orgId, JSON.stringify(Object.keys(this.agentCaps)), JSON.stringify(named))
          .all<AgentCapRow>(),
      ]);
      if (this.namedByName) this.upgradeNames(agents.results);
      if (read > this.capsApplied) {
        this.capsApplied = read;
        this.rememberCaps(agents.results);
      }
      const caps = Object.entries(this.agentCaps);
      return {
        org: settings.max_concurrent_tasks ?? DEFAULT_MAX_CONCURRENT_TASKS,
        agents: Object.fromEntries(caps.map(([id, a]) => [id, a.cap])),
        names: Object.fromEntries(caps.map(([id, a]) => [id, a.name])),
      };
    });
  }

  /** The capped agents as D1 has them now, and those deleted whose tasks still run or wait. */
  private rememberCaps(rows: AgentCapRow[]): void {
    const next: Record<string, AgentCap> = {};
    for (const r of rows) if (r.max_concurrency !== null) next[r.id] = { name: r.name, cap: r.max_concurrency };
    const present = new Set(rows.map((r) => r.id));
    const running = agentCounts(this.running.values());
    for (const [id, cap] of Object.entries(this.agentCaps)) {
      if (present.has(id)) continue;
      if (running.has(id) || this.sql.exec("SELECT 1 FROM waiting_agents WHERE agent = ? LIMIT 1", id).toArray().length > 0) next[id] = cap;
    }
    if (JSON.stringify(next) !== JSON.stringify(this.agentCaps)) this.ctx.storage.kv.put("agent_caps", next);
    this.agentCaps = next;
  }

  /** The agent names that entries stored by version 1 hold. */
  private namesInEntries(): string[] {
    const agents = new Set<string>();
    for (const e of this.running.values()) for (const a of e.agents) agents.add(a);
    for (const r of this.sql.exec<{ agent: string }>("SELECT DISTINCT agent FROM waiting_agents")) agents.add(r.agent);
    return [...agents].filter((a) => !isAgentId(a));
  }

  /**
   * Rewrites the entries of version 1 to name agents by id, as D1 has the names now. A name no agent has any
   * more (renamed or deleted before) stays: no cap is counted under it, as version 1 counted none.
   */
  private upgradeNames(rows: AgentCapRow[]): void {
    const ids = new Map(rows.map((r) => [r.name, r.id]));
    const toIds = (agents: string[]) => agents.map((a) => ids.get(a) ?? a);
    this.ctx.storage.transactionSync(() => {
      for (const table of ["slots", "waiting"]) {
        for (const r of this.sql.exec<{ task_id: string; agents: string }>(`SELECT task_id, agents FROM ${table}`).toArray()) {
          this.sql.exec(`UPDATE ${table} SET agents = ? WHERE task_id = ?`, JSON.stringify(toIds(JSON.parse(r.agents) as string[])), r.task_id);
        }
      }
      for (const [name, id] of ids) this.sql.exec("UPDATE waiting_agents SET agent = ? WHERE agent = ?", id, name);
      this.ctx.storage.kv.put("schema", SCHEMA_VERSION);
    });
    for (const e of this.running.values()) e.agents = toIds(e.agents);
    for (const [id, agents] of this.unstored) this.unstored.set(id, toIds(agents));
    this.namedByName = false;
  }

  private armAlarm(): void {
    if (this.running.size === 0) return;
    const at = Date.now() + (this.unacked.size > 0 ? ACK_RETRY_MS : SWEEP_MS);
    // Only ever brought forward: re-arming on every arrival would keep pushing the sweep away.
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }
}

/** The id of the capped agent called `name`, else the name: an agent with no cap counts against none. */
function idNamed(caps: NamedCaps, name: string): string {
  return Object.entries(caps.names).find(([, n]) => n === name)?.[0] ?? name;
}
