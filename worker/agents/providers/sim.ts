import { sleep } from "../abort";
import type { Price } from "../cost";
import { DEFAULT_PRICES } from "../pricing-defaults";
import { tokensOf } from "../tokens";
import { offlineResults } from "../tools/web-search";
import { type Message, type ModelRequest, type ModelResponse, type Provider, StepError, type ToolCall, zeroUsage } from "../types";
import { type SimScript, parseSimScript } from "./sim-script";
import { simOutputTokens, simPromptTokens } from "./sim-tokens";

export const simPrice: Price = DEFAULT_PRICES.sim;

/**
 * The offline, deterministic model. It reads directives from the first user message (see DESIGN.md, "The sim
 * model"); the turn it is on is the number of assistant messages already in the conversation (after a
 * reviewer's feedback, since that message).
 */
export const simProvider: Provider = {
  async call(req: ModelRequest): Promise<ModelResponse> {
    const { script, turn } = scriptAndTurn(req.messages);
    // unique in the whole conversation, which a reviewer's feedback continues
    const callId = `sim_call_${req.messages.filter((m) => m.role === "assistant").length + 1}`;
    // A final answer with a listener streams its text across the delay, as a real model would.
    const streams = req.onText !== undefined && script.delayMs > 0 && !script.actions[turn];
    if (script.delayMs > 0 && !streams) await sleep(script.delayMs, req.signal);
    if (script.fail && turn === script.fail.at) {
      if (!script.fail.transient) throw new StepError("sim: permanent failure (@fail permanent)", false);
      if (req.runNo <= script.fail.runs) throw new StepError(`sim: transient failure on run ${req.runNo} (@fail transient ${script.fail.runs})`, true);
    }
    const prompt = simPromptTokens(req.messages, req.tools);
    const action = script.actions[turn];
    const usage = { ...zeroUsage(), ...prompt };

    // a model searches itself only when the agent offers it web search; otherwise it can only ask for the tool,
    // which the agent then refuses, as for any tool it does not have
    if (action?.kind === "search" && !req.tools.some((t) => t.native === "web_search")) {
      const call: ToolCall = { id: callId, name: "web_search", arguments: { query: action.query } };
      usage.output = simOutputTokens("", [call]);
      return { content: "", tool_calls: [call], usage, searches: [] };
    }
    if (action?.kind === "search") {
      const results = offlineResults(action.query);
      usage.output = simOutputTokens("", [], action.query);
      usage.web_search = tokensOf(JSON.stringify(results));
      usage.searches = 1;
      return { content: "", tool_calls: [], usage, searches: [{ query: action.query, results }], paused: true };
    }
    if (action) {
      const call: ToolCall =
        action.kind === "ask"
          ? { id: callId, name: "ask_human", arguments: { question: action.question } }
          : { id: callId, name: action.name, arguments: action.args };
      usage.output = simOutputTokens("", [call]);
      return { content: "", tool_calls: [call], usage, searches: [] };
    }
    const content = script.output ?? summary(script);
    if (streams) await streamText(content, script.delayMs, req.onText!, req.signal);
    else req.onText?.(content);
    usage.output = simOutputTokens(content, []);
    return { content, tool_calls: [], usage, searches: [] };
  },
};

/**
 * The instructions script the model, turn by turn. A later user message (a reviewer's feedback) scripts the turns
 * after it with its own `@ask`, `@tool`, `@search` and `@fail` lines; without them the model answers at once.
 */
function scriptAndTurn(messages: Message[]): { script: SimScript; turn: number } {
  const users = messages.filter((m) => m.role === "user");
  const first = parseSimScript(users[0]?.content ?? "");
  const assistants = (from: number) => messages.slice(from).filter((m) => m.role === "assistant").length;
  if (users.length < 2) return { script: first, turn: assistants(0) };
  const last = users.at(-1)!;
  const later = parseSimScript(last.content);
  const script = { ...first, actions: later.actions, fail: later.fail, output: later.output ?? first.output, delayMs: later.delayMs || first.delayMs };
  return { script, turn: assistants(messages.lastIndexOf(last)) };
}

const SUMMARY_CHARS = 200;
const STREAM_CHUNKS = 8;

async function streamText(content: string, delayMs: number, onText: (d: string) => void, signal: AbortSignal): Promise<void> {
  const words = content.split(/(?<=\s)/);
  const per = Math.max(1, Math.ceil(words.length / STREAM_CHUNKS));
  const chunks = Math.ceil(words.length / per);
  for (let i = 0; i < chunks; i++) {
    await sleep(delayMs / chunks, signal);
    onText(words.slice(i * per, (i + 1) * per).join(""));
  }
}

function summary(script: SimScript): string {
  if (!script.text) return "Done.";
  const chars = [...script.text];
  const text = chars.length > SUMMARY_CHARS ? `${chars.slice(0, SUMMARY_CHARS).join("")}…` : script.text;
  return `Done: ${text}`;
}
