import type { z } from "@hono/zod-openapi";
import type { RunTrace } from "../api/trace-schema";
import type { Price } from "../agents/cost";
import { answerPending, type LoopOutcome, runAgentLoop, toolCallCap, toolCallLimit } from "../agents/loop";
import { capResult } from "../agents/tools/cap";
import { cachedMcpServerResolver } from "../db/mcp-servers";
import { PRICE_CACHE_MS, priceFor } from "../db/pricing";
import { providerFor } from "../agents/providers";
import { createToolHost, type McpServerResolver } from "../agents/tools";
import { offlineSearch } from "../agents/tools/web-search";
import { StepError, zeroUsage } from "../agents/types";
import { MAX_BUDGET_USD } from "../api/schemas";
import { log } from "../lib/log";
import { LiveMask } from "../lib/live-mask";
import { type Masker, maskTurn } from "../lib/mask";
import { OrgGuard } from "../spend/guard";
import { monthEndMs } from "../spend/ledger";
import { spawnChildTask } from "./create";
import { inputTargetOf } from "./input-needed";
import { iterationOf, referencedOutputs } from "./dag";
import { DEFAULT_RETRY, DEFAULT_TIMEOUT_S } from "./plan-schema";
import { attemptOf, backoffDelayMs, shouldRetry } from "./retry";
import type { RpcResult } from "./rpc-result";
import type { TaskRunner } from "./runner";
import { type StoredNode, type StoredRun, loadTurns, saveNode, saveRun, saveTurn, runKey } from "./store";
import { FINAL } from "./outcome";
import type { WarmStart } from "./meta";
import { renderTemplate, TemplateTooLarge } from "./template";
import { parseBudgetAnswer } from "./budget-answer";
import { oversizeOutput } from "./output-limit";
import { usdDecimal } from "../agents/cost";
import { timeLeftMs, WorkClock } from "./work-time";

/** Runs one agent step's current run inside the TaskRunner, turn by durable turn. */
export class RunExecutor {
  /** Prices read from D1, reused for a few seconds so a 1,000-step plan is not 1,000 D1 reads. */
  private readonly prices = new Map<string, { price: Promise<Price>; at: number }>();
  /** Text of turns still being generated, by step: shown in the trace before the turn is stored. */
  private readonly live = new Map<string, string>();
  /** each streaming run's text stream, so a cancel keeps what it still holds back */
  private readonly streams = new Map<string, TextStream>();

  /** The organization's monthly spend cap and secrets to mask, read at run starts. */
  readonly org: OrgGuard;
  /** Steps whose last budget check failed on the organization's cap rather than their own budget. */
  private readonly capBlocked = new Set<string>();
  /** The budget a step's last check found its next turn could pass, for the question it asks. */
  private readonly budgetHit = new Map<string, { of: string; spent_nanos: number; limit_nanos: number | null }>();
  /** The working time of each run in flight, by step. */
  private readonly clocks = new Map<string, WorkClock<StoredRun>>();

  /** The organization's named MCP servers, read at most once a second however many runs start. */
  private readonly mcpServers: McpServerResolver;

  constructor(private readonly t: TaskRunner) {
    this.org = new OrgGuard(t.bindings, () => t.meta!.org_id, () => t.meta!.id);
    this.mcpServers = cachedMcpServerResolver(t.bindings, () => t.meta!.org_id);
  }

  prime(warm: WarmStart): void {
    this.org.prime(warm.org);
    for (const [model, price] of Object.entries(warm.prices)) this.prices.set(model, { price: Promise.resolve(price), at: warm.org.at });
  }

  private async price(model: string): Promise<Price> {
    const hit = this.prices.get(model);
    if (hit && Date.now() - hit.at < PRICE_CACHE_MS) return hit.price;
    // one read shared by every run that starts meanwhile (a loop's fan-out starts them together)
    const price = priceFor(this.t.bindings, this.t.meta!.org_id, model);
    this.prices.set(model, { price, at: Date.now() });
    price.catch(() => this.prices.delete(model));
    return price;
  }

  async run(key: string, ac: AbortController): Promise<void> {
    const t = this.t;
    const meta = t.meta!;
    const node = t.node(key);
    const step = t.agentStep(node);
    const agent = meta.agents[step.agent];
    const run = t.runs.get(runKey(key, node.runs))!;
    // stored with the run's first write below: the price in force when it started
    if (!run.price) run.price = JSON.stringify(await this.price(agent.model));
    // Fails open: a D1 hiccup keeps the last reading (or none) rather than failing the run.
    await this.org.refresh().catch((e) => log("warn", "organization limits not read", { task_id: meta.id, error: String(e) }));
    if (ac.signal.aborted) return;
    const price = JSON.parse(run.price) as Price;
    const turns = t.freshRuns.delete(runKey(key, run.run_no)) ? [] : loadTurns(t.sql, key, run.run_no);
    // what each stored turn has added to the run: a turn's usage grows when a tool it called searched
    const counted = new Map(turns.map((tr) => [tr.turn_no, { searches: tr.usage.searches, cost_nanos: tr.cost_nanos }]));
    const { item, index } = iterationOf(t.graph, key);
    let instructions: string;
    try {
      instructions = renderTemplate(step.instructions, { params: meta.inputs, steps: referencedOutputs(t.index, t.graph, step, key), item, index }, MAX_INSTRUCTIONS_BYTES);
    } catch (e) {
      if (!(e instanceof TemplateTooLarge)) throw e;
      // a retry would render the same: failed at once, and nothing is sent to the model
      this.onError(node, run, new StepError(e.message, false));
      return;
    }
    // the run after a rejection goes on from the rejected run's conversation (its answered questions included), told why
    const feedback = run.feedback ? `A reviewer rejected your previous answer. Their feedback:\n${run.feedback}` : undefined;
    if (feedback && turns.length === 0) instructions += `\n\n${feedback}`;
    const timeoutMs = (step.timeout_s ?? DEFAULT_TIMEOUT_S) * 1000;
    // what the run worked before a wait or a restart counts: going on does not grant its timeout afresh
    const clock = new WorkClock(run, Date.now());
    this.clocks.set(key, clock);
    const timer = setTimeout(() => ac.abort(new StepError(`timed out after ${timeoutMs / 1000} s of work (timeout_s)`, true)), timeLeftMs(timeoutMs, run.worked_ms));
    const text = new TextStream(this.org.masker(), (delta) => {
      if (!this.current(key, ac)) return;
      this.live.set(key, (this.live.get(key) ?? "") + delta);
      t.emit({ type: "run.text", task_id: meta.id, step: key, run_no: run.run_no, delta });
    });
    this.streams.set(key, text);
    try {
      const outcome = await runAgentLoop({
        agent,
        instructions,
        runNo: run.run_no,
        turns,
        followUp: feedback,
        provider: providerFor(agent.model, t.bindings),
        tools: createToolHost({ env: t.bindings, names: [...new Set([...agent.tools, ...step.tools])], mcpServers: this.mcpServers, ...(agent.model === "sim" && { search: offlineSearch }) }),
        maxToolCallsPerTurn: toolCallLimit(agent, toolCallCap(t.bindings.MAX_TOOL_CALLS_PER_TURN)),
        price,
        signal: ac.signal,
        onText: (delta) => text.push(delta),
        saveTurn: (turn) => {
          if (!this.current(key, ac)) throw new StepError("run was stopped", false);
          // what was held back to be masked whole goes out before the turn's event, so a client following run.text has all of it
          text.flush(true);
          text.close();
          this.live.delete(key);
          t.transact(() => {
            saveTurn(t.sql, key, run.run_no, maskTurn(turn, this.org.mask));
            const before = counted.get(turn.turn_no);
            counted.set(turn.turn_no, { searches: turn.usage.searches, cost_nanos: turn.cost_nanos });
            if (before && turn.usage.searches > before.searches) {
              t.addUsage(run, { ...zeroUsage(), searches: turn.usage.searches - before.searches }, turn.cost_nanos - before.cost_nanos);
            } else if (!before) {
              // with its turn, not with the outcome: an outcome whose write rolls back must not take the turn's usage with it
              t.addUsage(run, turn.usage, turn.cost_nanos);
              t.emitTurn(node, run.run_no, turn.turn_no, turn.usage);
            }
            this.saveRun(run);
          });
          t.sync.soon();
        },
        checkBudget: (estimate) => this.withinBudget(agent.name, estimate, key),
      });
      if (!this.current(key, ac)) return;
      await this.onOutcome(node, run, outcome);
    } catch (e) {
      if (!this.current(key, ac)) return;
      const err = ac.signal.aborted && ac.signal.reason instanceof StepError ? ac.signal.reason : e;
      // what the turn streamed last is kept with the failed run too
      text.flush(true);
      this.onError(node, run, err);
    } finally {
      clearTimeout(timer);
      if (this.clocks.get(key) === clock) this.clocks.delete(key);
      text.close();
      this.live.delete(key);
      if (this.streams.get(key) === text) this.streams.delete(key);
    }
  }

  /** Stores a run, with its working time up to now when it is in flight here (a run stopped from outside included). */
  saveRun(run: StoredRun): void {
    const clock = this.clocks.get(run.node_key);
    if (clock?.run === run) clock.checkpoint(Date.now());
    saveRun(this.t.sql, run);
  }

  /** At a heartbeat: the working time of the runs in flight is stored, so a restart loses at most a heartbeat's worth. */
  storeWorkTimes(): void {
    const t = this.t;
    const inFlight = [...this.clocks.values()].filter((c) => t.inflight.has(c.run.node_key) && c.run.status === "running");
    if (inFlight.length) t.transact(() => inFlight.forEach((c) => this.saveRun(c.run)));
  }

  private current(key: string, ac: AbortController): boolean {
    return this.t.inflight.get(key) === ac && this.t.node(key).status === "running";
  }

  private async onOutcome(node: StoredNode, run: StoredRun, outcome: LoopOutcome): Promise<void> {
    const t = this.t;
    const now = Date.now();
    if (outcome.kind === "spawn") {
      const child = await spawnChildTask(t.bindings, t.meta!, outcome.args, `${node.key}/${outcome.call}`);
      if (!this.current(node.key, t.inflight.get(node.key)!)) {
        // the task was cancelled or failed while the sub-task was being made: too late for its sweep
        if (child.ok && (t.status === "cancelled" || t.status === "failed")) t.stopChild(child.value.id);
        return;
      }
      t.transact(() => {
        // the time until the run goes on is not its own: a sub-task's is bounded by the sub-task's steps
        this.saveRun(run);
        if (child.ok && outcome.args.wait === true && !FINAL.has(child.value.status)) {
          const reported = t.takeChildReport(child.value.id);
          const input = reported === undefined ? inputTargetOf(child.value) : reported;
          node.waiting = { kind: "child", task_id: child.value.id, tool_call_id: outcome.call_id, ...(input && { input }) };
          saveNode(t.sql, node);
          if (input) {
            t.emitTaskUpdated();
            t.wakeWaiters();
          }
        } else {
          // a call resumed after a restart may find its sub-task already finished
          const output = outcome.args.wait === true && child.ok ? { output: child.value.output } : {};
          const result = child.ok ? JSON.stringify({ task_id: child.value.id, status: child.value.status, ...output }) : `error: ${child.message}`;
          this.answerQuestion(node, run.run_no, outcome.call_id, result);
        }
      });
      // the run goes on: the scheduler relaunches running steps that are not in flight (and not waiting on a child)
      t.inflight.delete(node.key);
      t.tellParent();
      return;
    }
    const oversize = outcome.kind === "completed" ? oversizeOutput(outcome.output) : null;
    if (oversize) return this.onError(node, run, new StepError(`the step's output ${oversize}`, false));
    t.transact(() => {
      if (outcome.kind === "completed") {
        run.status = "completed";
        run.finished_at = now;
        this.saveRun(run);
        if (t.agentStep(node).approval) {
          node.status = "waiting";
          node.output = outcome.output;
          node.waiting = { kind: "approval" };
          saveNode(t.sql, node);
          t.emitStep(node);
        } else {
          t.finishNode(node, "completed", outcome.output, null, now);
        }
        return;
      }
      run.status = "waiting";
      this.saveRun(run);
      node.status = "waiting";
      if (outcome.kind === "ask") {
        // masked as the trace's copy of it is: the question is shown to people, listed, and sent to subscribers
        const question = this.org.mask(outcome.question);
        const callId = t.newCall(node, run.run_no, "question", outcome.call_id, question);
        node.waiting = { kind: "question", call_id: callId, question };
      } else if (this.capBlocked.delete(node.key)) {
        const { cap_nanos, spent_nanos } = this.org.monthSpent(this.ownMonthNanos());
        const question = `The organization's monthly spend cap (${usd(cap_nanos ?? 0)}) is reached: ${usd(spent_nanos)} spent this month, next turn up to ${usd(outcome.next_turn_estimate_nanos)}. Raise this task's budget to let it go on past the cap, or stop?`;
        const callId = t.newCall(node, run.run_no, "budget", null, question);
        t.state.storage.kv.put(CAP_CALL, [...capCalls(t.state.storage.kv), callId]);
        node.waiting = { kind: "budget", call_id: callId, question, next_turn_nanos: outcome.next_turn_estimate_nanos, month_end: monthEndMs(this.org.month) };
      } else {
        // what the budget is checked against: the task's spend (or the agent's in it), not only this run's
        const hit = this.budgetHit.get(node.key) ?? { of: "the budget", spent_nanos: outcome.spent_nanos, limit_nanos: null };
        this.budgetHit.delete(node.key);
        const limit = hit.limit_nanos === null ? "" : ` of ${usd(hit.limit_nanos)}`;
        const question = `The next model turn could pass ${hit.of} (spent ${usd(hit.spent_nanos)}${limit}, next turn up to ${usd(outcome.next_turn_estimate_nanos)}). Raise the budget or stop?`;
        const callId = t.newCall(node, run.run_no, "budget", null, question);
        node.waiting = { kind: "budget", call_id: callId, question, ...(hit.limit_nanos === null ? {} : { limit_nanos: hit.limit_nanos }) };
      }
      saveNode(t.sql, node);
      t.emitStep(node);
    });
  }

  private onError(node: StoredNode, run: StoredRun, e: unknown): void {
    const t = this.t;
    const now = Date.now();
    const err = e instanceof StepError ? e : new StepError(e instanceof Error ? e.message : String(e), false);
    // a provider's error body may quote the key it was sent, or whatever a tool was given
    const message = this.org.mask(err.message);
    const policy = t.agentStep(node).retry ?? DEFAULT_RETRY;
    t.transact(() => {
      this.keepInterrupted(node.key, run);
      run.status = "failed";
      run.error = message;
      run.finished_at = now;
      this.saveRun(run);
      const attempt = attemptOf(Array.from({ length: node.runs }, (_, i) => t.runs.get(runKey(node.key, i + 1))?.status ?? "failed"));
      if (shouldRetry(err, attempt, policy)) {
        node.status = "pending";
        node.error = message;
        node.retry_at = now + backoffDelayMs(attempt, policy, Math.random, err.retryAfterMs);
        saveNode(t.sql, node);
        t.emitStep(node);
      } else {
        t.finishNode(node, "failed", null, message, now);
      }
    });
  }

  /**
   * Budgets: the task's own `max_cost` and the agent's, against what this task has spent (on that agent);
   * then the organization's monthly cap, unless a person let this task go past it.
   */
  private withinBudget(agentName: string, estimate: () => number, key: string): boolean {
    const t = this.t;
    const meta = t.meta!;
    if (meta.max_cost_nanos != null && t.totals.cost_nanos + estimate() > meta.max_cost_nanos) {
      this.budgetHit.set(key, { of: "the task's budget", spent_nanos: t.totals.cost_nanos, limit_nanos: meta.max_cost_nanos });
      return false;
    }
    const agentMax = meta.agents[agentName]?.max_cost_nanos;
    if (agentMax != null) {
      let spent = 0;
      for (const r of t.runs.values()) if (t.agentStep(t.node(r.node_key)).agent === agentName) spent += r.cost_nanos;
      if (spent + estimate() > agentMax) {
        this.budgetHit.set(key, { of: `agent ${agentName}'s budget`, spent_nanos: spent, limit_nanos: agentMax });
        return false;
      }
    }
    if (this.org.capped && this.org.overCap(this.ownMonthNanos(), estimate()) && t.state.storage.kv.get(CAP_WAIVED) === undefined) {
      this.capBlocked.add(key);
      return false;
    }
    return true;
  }

  /** This task's spend in the current month, by the day its runs started (as the spend ledger counts it). */
  private ownMonthNanos(): number {
    const t = this.t;
    const start = Date.parse(`${this.org.month}T00:00:00Z`);
    if (t.meta!.created_at >= start) return t.totals.cost_nanos;
    let n = 0;
    for (const r of t.runs.values()) if (r.started_at >= start) n += r.cost_nanos;
    return n;
  }

  /** The steps waiting on an organization cap question. */
  capWaiting(): StoredNode[] {
    const calls = capCalls(this.t.state.storage.kv);
    return [...this.t.nodes()].filter((n) => n.waiting?.kind === "budget" && calls.includes(n.waiting.call_id));
  }

  /**
   * Of the steps waiting on a cap question, those that may go on now the cap was raised or lifted, or a new month
   * began: those whose held-back turns fit under the cap with the month's spend read afresh (`go`). The others keep
   * their question (`stay`), looked at again when the month now read ends (`month_end`).
   */
  async capReleased(): Promise<{ go: StoredNode[]; stay: StoredNode[]; month_end: number }> {
    const waiting = this.capWaiting();
    if (!waiting.length) return { go: [], stay: [], month_end: 0 };
    await this.org.refresh(Date.now(), true);
    const own = this.ownMonthNanos();
    let next = 0;
    const go: StoredNode[] = [];
    const stay: StoredNode[] = [];
    for (const n of waiting) {
      const turn = n.waiting?.kind === "budget" ? (n.waiting.next_turn_nanos ?? 0) : 0;
      if (this.org.overCap(own, next + turn)) stay.push(n);
      else {
        next += turn;
        go.push(n);
      }
    }
    return { go, stay, month_end: monthEndMs(this.org.month) };
  }

  budgetAnswer(answers: string[], callId: string, reached?: number): RpcResult<"stop" | "raise"> {
    const t = this.t;
    const answer = parseBudgetAnswer(answers);
    if (answer?.kind === "stop") return { ok: true, value: "stop" };
    if (answer?.kind === "raise") {
      const usdValue = answer.usd;
      const nanos = Math.round(usdValue * 1e9);
      if (!Number.isFinite(usdValue) || nanos <= t.totals.cost_nanos || usdValue > MAX_BUDGET_USD) {
        return { ok: false, code: "unprocessable", message: `the new budget must be a number of USD above what is spent (${usd(t.totals.cost_nanos)}), at most ${MAX_BUDGET_USD}` };
      }
      if (reached !== undefined && nanos <= reached) {
        return { ok: false, code: "unprocessable", message: `the new budget must be above the budget this step reached (${usd(reached)})` };
      }
      const meta = t.meta!;
      const pastCap = callId !== undefined && capCalls(t.state.storage.kv).includes(callId);
      // past the monthly cap, the amount bounds how far this task goes past it. Otherwise a raise lowers nothing:
      // an agent's budget reached raises that agent's, not the task's if it is higher, nor makes one where there was none
      if (pastCap) meta.max_cost_nanos = nanos;
      else if (meta.max_cost_nanos != null) meta.max_cost_nanos = Math.max(meta.max_cost_nanos, nanos);
      for (const a of Object.values(meta.agents)) if (a.max_cost_nanos != null && a.max_cost_nanos < nanos) a.max_cost_nanos = nanos;
      t.persistMeta();
      if (pastCap) t.state.storage.kv.put(CAP_WAIVED, true);
      return { ok: true, value: "raise" };
    }
    return { ok: false, code: "unprocessable", message: 'a budget answer is ["stop"] or ["raise", "<usd>"]' };
  }

  /** A sub-task this step waited for has finished: its result becomes the tool call's result. */
  childFinished(node: StoredNode, child: { id: string; status: string; output: string | null; error?: string | null }): void {
    if (node.waiting?.kind !== "child") return;
    const why = child.error ? { error: child.error } : {};
    this.answerQuestion(node, node.runs, node.waiting.tool_call_id, JSON.stringify({ task_id: child.id, status: child.status, output: child.output, ...why }));
    node.waiting = null;
    saveNode(this.t.sql, node);
  }

  /** The text of a turn that was still streaming when its run stopped (cancelled, failed, timed out), kept for the trace. */
  keepInterrupted(key: string, run: StoredRun): void {
    const text = (this.live.get(key) ?? "") + (this.streams.get(key)?.drain() ?? "");
    if (text) this.t.state.storage.kv.put(interruptedKey(key, run.run_no), capResult(text).result);
  }

  answerQuestion(node: StoredNode, runNo: number, toolCallId: string, answer: string): void {
    const turns = loadTurns(this.t.sql, node.key, runNo);
    const turn = answerPending(turns, toolCallId, answer);
    saveTurn(this.t.sql, node.key, runNo, maskTurn(turn, this.org.mask));
  }

  /** The API's RunTrace: its schema is the one source of this shape. */
  trace(key: string, run: StoredRun): z.infer<typeof RunTrace> {
    const t = this.t;
    const node = t.node(key);
    const agent = t.meta!.agents[t.agentStep(node).agent];
    const turns = loadTurns(t.sql, key, run.run_no);
    return {
      step: key,
      run_no: run.run_no,
      status: run.status,
      agent: agent.name,
      model: agent.model,
      system_prompt: agent.system_prompt,
      started_at: new Date(run.started_at).toISOString(),
      finished_at: run.finished_at ? new Date(run.finished_at).toISOString() : null,
      error: run.error,
      feedback: run.feedback,
      // what its step's timeout bounds, so a run that timed out after waits or a restart can be read
      timeout_s: t.agentStep(node).timeout_s ?? DEFAULT_TIMEOUT_S,
      // a run stopped keeps its clock until its turn gives up: what was stored at the stop is its time
      worked_ms: run.status === "running" && this.clocks.get(key)?.run === run ? this.clocks.get(key)!.at(Date.now()) : run.worked_ms,
      // cache_write too: Anthropic prices it apart, and without it the run's cost cannot be worked out from its tokens
      tokens: { input: run.usage.input, cache: run.usage.cache, cache_write: run.usage.cache_write, output: run.usage.output, web_search: run.usage.web_search },
      searches: run.usage.searches,
      cost: run.cost_nanos / 1e9,
      live_text: run.status === "running" ? (this.live.get(key) ?? null) : null,
      interrupted_text: run.status === "running" ? null : (t.state.storage.kv.get<string>(interruptedKey(key, run.run_no)) ?? null),
      // the provider's own blocks are for sending back; what people read of them is in content and searches
      turns: turns.map(({ provider_content, ...tr }) => ({
        ...tr,
        started_at: new Date(tr.started_at).toISOString(),
        finished_at: new Date(tr.finished_at).toISOString(),
        tool_results: tr.tool_results.map(({ finished_at, ...r }) => ({ ...r, finished_at: finished_at === undefined ? null : new Date(finished_at).toISOString() })),
        cost: tr.cost_nanos / 1e9,
      })),
    };
  }
}

const interruptedKey = (key: string, runNo: number) => `interrupted_text:${key}#${runNo}`;

/** The call ids of the organization spend-cap questions, and whether a person let the task go past the cap. */
/** A turn is one SQLite row (2 MB at most), the first one holding the instructions it sent. */
export const MAX_INSTRUCTIONS_BYTES = 1_000_000;
const CAP_CALL = "spend_cap_call";
const CAP_WAIVED = "spend_cap_waived";

/** Parallel steps each ask: a raise answering any of them lets the task past the cap. Objects from before kept one id. */
function capCalls(kv: SyncKvStorage): string[] {
  const v = kv.get<string | string[]>(CAP_CALL);
  return v === undefined ? [] : typeof v === "string" ? [v] : v;
}
const TEXT_FLUSH_MS = 100;
// a task stream carries an event of ~225 KB but ends at ~262 KB; 32K characters are at most 192 KB even written as \uXXXX
const TEXT_EVENT_CHARS = 32 * 1024;

/**
 * Coalesces a model's streamed text into a few events a second (each event is a storage write), masked as the
 * whole turn's text is: a secret split between two pieces is held back until it can be masked whole.
 */
class TextStream {
  private buffer = "";
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly masked: LiveMask;

  constructor(
    mask: Masker,
    private readonly emit: (delta: string) => void,
  ) {
    this.masked = new LiveMask(mask);
  }

  push(delta: string): void {
    this.buffer += delta;
    this.timer ??= setTimeout(() => this.flush(), TEXT_FLUSH_MS);
  }

  /** `last`: the turn was cut off, so what is held back goes out too. */
  flush(last = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const delta = this.masked.push(this.buffer) + (last ? this.masked.end() : "");
    this.buffer = "";
    // each event is a row of the task's SQLite, which refuses a value past 2 MB: a burst goes out in pieces
    for (let i = 0; i < delta.length; ) {
      let end = Math.min(delta.length, i + TEXT_EVENT_CHARS);
      // never between the two halves of a character
      if (end < delta.length && /[\uD800-\uDBFF]/.test(delta[end - 1])) end--;
      this.emit(delta.slice(i, end));
      i = end;
    }
  }

  /** What is not sent yet, masked, for a run stopped mid-turn; nothing more is sent. */
  drain(): string {
    const rest = this.masked.push(this.buffer) + this.masked.end();
    this.close();
    return rest;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.buffer = "";
    this.masked.reset();
  }
}
/** Six decimals, and every one needed below a millionth of a dollar: a budget of $0.00000001 read as $0.000000. */
const usd = (nanos: number) => `$${nanos > 0 && nanos < 1000 ? usdDecimal(nanos) : (nanos / 1e9).toFixed(6)}`;
