import { type Price, costNanos } from "./cost";
import { tokensOf } from "./tokens";
import type { TurnRecord } from "./turn";
import type { Message, ToolSpec } from "./types";

/** Output tokens assumed for a first turn, before any turn has shown how much this agent writes. */
export const FIRST_TURN_OUTPUT_ESTIMATE = 500;

/**
 * What the next turn could cost: its whole prompt (~4 bytes a token) priced as uncached input, and as much
 * output and web search as the previous turn had; a first turn that may search, one search (its fee alone can be
 * many times the turn's tokens: a budget of $0.0005 was spent twice over by a first turn that searched).
 */
export function estimateTurnNanos(messages: Message[], tools: ToolSpec[], previous: TurnRecord | undefined, price: Price): number {
  const input = tokensOf(JSON.stringify(messages)) + (tools.length ? tokensOf(JSON.stringify(tools)) : 0);
  return costNanos(
    {
      input,
      cache: 0,
      cache_write: 0,
      output: previous ? previous.usage.output : FIRST_TURN_OUTPUT_ESTIMATE,
      web_search: previous?.usage.web_search ?? 0,
      searches: previous ? previous.usage.searches : tools.some((t) => t.name === "web_search" || t.native === "web_search") ? 1 : 0,
    },
    price,
  );
}
