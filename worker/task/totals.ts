import type { Usage } from "../agents/types";
import { zeroUsage } from "../agents/types";

export interface Totals {
  usage: Usage;
  cost_nanos: number;
}

export const zeroTotals = (): Totals => ({ usage: zeroUsage(), cost_nanos: 0 });

export function addInto(into: Totals, usage: Usage, cost_nanos: number): void {
  into.usage.input += usage.input;
  into.usage.cache += usage.cache;
  into.usage.cache_write += usage.cache_write;
  into.usage.output += usage.output;
  into.usage.web_search += usage.web_search;
  into.usage.searches += usage.searches;
  into.cost_nanos += cost_nanos;
}

export { nanosToUsd } from "../agents/cost";

export const tokensView = (u: Usage) => ({ input: u.input, cache: u.cache, cache_write: u.cache_write, output: u.output, web_search: u.web_search });
