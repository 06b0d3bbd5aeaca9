import { DurableObject } from "cloudflare:workers";
import { desc } from "drizzle-orm";
import type { Bindings } from "../env";
import type { IndexRow, PendingItem } from "../db/task-row";
import type { TaskStatus } from "../db/schema";
import { newId } from "../lib/ids";
import { log, logTaskEvent } from "../lib/log";
import type { Usage } from "../agents/types";
import { StepError } from "../agents/types";
import { type Graph, addNode, graphOf, indexPlan, initialNodes, type NodeSpec, progress, type StepIndex, taskStatus } from "./dag";
import type { TaskEvent } from "./events";
import { indexRowOf, pendingItemsOf, spendRowsOf } from "./index-row";
import { IndexSync } from "./index-sync";
import { type InputTarget, inputNeededIn } from "./input-needed";
import { transitionOf } from "../notify/enqueue";
import type { TaskTransition } from "../notify/events";
import { FINAL, taskOutput } from "./outcome";
import { forgetTransitions, oweTransition, owedTransitions } from "./owed-notifications";
import { QueueSide, releaseSlot, requestSlot } from "../queue/admission";
import type { AdmitReply } from "../queue/org-queue";
import type { SpendRow } from "../spend/ledger";
import type { TaskMeta, WarmStart } from "./meta";
import type { AgentStep, Plan } from "./plan-schema";
import { answerCall, releaseCap } from "./answers";
import { DagPump } from "./pump";
import { rerunReuse } from "./rerun";
import { fail, ok, type RpcResult } from "./rpc-result";
import { approveOutput, rejectOutput } from "./reviews";
import * as s from "./storage-schema";
import { type Db, type StoredNode, type StoredRun, appendEvent, runKey, insertNode, nodeFromRow, createStore, markAbandoned, markPurged, openStore, queryBuilder, runFromRow } from "./store";
import { addInto, nanosToUsd, type Totals, tokensView, zeroTotals } from "./totals";
import { RunExecutor } from "./execute";
import { ShownSteps } from "./shown-steps";
import * as steps from "./step-transitions";
import { type FinishedChild, SubTasks } from "./sub-tasks";
import { TaskStream } from "./task-stream";
import { taskDetail } from "./view";
import { nextWake, runHeartbeatMs } from "./wake";


/**
 * One task. Owns its plan snapshot, node states, runs, turns and event log in
 * its own SQLite, drives the DAG (ready steps start at once, concurrently), and
 * uses its alarm only for wake-ups that must survive eviction (./wake.ts): retry
 * backoff, a long run's heartbeat, and offering a held task again.
 */
export class TaskRunner extends DurableObject<Bindings> {
  private builder: Db | null = null;
  /** Nothing stored yet, not even the schema: the start makes it in the commit that stores the task. */
  private unstored = false;
  /** its create was undone before it started (./interrupted.ts): a start that comes after all is refused */
  private abandoned = false;
  /** The task ran and was deleted: it held a task, so a retry of the request that made it is a duplicate. */
  private purged = false;
  sql!: SqlStorage;
  meta: TaskMeta | null = null;
  status: TaskStatus = "pending";
  output: string | null = null;
  startedAt: number | null = null;
  finishedAt: number | null = null;
  lastEventId = 0;
  index!: StepIndex;
  graph: Graph = graphOf([]);
  runs = new Map<string, StoredRun>();
  totals: Totals = zeroTotals();
  private nextSeq = 0;
  private alarmAt: number | null = null;
  private queue!: QueueSide;
  /** A start on its way: it offers the task to its organization's queue before it stores anything. */
  private startup: Promise<void> | null = null;
  readonly inflight = new Map<string, AbortController>();
  /** Runs begun by this instance that have no stored turns yet, so their executor need not look. */
  readonly freshRuns = new Set<string>();
  private readonly stream = new TaskStream(this);
  private readonly shown = new ShownSteps();
  /** Events stored in the transaction under way (`transact`), pushed once it commits. */
  private held: { id: number; event: TaskEvent; json: string }[] | null = null;
  private readonly waiters = new Set<() => void>();
  readonly sync: IndexSync;
  readonly executor: RunExecutor;
  readonly dagPump: DagPump;
  private readonly subTasks: SubTasks;

  readonly bindings: Bindings;
  readonly state: DurableObjectState;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.bindings = env;
    this.state = ctx;
    this.sync = new IndexSync(env, () => this.indexRow(), () => this.spendRows(), (keys) => forgetTransitions(ctx.storage, keys));
    this.executor = new RunExecutor(this);
    this.dagPump = new DagPump(this, {
      admitted: () => this.queue.get() === undefined,
      saveQueue: () => this.queue.save(),
      addNodes: (specs) => this.addNodes(specs),
      passed: () => {
        this.refreshStatus();
        this.armAlarm();
      },
    });
    this.subTasks = new SubTasks(this, () => this.env);
    ctx.blockConcurrencyWhile(async () => {
      this.sql = ctx.storage.sql;
      const store = openStore(ctx.storage);
      this.unstored = store !== "open";
      this.abandoned = store === "abandoned";
      this.purged = store === "purged";
      if (!this.unstored) this.load();
      if (this.meta) this.subTasks.woken();
      this.queue = new QueueSide(ctx.storage, this.meta === null);
      // a new object has no alarm to read (reading one costs a storage round trip on every task's first call)
      if (this.meta) this.alarmAt = await ctx.storage.getAlarm();
      // a restart stopped what this task was doing: it goes on now, not at its organization's queue's next sweep
      if (this.meta && !FINAL.has(this.status) && this.dagPump.stalled(Date.now())) this.dagPump.schedule();
    });
  }

  /** Made on first use: a short task never needs it, and making one costs more than its statements. */
  get db(): Db {
    return (this.builder ??= queryBuilder(this.ctx.storage));
  }

  private load(): void {
    if (!this.readStored()) return;
    this.lastEventId = this.db.select({ id: s.eventRows.id }).from(s.eventRows).orderBy(desc(s.eventRows.id)).limit(1).get()?.id ?? 0;
    this.sync.resume(owedTransitions(this.ctx.storage));
  }

  /**
   * Memory from what storage holds: the task, its nodes and runs. Objects already in memory are updated in place,
   * so a run under way keeps the node and run it holds; those storage does not hold are dropped.
   */
  private readStored(): boolean {
    const [row] = this.unstored ? [] : this.sql.exec<typeof s.taskRow.$inferSelect>("SELECT * FROM task LIMIT 1").toArray();
    if (!row) {
      this.meta = null;
      this.status = "pending";
      this.output = this.startedAt = this.finishedAt = null;
      this.graph = graphOf([]);
      this.shown.reset(this.graph);
      this.nextSeq = 0;
      this.runs.clear();
      this.totals = zeroTotals();
      return false;
    }
    const meta = JSON.parse(row.meta) as TaskMeta;
    this.meta = this.meta ? Object.assign(this.meta, meta) : meta;
    this.status = row.status as TaskStatus;
    this.output = row.output;
    this.startedAt = row.started_at;
    this.finishedAt = row.finished_at;
    this.index = indexPlan(this.meta.plan);
    const nodes = this.db.select().from(s.nodeRows).orderBy(s.nodeRows.seq).all().map((r) => {
      const n = nodeFromRow(r);
      const had = this.graph.nodes.get(n.key) as StoredNode | undefined;
      return had ? Object.assign(had, n) : n;
    });
    this.graph = graphOf(nodes);
    this.shown.reset(this.graph);
    this.nextSeq = nodes.length;
    const had = new Map(this.runs);
    this.runs.clear();
    this.totals = zeroTotals();
    for (const stored of this.db.select().from(s.runRows).all().map(runFromRow)) {
      const key = runKey(stored.node_key, stored.run_no);
      const r = Object.assign(had.get(key) ?? stored, stored);
      this.runs.set(key, r);
      addInto(this.totals, r.usage, r.cost_nanos);
    }
    for (const key of this.freshRuns) if (!this.runs.has(key)) this.freshRuns.delete(key);
    return true;
  }

  // ---- RPC surface ----

  /**
   * Idempotent: a second start of the same task is a no-op. The task is offered to its organization's queue
   * first, and stored with what the queue answered, in one commit with its first step's start when it may run
   * at once: its creator is answered once the queue has it, so the queue's sweep is there should this object
   * restart before the task stores its next wake-up. Should the offer fail, the task is stored held, and its
   * alarm offers it again.
   */
  async start(meta: TaskMeta, warm?: WarmStart): Promise<void> {
    if (this.meta) return this.startup ?? undefined;
    if (this.abandoned) throw new Error("this task's create was undone: it had not started a minute after its index row was written");
    if (this.purged) throw new Error("this task was deleted");
    this.meta = meta;
    if (warm) this.executor.prime(warm);
    this.index = indexPlan(meta.plan);
    this.queue.offering();
    this.startup = this.store(meta);
    try {
      await this.startup;
    } finally {
      this.startup = null;
    }
  }

  private async store(meta: TaskMeta): Promise<void> {
    await requestSlot(this.env, this.queue, meta);
    this.transact(() => {
      if (this.unstored) createStore(this.ctx.storage);
      this.sql.exec("INSERT INTO task (id, org_id, meta, status, created_at) VALUES (?, ?, ?, 'pending', ?)", meta.id, meta.org_id, JSON.stringify(meta), meta.created_at);
      this.addNodes(initialNodes(meta.plan, this.index));
      this.queue.save();
      this.emit({ type: "task.updated", task_id: meta.id, status: "pending", progress: progress(this.graph), cost: 0 });
    });
    this.unstored = false;
    // admitted, in the answer to the offer or meanwhile: the first step's start is stored with the task,
    // and its run begins in the next macrotask, once the creator has its answer
    if (this.queue.get() === undefined) this.pump(Date.now(), "next turn");
    else {
      this.armAlarm();
      this.sync.announce();
    }
  }

  /**
   * Asked about a task whose index row its object has never written (./interrupted.ts): "stored", and the row is
   * written now; or, when no start ever reached this object, "abandoned", after which none will.
   */
  async confirm(): Promise<"stored" | "abandoned"> {
    if (this.purged) return "stored";
    if (this.meta) {
      if (!this.startup) this.sync.soon();
      return "stored";
    }
    if (!this.abandoned) markAbandoned(this.ctx.storage);
    this.abandoned = true;
    return "abandoned";
  }

  /** Its detail was read next to an index row (of version `indexed`) that shows another status: a row behind is written again. */
  async reindex(indexed: number): Promise<void> {
    await this.startup;
    if (this.meta && (indexed < this.lastEventId || this.sync.owing)) this.sync.now();
  }

  /** Whether a start has reached this object (./interrupted.ts). */
  async holds(): Promise<boolean> {
    return this.meta !== null || this.purged;
  }

  /**
   * The organization's queue says this task may run now. Idempotent. Its sweep passes the version of the task's
   * index row (`indexed`), which shows it unfinished: a restart may have lost the row's last write.
   */
  async admit(indexed?: number): Promise<AdmitReply> {
    if (!this.meta) return "unknown";
    // told while its own offer is on its way: the start stores and runs it (awaiting the start here could deadlock the queue)
    if (this.startup) {
      this.queue.admittedOnOffer();
      return "started";
    }
    if (FINAL.has(this.status)) {
      // a row the sweep found finished is written again only when it is behind, or notifications are owed
      if (indexed === undefined || indexed < this.lastEventId || this.sync.owing) this.sync.now();
      await this.sync.flushed();
      // the slot stays, and brings the sweep back to try again
      if (this.sync.behind) throw new Error("the task's index row is not written yet");
      return "finished";
    }
    if (this.queue.get() !== undefined) this.queue.admitted();
    // waiting for a person with nothing left to resume: the answer wakes it, and only a row behind it is written
    if (indexed !== undefined && this.status === "needs_input" && !this.dagPump.unlaunched()) {
      if (indexed < this.lastEventId || this.sync.owing) this.sync.now();
      return "started";
    }
    this.dagPump.schedule();
    return "started";
  }

  private async offerToQueue(): Promise<void> {
    if (await requestSlot(this.env, this.queue, this.meta!)) this.dagPump.schedule();
    else this.armAlarm();
  }

  /** Deletes everything this task stored (plan, steps, runs, traces, events); only once it has finished. */
  async purge(): Promise<RpcResult> {
    await this.startup;
    if (!this.meta) return ok(null);
    if (!FINAL.has(this.status)) return fail("conflict", `task is ${this.status}; only a finished task can be deleted`);
    await this.sync.flushed();
    this.stream.closeAll();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    markPurged(this.ctx.storage);
    this.purged = true;
    this.unstored = true;
    this.queue = new QueueSide(this.ctx.storage, true);
    this.meta = null;
    this.alarmAt = null;
    this.graph = graphOf([]);
    this.runs.clear();
    this.totals = zeroTotals();
    return ok(null);
  }

  async detail() {
    await this.startup;
    if (!this.meta) return null;
    return taskDetail(this);
  }

  async cancel(reason = "cancelled"): Promise<RpcResult> {
    await this.startup;
    if (!this.meta) return fail("not_found", "task not found");
    if (FINAL.has(this.status)) return fail("conflict", `task is already ${this.status}`);
    const now = Date.now();
    // the steps and the task's status in one commit: a cancel cut off halfway would leave a task waiting on no step
    this.setStatus("cancelled", () => steps.stopUnfinished(this, reason, now));
    for (const ac of this.inflight.values()) ac.abort(new StepError(reason, false));
    this.inflight.clear();
    await this.ctx.storage.deleteAlarm();
    this.alarmAt = null;
    await this.subTasks.cancelChildren("parent task cancelled");
    return ok(null);
  }

  async respond(callId: string, answers: string[]): Promise<RpcResult> {
    await this.startup;
    return answerCall(this, callId, answers);
  }

  /** The organization's monthly cap was raised or lifted: steps paused at it go on once the month has room, their question answered. */
  async capChanged(): Promise<number> {
    await this.startup;
    if (!this.meta || FINAL.has(this.status)) return 0;
    return releaseCap(this);
  }

  /** Answers the run whose output was approved. */
  async approve(key: string, run?: number): Promise<RpcResult<number>> {
    await this.startup;
    return approveOutput(this, key, run);
  }

  /** Answers the run whose output was rejected (the step runs again as the next one). */
  async reject(key: string, comment: string, run?: number): Promise<RpcResult<number>> {
    await this.startup;
    return rejectOutput(this, key, comment, run);
  }

  async runTrace(key: string, runNo: number) {
    await this.startup;
    const run = this.runs.get(runKey(key, runNo));
    if (!run) return null;
    return this.executor.trace(key, run);
  }

  /** What a rerun from `fromStep` of `target` (else this task's own version) needs: the plan, inputs and the outputs it reuses. */
  async rerunSeed(fromStep: string, target?: { plan: Plan; version: number }): Promise<RpcResult<{ meta: TaskMeta; reused: Record<string, string> }>> {
    await this.startup;
    if (!this.meta) return fail("not_found", "task not found");
    const ran = { plan: this.meta.plan, version: this.meta.plan_version };
    const top = (id: string) => (this.graph.nodes.get(id)?.parent === null ? this.graph.nodes.get(id) : undefined);
    const r = rerunReuse(ran, target ?? ran, fromStep, top);
    if (!r.ok) return { ok: false, code: "unprocessable", message: r.message, details: [{ step: r.step }] };
    return ok({ meta: this.meta, reused: r.reused });
  }

  /** SSE (worker/live/stream-fetch.ts): stored events after `last_event_id`, then live ones; `slot` the token's stream slot it holds. */
  async fetch(req: Request): Promise<Response> {
    await this.startup;
    return this.stream.respond(req, this.env);
  }

  /** For a HEAD on the stream: whether a resume after `lastId` is over before it starts, as `fetch` would answer it. */
  async streamEnds(lastId: number): Promise<boolean> {
    await this.startup;
    return this.stream.ended(lastId);
  }

  async alarm(): Promise<void> {
    // The alarm's own time is the clock: wake-ups due by then are due now, even if it fires early.
    const scheduled = this.alarmAt ?? Date.now();
    this.alarmAt = null;
    if (!this.meta || FINAL.has(this.status)) return;
    if (this.queue.get() === "held") return this.offerToQueue();
    this.executor.storeWorkTimes();
    await this.subTasks.pollChildren();
    if (this.executor.capWaiting().length) await releaseCap(this);
    this.pump(Math.max(Date.now(), scheduled));
  }

  /** A child reports when it finishes; the heartbeat alarm also looks, in case that report was lost. */
  async childFinished(child: FinishedChild): Promise<void> {
    await this.startup;
    this.subTasks.childFinished(child);
  }

  /** A sub-task says whether a person is asked something in it or below it (`input`, the task asking), each time that changes. */
  async childInput(id: string, input: InputTarget | null): Promise<void> {
    await this.startup;
    this.subTasks.childInput(id, input);
  }

  /** `?wait=`: resolves once the task finishes or needs a person (itself, or in a sub-task it waits on), or after `timeoutMs`. */
  async waitForResult(timeoutMs: number): Promise<TaskStatus> {
    await this.startup;
    if (!this.meta || FINAL.has(this.status) || this.status === "needs_input" || inputNeededIn(this.nodes()).length) return this.status;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.add(done);
    });
    return this.status;
  }

  /** For tests and `?wait=`: resolves when the index row has caught up. */
  async settled(): Promise<TaskStatus> {
    await this.startup;
    await this.sync.flushed();
    return this.status;
  }

  // ---- the task's steps, status and wake-ups ----

  /** A scheduling pass (./pump.ts). */
  pump(now = Date.now(), launch: "now" | "next turn" = "now"): void {
    this.dagPump.pump(now, launch);
  }

  beginRun(node: StoredNode, now: number, feedback: string | null, resumes?: number): void {
    steps.beginRun(this, node, now, feedback, resumes);
  }

  finishNode(node: StoredNode, status: "completed" | "failed", output: string | null, error: string | null, now: number): void {
    steps.finishNode(this, node, status, output, error, now);
  }

  /** Stores new steps after those the task has, in the order they were made. */
  private addNodes(specs: NodeSpec[]): void {
    for (const spec of specs) addNode(this.graph, insertNode(this.sql, spec, this.nextSeq++));
  }

  private refreshStatus(): void {
    if (FINAL.has(this.status)) return;
    const next = taskStatus(this.graph);
    if (next !== this.status) this.setStatus(next);
    else this.sync.soon();
  }

  /** `alongside`: writes that go in the same commit as the status. */
  private setStatus(next: TaskStatus, alongside?: () => void): void {
    const now = Date.now();
    this.status = next;
    if (next === "in_progress") this.startedAt ??= now;
    if (FINAL.has(next)) {
      this.finishedAt = now;
      // a task that failed or was cancelled has no result of its own; its steps keep their outputs
      this.output = next === "completed" ? taskOutput(this.meta!.plan, this.graph) : null;
      if (next === "failed") this.stopSiblings(now);
    }
    let transition: TaskTransition | null = null;
    this.transact(() => {
      alongside?.();
      this.sql.exec("UPDATE task SET status = ?, output = ?, started_at = ?, finished_at = ?", next, this.output, this.startedAt, this.finishedAt);
      this.emitTaskUpdated();
      // kept with the status until the Notifier has it, so a process that stops meanwhile loses no notification
      transition = transitionOf(this.indexRow());
      if (transition) oweTransition(this.ctx.storage, transition);
    });
    this.sync.status(next, transition);
    if (FINAL.has(next)) {
      this.stream.closeAll();
      // The slot is the queue's record of a task the index may not yet show finished: given back once the row is
      // written, so a process that stops before then, or a write given up on, leaves it for the sweep (admit).
      this.ctx.waitUntil(this.sync.flushed().then(() => (this.sync.behind ? undefined : releaseSlot(this.env, this.meta!))));
      if (this.meta!.parent_id) void this.subTasks.notifyParent();
    }
    if (FINAL.has(next) || next === "needs_input") this.wakeWaiters();
    this.tellParent();
  }

  wakeWaiters(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  private stopSiblings(now: number): void {
    const reason = "stopped: another step failed";
    for (const ac of this.inflight.values()) ac.abort(new StepError(reason, false));
    this.inflight.clear();
    this.transact(() => steps.stopUnfinished(this, reason, now));
    void this.ctx.storage.deleteAlarm();
    // as a cancel does: a sub-task, awaited or not, was part of work that failed, and a rerun would make it again
    this.ctx.waitUntil(this.subTasks.cancelChildren("parent task failed").catch((e) => log("warn", "sub-tasks not cancelled", { task_id: this.meta!.id, error: String(e) })));
  }

  /** Re-arm to the earliest wake-up (./wake.ts). */
  private armAlarm(): void {
    const now = Date.now();
    let retryAt: number | null = null;
    let running = false;
    let capMonthEnd: number | null = null;
    for (const n of this.nodes()) {
      if (n.status === "pending" && n.retry_at) retryAt = Math.min(retryAt ?? Infinity, n.retry_at);
      if (n.waiting?.kind === "budget" && n.waiting.month_end) capMonthEnd = Math.min(capMonthEnd ?? Infinity, n.waiting.month_end);
      // one waiting on a sub-task too: its heartbeat looks for the sub-task's end, should the report of it be lost
      if (n.status === "running" && n.kind === "agent") running = true;
    }
    const alarmAt = nextWake({ now, alarmAt: this.alarmAt, retryAt, running, held: this.queue.get() === "held", capMonthEnd, heartbeatMs: runHeartbeatMs(this.env) });
    if (alarmAt === this.alarmAt) return;
    this.alarmAt = alarmAt;
    if (alarmAt == null) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(Math.max(alarmAt, now + 1));
  }

  // ---- for its sub-tasks and its parent (./sub-tasks.ts) ----

  takeChildReport(id: string): InputTarget | null | undefined {
    return this.subTasks.takeChildReport(id);
  }

  tellParent(): void {
    this.subTasks.tellParent();
  }

  /** A sub-task whose result this task, now finished, will never take. */
  stopChild(id: string): void {
    this.subTasks.stopChild(id);
  }

  // ---- helpers ----

  persistMeta(): void {
    this.db.update(s.taskRow).set({ meta: JSON.stringify(this.meta) }).run();
  }

  nodes(): IterableIterator<StoredNode> {
    return this.graph.nodes.values() as IterableIterator<StoredNode>;
  }

  node(key: string): StoredNode {
    return this.graph.nodes.get(key) as StoredNode;
  }

  agentStep(node: StoredNode): AgentStep {
    return this.index.get(node.step_id)!.step as AgentStep;
  }

  newCall(node: StoredNode, runNo: number, kind: "question" | "budget", toolCallId: string | null, question: string): string {
    const callId = newId("call");
    this.db.insert(s.callRows).values({ call_id: callId, node_key: node.key, run_no: runNo, kind, tool_call_id: toolCallId, question, created_at: Date.now() }).run();
    return callId;
  }

  addUsage(run: StoredRun, usage: Usage, costNanos: number): void {
    addInto({ usage: run.usage, cost_nanos: 0 }, usage, 0);
    run.cost_nanos += costNanos;
    addInto(this.totals, usage, costNanos);
  }

  /**
   * `transactionSync`, with the events it stores held back from streams and the log until it commits: one it
   * rolls back gives no client an id the log never held, and the ids it took are given again. Nests as savepoints.
   */
  transact<T>(fn: () => T): T {
    const outer = this.held;
    const held = outer ?? [];
    const mark = held.length;
    const lastId = this.lastEventId;
    this.held = held;
    let value: T;
    try {
      value = this.ctx.storage.transactionSync(fn);
    } catch (e) {
      held.length = mark;
      this.lastEventId = lastId;
      // what the transaction changed in memory goes back with storage: only here, so a commit reads nothing more
      this.readStored();
      this.queue.reread();
      throw e;
    } finally {
      this.held = outer;
    }
    if (!outer) for (const e of held) this.publish(e.id, e.event, e.json);
    return value;
  }

  emit(event: TaskEvent): void {
    const json = JSON.stringify(event);
    const id = this.lastEventId + 1;
    appendEvent(this.sql, id, event.type, json, Date.now());
    this.lastEventId = id;
    if (this.held) this.held.push({ id, event, json });
    else this.publish(id, event, json);
  }

  private publish(id: number, event: TaskEvent, json: string): void {
    logTaskEvent(id, event, json);
    this.stream.publish(id, event.type, json);
  }

  /** The task as a whole: its status, progress, cost, and the sub-tasks it waits on that ask a person something. */
  emitTaskUpdated(): void {
    this.emit({
      type: "task.updated", task_id: this.meta!.id, status: this.status, progress: progress(this.graph), cost: nanosToUsd(this.totals.cost_nanos),
      input_needed_in: inputNeededIn(this.nodes()),
    });
  }

  /** A step changed: it goes out with its shown status, and so does each loop, iteration or branch around it that it changes. */
  emitStep(node: StoredNode): void {
    this.shown.changed(this.graph, node, (n, status) => {
      const { key, runs, error } = n as StoredNode;
      this.emit({ type: "step.updated", task_id: this.meta!.id, step: key, status, run_no: runs, error });
    });
  }

  emitTurn(node: StoredNode, runNo: number, turnNo: number, usage: Usage): void {
    this.emit({ type: "run.turn", task_id: this.meta!.id, step: node.key, run_no: runNo, turn_no: turnNo, tokens: tokensView(usage) });
  }

  pendingItems(): PendingItem[] {
    return pendingItemsOf(this.nodes());
  }

  spendRows(): SpendRow[] {
    return spendRowsOf(this);
  }

  indexRow(): IndexRow {
    return indexRowOf(this);
  }
}

