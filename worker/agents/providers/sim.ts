import { sleep } from "../abort";
import type { Price } from "../cost";
import { DEFAULT_PRICES } from "../pricing-defaults";
import { tokensOf } from "../tokens";
import { offlineResults } from "../tools/web-search";
import { type ModelRequest, type ModelResponse, type Provider, StepError, type ToolCall, zeroUsage } from "../types";
import { type SimScript, parseSimScript } from "./sim-script";
import { simOutputTokens, simPromptTokens } from "./sim-tokens";

export const simPrice: Price = DEFAULT_PRICES.sim;

/**
 * The offline, deterministic model. It reads directives from the first user message (see DESIGN.md, "The sim
 * model"); the turn it is on is the number of assistant messages already in the conversation.
 */
export const simProvider: Provider = {
  async call(req: ModelRequest): Promise<ModelResponse> {
    const script = parseSimScript(req.messages.find((m) => m.role === "user")?.content ?? "");
    const turn = req.messages.filter((m) => m.role === "assistant").length;
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
      const call: ToolCall = { id: `sim_call_${turn + 1}`, name: "web_search", arguments: { query: action.query } };
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
          ? { id: `sim_call_${turn + 1}`, name: "ask_human", arguments: { question: action.question } }
          : { id: `sim_call_${turn + 1}`, name: action.name, arguments: action.args };
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
