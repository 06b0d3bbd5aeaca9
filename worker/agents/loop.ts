import { estimateTurnNanos } from "./budget";
import { type Price, costNanos } from "./cost";
import { parseModel } from "./providers";
import { capResult } from "./tools/cap";
import { type RenamedTool, type ToolHost, type ToolResult, isSuspension } from "./tools/host";
import { type ToolResultRecord, type TurnRecord, conversationOf, isFinal } from "./turn";
import { boundAnswer } from "./turn-size";
import { type Message, type Provider, StepError, type ToolCall, type ToolSpec, zeroUsage } from "./types";

export type { ToolResultRecord, TurnRecord } from "./turn";

export interface AgentConfig {
  id: string;
  name: string;
  model: string;
  system_prompt: string;
  tools: string[];
  max_turns: number;
  /** the agent's own bound on a turn's tool calls, under the instance's (absent in tasks made before it existed) */
  max_tool_calls_per_turn?: number | null;
}

export type LoopOutcome =
  | { kind: "completed"; output: string }
  | { kind: "ask"; call_id: string; question: string }
  /** `call`: the call within the step, `<run>/<turn>/<call id>`, the run the one that made the turn (a retry carries it) */
  | { kind: "spawn"; call_id: string; call: string; args: Record<string, unknown> }
  /** `spent_nanos` is what this run has spent so far */
  | { kind: "budget"; spent_nanos: number; next_turn_estimate_nanos: number };

export interface LoopOptions {
  agent: AgentConfig;
  instructions: string;
  runNo: number;
  /** this run's stored turns, oldest first: the loop resumes after them */
  turns: TurnRecord[];
  /** A person's reply to a carried final answer (a reviewer's feedback): the conversation goes on from it rather than ending there. */
  followUp?: string;
  provider: Provider;
  tools: ToolHost;
  price: Price;
  /** called after the model answers and after each tool result; the caller writes the turn durably before returning */
  saveTurn(t: TurnRecord): void | Promise<void>;
  /** false stops the loop with a `budget` outcome instead of the turn */
  /** The estimate is worked out only if asked for: most runs have no budget to check it against. */
  checkBudget(nextTurnEstimateNanos: () => number): boolean;
  signal: AbortSignal;
  onText?(delta: string): void;
  now?(): number;
  /** tool calls one turn may have run (default MAX_TOOL_CALLS_PER_TURN); the rest get an error result instead */
  maxToolCallsPerTurn?: number;
}

export const MAX_TOOL_CALLS_PER_TURN = 32;

/** `MAX_TOOL_CALLS_PER_TURN` from the environment: a whole number from 1, else the default. */
export function toolCallCap(value: string | undefined): number {
  const n = Number(value);
  return value?.trim() && Number.isInteger(n) && n >= 1 ? n : MAX_TOOL_CALLS_PER_TURN;
}

/** What a turn of `agent` may run: its own bound where it sets one, never past the instance's. */
export const toolCallLimit = (agent: Pick<AgentConfig, "max_tool_calls_per_turn">, instanceCap: number): number =>
  agent.max_tool_calls_per_turn ? Math.min(agent.max_tool_calls_per_turn, instanceCap) : instanceCap;

/**
 * Runs an agent until it answers, asks a person, spawns a sub-task or would pass its budget. Resumable: the
 * conversation is rebuilt from `turns`, and only tool calls without a stored result are run.
 */
export async function runAgentLoop(o: LoopOptions): Promise<LoopOutcome> {
  const now = o.now ?? Date.now;
  const model = parseModel(o.agent.model).name;
  const turns = [...o.turns];
  let specs: ToolSpec[] | undefined;
  /** tools offered under another name: said on the turn they were first offered in */
  let renamed: RenamedTool[] | undefined;
  for (;;) {
    const last = turns.at(-1);
    // a run resumed after its failed answer was kept (a restart before the run was marked failed) fails as it did
    if (last?.failed !== undefined) throw new StepError(last.failed, true);
    if (last?.oversize !== undefined) throw oversizeError(last);
    if (last && isCutOff(last)) throw cutOffError(last);
    if (last && isRefused(last)) throw refusedError(last);
    const followUp = last && isFinal(last) && last.carried_from !== undefined ? o.followUp : undefined;
    if (last && isFinal(last) && followUp === undefined) return { kind: "completed", output: last.content };
    // turns carried from a failed run were that run's: a retry has all of its own
    if (turns.filter((t) => t.carried_from === undefined).length >= o.agent.max_turns) {
      throw new StepError(`the agent used all of its ${o.agent.max_turns} turns without a final answer`, false);
    }
    if (last) {
      const suspended = await finishToolCalls(turns, o, now);
      if (suspended) return suspended;
    }
    if (!specs) {
      specs = await o.tools.specs(o.signal);
      renamed = o.tools.renamed?.();
    }
    const sent: Message[] = !turns.length ? firstMessages(o.agent, o.instructions) : followUp !== undefined ? [{ role: "user", content: followUp }] : [];
    const messages = [...conversationOf(turns, firstMessages(o.agent, o.instructions)), ...sent];
    let estimate: number | undefined;
    const estimateNow = () => (estimate ??= estimateTurnNanos(messages, specs!, last, o.price));
    if (!o.checkBudget(estimateNow)) {
      return { kind: "budget", spent_nanos: turns.reduce((s, t) => s + t.cost_nanos, 0), next_turn_estimate_nanos: estimateNow() };
    }
    o.signal.throwIfAborted();
    const started_at = now();
    const answered = await o.provider.call({ model, messages, tools: specs, runNo: o.runNo, signal: o.signal, onText: o.onText }).catch(async (e: unknown) => {
      // an answer the provider failed after saying what it used is billed: its turn is kept for its tokens and cost
      if (e instanceof StepError && e.spent && Object.values(e.spent).some(Boolean)) {
        const at = now();
        await o.saveTurn({ turn_no: turns.length + 1, started_at, finished_at: at, sent, content: "", tool_calls: [], tool_results: [], searches: [], failed: e.message, usage: e.spent, cost_nanos: costNanos(e.spent, o.price) });
      }
      throw e;
    });
    const finished_at = now();
    // an answer too large to keep is kept cut, for its tokens and cost to count, and fails the run below
    const bounded = boundAnswer(answered);
    const res = bounded?.answer ?? answered;
    const calls = distinctCallIds(res.tool_calls, turns.length + 1);
    const turn: TurnRecord = {
      turn_no: turns.length + 1,
      started_at,
      finished_at,
      sent,
      content: res.content,
      tool_calls: calls,
      tool_results: bounded ? notRun(calls, bounded.oversize, finished_at) : toolResultsOf(calls, o.maxToolCallsPerTurn ?? MAX_TOOL_CALLS_PER_TURN, finished_at),
      searches: res.searches,
      ...(res.paused ? { paused: true } : {}),
      ...(res.provider_content ? { provider_content: res.provider_content } : {}),
      ...(res.cut_off ? { cut_off: res.cut_off } : {}),
      ...(res.refused ? { refused: res.refused } : {}),
      ...(bounded ? { oversize: bounded.oversize } : {}),
      ...(renamed?.length ? { renamed_tools: renamed } : {}),
      usage: res.usage,
      cost_nanos: costNanos(res.usage, o.price),
    };
    renamed = undefined;
    await o.saveTurn(turn);
    turns.push(turn);
  }
}

/** A tool call cut off is not run (`invalidArguments`) and the model is told; a cut-off answer cannot become the step's output. */
const isCutOff = (t: TurnRecord): boolean => t.cut_off !== undefined && t.tool_calls.length === 0;

const cutOffError = (t: TurnRecord) =>
  new StepError(
    `the model's answer was cut off at its output token limit (${t.cut_off}) after ${t.usage.output} output tokens, so it is not taken as the step's output; turn ${t.turn_no} of the trace holds what it wrote`,
    false,
  );

const oversizeError = (t: TurnRecord) =>
  new StepError(
    `the model's answer is ${t.oversize}, so it is neither the step's output nor are its tool calls run; turn ${t.turn_no} of the trace holds it cut to fit`,
    false,
  );

const isRefused = (t: TurnRecord): boolean => t.refused !== undefined && t.tool_calls.length === 0;

const refusedError = (t: TurnRecord) =>
  new StepError(`the provider stopped the model's answer (${t.refused}), so it is not taken as the step's output; turn ${t.turn_no} of the trace holds what it wrote`, false);

function firstMessages(agent: AgentConfig, instructions: string): Message[] {
  const sent: Message[] = agent.system_prompt ? [{ role: "system", content: agent.system_prompt }] : [];
  sent.push({ role: "user", content: instructions });
  return sent;
}

/** Runs the last turn's unfinished tool calls in order, saving after each; stops at the first that suspends. */
async function finishToolCalls(turns: TurnRecord[], o: LoopOptions, now: () => number): Promise<LoopOutcome | undefined> {
  const i = turns.length - 1;
  for (const pending of turns[i].tool_results.filter((r) => r.result === null)) {
    const call = turns[i].tool_calls.find((c) => c.id === pending.call_id);
    if (!call) throw new StepError(`turn ${turns[i].turn_no} has a result for an unknown call ${pending.call_id}`, false);
    const out = call.invalid_arguments === undefined ? await o.tools.execute(call, o.signal) : invalidArguments(call.invalid_arguments);
    if (isSuspension(out)) {
      if (out.suspend === "ask") return { kind: "ask", call_id: call.id, question: out.question };
      return { kind: "spawn", call_id: call.id, call: `${turns[i].carried_from ?? o.runNo}/${turns[i].turn_no}/${call.id}`, args: out.args };
    }
    turns[i] = withResult(turns[i], call.id, {
      result: out.result,
      ...(out.truncated ? { truncated: true } : {}),
      ...(out.error ? { error: out.error } : {}),
      finished_at: now(),
    });
    if (out.searches) turns[i] = withSearches(turns[i], out.searches, o.price);
    await o.saveTurn(turns[i]);
  }
  return undefined;
}

/**
 * The calls with an id each of its own: results are matched to calls by id, and some compatible servers send every
 * call of a turn the same id, or none. An id given twice or blank gets a new one, which the conversation sent back
 * then uses for both the call and its result.
 */
export function distinctCallIds(calls: ToolCall[], turnNo: number): ToolCall[] {
  const taken = new Set<string>();
  return calls.map((c, i) => {
    let id = c.id.trim() ? c.id : `call_${turnNo}_${i + 1}`;
    for (let n = 2; taken.has(id); n++) id = `${c.id.trim() || "call"}_${turnNo}_${i + 1}${n > 2 ? `_${n}` : ""}`;
    taken.add(id);
    return id === c.id ? c : { ...c, id };
  });
}

/**
 * A result slot per call, to be filled as each runs. Calls past `max` are not run: each is answered at once with an
 * error saying so (the providers want a result for every call), so the model can ask again for what it still needs.
 */
function toolResultsOf(calls: ToolCall[], max: number, at: number): ToolResultRecord[] {
  return calls.map((c, i) => {
    if (i < max) return { call_id: c.id, name: c.name, result: null };
    const error = `not run: the turn asked for ${calls.length} tool calls and a turn may make at most ${max}, so only the first ${max} were run; ask again for the rest`;
    return { call_id: c.id, name: c.name, result: `error: ${error}`, error, finished_at: at };
  });
}

/** The calls of an answer too large to keep: none is run, and each says why. */
function notRun(calls: ToolCall[], oversize: string, at: number): ToolResultRecord[] {
  const error = `not run: the answer that asked for it is ${oversize}`;
  return calls.map((c) => ({ call_id: c.id, name: c.name, result: `error: ${error}`, error, finished_at: at }));
}

const SHOWN_ARGUMENT_CHARS = 200;

/** A call whose arguments are not a JSON object is not run: running it with none could do what the model never asked. */
function invalidArguments(raw: string): ToolResult {
  const shown = raw.length > SHOWN_ARGUMENT_CHARS ? `${raw.slice(0, SHOWN_ARGUMENT_CHARS)}…` : raw;
  const error = `the arguments are not a JSON object, so the tool was not run: ${JSON.stringify(shown)}`;
  return { result: `error: ${error}`, error };
}

function withResult(turn: TurnRecord, callId: string, done: { result: string; truncated?: boolean; error?: string; finished_at: number }): TurnRecord {
  return { ...turn, tool_results: turn.tool_results.map((r) => (r.call_id === callId ? { ...r, ...done } : r)) };
}

/** A search run as a tool call is the turn's, as a provider's own search is: counted and priced with the turn's usage. */
function withSearches(turn: TurnRecord, searches: number, price: Price): TurnRecord {
  const usage = { ...turn.usage, searches: turn.usage.searches + searches };
  return { ...turn, usage, cost_nanos: turn.cost_nanos + costNanos({ ...zeroUsage(), searches }, price) };
}

/** Fills a suspended call's result (a person's answer, a spawned task's id); the caller stores the returned turn. */
export function answerPending(turns: TurnRecord[], call_id: string, answer: string, now = Date.now()): TurnRecord {
  for (let i = turns.length - 1; i >= 0; i--) {
    const r = turns[i].tool_results.find((x) => x.call_id === call_id);
    if (!r) continue;
    if (r.result !== null) throw new StepError(`call ${call_id} is already answered`, false);
    const capped = capResult(answer);
    return withResult(turns[i], call_id, { ...capped, finished_at: now });
  }
  throw new StepError(`no call ${call_id} waits for an answer`, false);
}
