import type { Usage } from "./types";

/** Integer micro-USD per 1M tokens; `per_search` is micro-USD per search. */
export interface Price {
  input: number;
  cache: number;
  cache_write: number;
  output: number;
  web_search: number;
  per_search: number;
}

export const zeroPrice = (): Price => ({ input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0, per_search: 0 });

/**
 * Cost in integer nano-USD. Tokens × micro-USD-per-1M is pico-USD, so dividing by 1000 gives nano-USD;
 * rounding happens once per turn and searches are exact.
 */
export function costNanos(u: Usage, p: Price): number {
  const tokenPicos = u.input * p.input + u.cache * p.cache + u.cache_write * p.cache_write + u.output * p.output + u.web_search * p.web_search;
  return Math.round(tokenPicos / 1000) + u.searches * p.per_search * 1000;
}

/** USD (as given to the pricing API, per 1M tokens or per search) to integer micro-USD. */
export const usdToMicros = (usd: number): number => Math.round(usd * 1e6);

export const microsToUsd = (micros: number): number => micros / 1e6;

export const nanosToUsd = (nanos: number): number => nanos / 1e9;

/** USD from nanodollars as a plain decimal: String(9e-9) would write `9e-9`, which not every reader of a CSV takes for a number. */
export function usdDecimal(nanos: number): string {
  const sign = nanos < 0 ? "-" : "";
  const n = Math.abs(Math.round(nanos));
  const fraction = String(n % 1e9).padStart(9, "0").replace(/0+$/, "");
  return `${sign}${Math.floor(n / 1e9)}${fraction ? `.${fraction}` : ""}`;
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    cache: a.cache + b.cache,
    cache_write: a.cache_write + b.cache_write,
    output: a.output + b.output,
    web_search: a.web_search + b.web_search,
    searches: a.searches + b.searches,
  };
}
