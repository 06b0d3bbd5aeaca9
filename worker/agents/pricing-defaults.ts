import { type Price, usdToMicros } from "./cost";

type UsdPrice = { [K in keyof Price]?: number } & { input: number; output: number };

/**
 * Editable defaults in USD per 1M tokens (`per_search` USD per search), list prices as published by the vendors.
 * An organization's own pricing rows override these.
 */
const DEFAULTS_USD: Record<string, UsdPrice> = {
  sim: { input: 0.1, cache: 0.01, output: 0.4, web_search: 0.1, per_search: 0.001 },
  "openai:gpt-4o": { input: 2.5, cache: 1.25, output: 10 },
  "openai:gpt-4o-mini": { input: 0.15, cache: 0.075, output: 0.6 },
  "openai:gpt-4.1": { input: 2, cache: 0.5, output: 8 },
  "openai:gpt-4.1-mini": { input: 0.4, cache: 0.1, output: 1.6 },
  "openai:gpt-4.1-nano": { input: 0.1, cache: 0.025, output: 0.4 },
  // GPT-5 and later: OpenAI's model pages (developers.openai.com/api/docs/models), cached input a tenth of input
  "openai:gpt-5": { input: 1.25, cache: 0.125, output: 10 },
  "openai:gpt-5-mini": { input: 0.25, cache: 0.025, output: 2 },
  "openai:gpt-5-nano": { input: 0.05, cache: 0.005, output: 0.4 },
  // without it, gpt-5-pro would take gpt-5's price, a twelfth of its own; it has no cached-input discount
  "openai:gpt-5-pro": { input: 15, cache: 15, output: 120 },
  "openai:gpt-5.2": { input: 1.75, cache: 0.175, output: 14 },
  "openai:gpt-5.4": { input: 2.5, cache: 0.25, output: 15 },
  "openai:gpt-5.4-mini": { input: 0.75, cache: 0.075, output: 4.5 },
  "openai:gpt-5.4-nano": { input: 0.2, cache: 0.02, output: 1.25 },
  "openai:o3": { input: 2, cache: 0.5, output: 8 },
  "openai:o4-mini": { input: 1.1, cache: 0.275, output: 4.4 },
  "anthropic:claude-opus-4": { input: 15, cache: 1.5, cache_write: 18.75, output: 75, per_search: 0.01 },
  // from 4.5 on, Opus costs a third of what 4 and 4.1 do; without these they would take the family's price
  "anthropic:claude-opus-4-5": { input: 5, cache: 0.5, cache_write: 6.25, output: 25, per_search: 0.01 },
  "anthropic:claude-opus-4-6": { input: 5, cache: 0.5, cache_write: 6.25, output: 25, per_search: 0.01 },
  "anthropic:claude-opus-4-7": { input: 5, cache: 0.5, cache_write: 6.25, output: 25, per_search: 0.01 },
  "anthropic:claude-sonnet-4": { input: 3, cache: 0.3, cache_write: 3.75, output: 15, per_search: 0.01 },
  "anthropic:claude-3-7-sonnet": { input: 3, cache: 0.3, cache_write: 3.75, output: 15, per_search: 0.01 },
  "anthropic:claude-3-5-sonnet": { input: 3, cache: 0.3, cache_write: 3.75, output: 15, per_search: 0.01 },
  "anthropic:claude-haiku-4-5": { input: 1, cache: 0.1, cache_write: 1.25, output: 5, per_search: 0.01 },
  "anthropic:claude-3-5-haiku": { input: 0.8, cache: 0.08, cache_write: 1, output: 4, per_search: 0.01 },
};

const toMicros = (p: UsdPrice): Price => ({
  input: usdToMicros(p.input),
  cache: usdToMicros(p.cache ?? 0),
  cache_write: usdToMicros(p.cache_write ?? 0),
  output: usdToMicros(p.output),
  web_search: usdToMicros(p.web_search ?? 0),
  per_search: usdToMicros(p.per_search ?? 0),
});

export const DEFAULT_PRICES: Readonly<Record<string, Price>> = Object.fromEntries(
  Object.entries(DEFAULTS_USD).map(([model, p]) => [model, toMicros(p)]),
);

/**
 * The price of an agent model (`sim`, `openai:<m>`, `anthropic:<m>`): that of the longest priced name the model is
 * or starts with (`<name>-`), the organization's over the default for the same name. So a dated snapshot
 * (`claude-sonnet-4-20250514`) takes its family's price, the organization's included, while a model with a longer
 * name of its own (`gpt-4o-mini` beside `gpt-4o`) keeps its own.
 */
export function priceOf(model: string, own: ReadonlyMap<string, Price>): { price: Price; source: "organization" | "default" } | undefined {
  let best: string | undefined;
  for (const known of [...own.keys(), ...Object.keys(DEFAULT_PRICES)]) {
    if ((model === known || model.startsWith(`${known}-`)) && (!best || known.length > best.length)) best = known;
  }
  if (best === undefined) return undefined;
  const o = own.get(best);
  return o ? { price: o, source: "organization" } : { price: { ...DEFAULT_PRICES[best] }, source: "default" };
}

const NONE: ReadonlyMap<string, Price> = new Map();

/** The built-in default price of an agent model, by the same rule. */
export const defaultPrice = (model: string): Price | undefined => priceOf(model, NONE)?.price;
