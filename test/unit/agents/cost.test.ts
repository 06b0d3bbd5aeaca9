import { describe, expect, it } from "vitest";
import { costNanos, microsToUsd, usdDecimal, usdToMicros } from "../../../worker/agents/cost";
import { DEFAULT_PRICES, defaultPrice, priceOf } from "../../../worker/agents/pricing-defaults";
import { simPrice } from "../../../worker/agents/providers/sim";

const usage = (u: Partial<Record<"input" | "cache" | "cache_write" | "output" | "web_search" | "searches", number>>) => ({
  input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0, searches: 0, ...u,
});

describe("costNanos", () => {
  it("prices every token kind and each search, in integer nano-USD", () => {
    // gpt-4o-like prices: $2.50 in, $1.25 cached, $3.75 cache write, $10 out, $0.10 search tokens per 1M; $0.01 a search
    const price = { input: 2_500_000, cache: 1_250_000, cache_write: 3_750_000, output: 10_000_000, web_search: 100_000, per_search: 10_000 };
    // $0.0025 + $0.000625 + $0.00075 + $0.003 + $0.00001 + 2 × $0.01 = $0.026885
    expect(costNanos(usage({ input: 1000, cache: 500, cache_write: 200, output: 300, web_search: 100, searches: 2 }), price)).toBe(26_885_000);
  });

  it("rounds the token part to the nearest nano-USD", () => {
    const price = { input: 1, cache: 0, cache_write: 0, output: 0, web_search: 0, per_search: 0 };
    expect(costNanos(usage({ input: 499 }), price)).toBe(0);
    expect(costNanos(usage({ input: 500 }), price)).toBe(1);
    expect(costNanos(usage({ input: 1500 }), price)).toBe(2);
  });

  it("is zero for zero usage", () => {
    expect(costNanos(usage({}), simPrice)).toBe(0);
  });
});

describe("prices", () => {
  it("converts USD to integer micro-USD and back", () => {
    expect(usdToMicros(0.075)).toBe(75_000);
    expect(usdToMicros(18.75)).toBe(18_750_000);
    expect(microsToUsd(275_000)).toBe(0.275);
  });

  it("gives sim a small non-zero default price", () => {
    expect(simPrice).toEqual({ input: 100_000, cache: 10_000, cache_write: 0, output: 400_000, web_search: 100_000, per_search: 1_000 });
    expect(defaultPrice("sim")).toEqual(simPrice);
  });

  it("finds a model's family by its longest known name", () => {
    expect(defaultPrice("openai:gpt-4o-mini-2024-07-18")).toEqual({ input: 150_000, cache: 75_000, cache_write: 0, output: 600_000, web_search: 0, per_search: 0 });
    expect(defaultPrice("openai:gpt-4o")).toEqual(DEFAULT_PRICES["openai:gpt-4o"]);
    expect(defaultPrice("openai:gpt-4o")?.input).toBe(2_500_000);
    expect(defaultPrice("openai:gpt-4.1-mini")?.output).toBe(1_600_000);
    expect(defaultPrice("anthropic:claude-sonnet-4-20250514")).toEqual({ input: 3_000_000, cache: 300_000, cache_write: 3_750_000, output: 15_000_000, web_search: 0, per_search: 10_000 });
    expect(defaultPrice("anthropic:claude-3-5-haiku-latest")?.input).toBe(800_000);
  });

  it("prices Opus 4.5 and later at their own rates, not at the Opus 4 family's three times higher ones", () => {
    const opus45 = { input: 5_000_000, cache: 500_000, cache_write: 6_250_000, output: 25_000_000, web_search: 0, per_search: 10_000 };
    for (const model of ["claude-opus-4-5", "claude-opus-4-5-20251101", "claude-opus-4-6", "claude-opus-4-7"]) expect(defaultPrice(`anthropic:${model}`)).toEqual(opus45);
    expect(defaultPrice("anthropic:claude-opus-4-1-20250805")).toEqual(DEFAULT_PRICES["anthropic:claude-opus-4"]);
  });

  it("prices the GPT-5 models by their own names and dated snapshots, a point release apart from its family", () => {
    const usd = (m: string) => {
      const p = defaultPrice(`openai:${m}`);
      return p && [p.input, p.cache, p.output].map((micros) => micros / 1e6);
    };
    expect(usd("gpt-5")).toEqual([1.25, 0.125, 10]);
    expect(usd("gpt-5-2025-08-07")).toEqual([1.25, 0.125, 10]);
    expect(usd("gpt-5-mini-2025-08-07")).toEqual([0.25, 0.025, 2]);
    expect(usd("gpt-5-nano")).toEqual([0.05, 0.005, 0.4]);
    expect(usd("gpt-5-pro")).toEqual([15, 15, 120]);
    expect(usd("gpt-5.4")).toEqual([2.5, 0.25, 15]);
    expect(usd("gpt-5.4-mini")).toEqual([0.75, 0.075, 4.5]);
    // a point release is its own model: not gpt-5's family, and unpriced until listed
    expect(usd("gpt-5.9")).toBeUndefined();
  });

  it("gives a dated snapshot its family's organization price, unless a longer name (the organization's or a default) is closer", () => {
    const own = (input: number) => ({ input, cache: 0, cache_write: 0, output: 0, web_search: 0, per_search: 0 });
    const prices = new Map([["anthropic:claude-sonnet-4", own(1)], ["openai:gpt-4o", own(2)], ["openai:gpt-9", own(3)], ["openai:gpt-9-mini-2026-01-01", own(4)]]);
    expect(priceOf("anthropic:claude-sonnet-4-20250514", prices)).toEqual({ price: own(1), source: "organization" });
    expect(priceOf("openai:gpt-4o-2024-08-06", prices)).toEqual({ price: own(2), source: "organization" });
    // gpt-4o-mini is its own model, with its own default: the organization's gpt-4o is not its family
    expect(priceOf("openai:gpt-4o-mini-2024-07-18", prices)).toEqual({ price: DEFAULT_PRICES["openai:gpt-4o-mini"], source: "default" });
    expect(priceOf("openai:gpt-9-mini", prices)).toEqual({ price: own(3), source: "organization" });
    expect(priceOf("openai:gpt-9-mini-2026-01-01", prices)).toEqual({ price: own(4), source: "organization" });
    expect(priceOf("openai:gpt-9x", prices)).toBeUndefined();
    expect(priceOf("anthropic:claude-opus-4-1", prices)).toEqual({ price: DEFAULT_PRICES["anthropic:claude-opus-4"], source: "default" });
  });

  it("has no default for unknown models or look-alike names", () => {
    expect(defaultPrice("openai:gpt-9-turbo")).toBeUndefined();
    expect(defaultPrice("openai:gpt-4omni")).toBeUndefined();
    expect(defaultPrice("gpt-4o")).toBeUndefined();
  });

  it("returns a copy, so callers cannot change the defaults", () => {
    const p = defaultPrice("sim");
    if (p) p.input = 1;
    expect(DEFAULT_PRICES.sim.input).toBe(100_000);
  });
});

describe("usdDecimal", () => {
  it("writes a cost as a plain decimal, however small", () => {
    expect(usdDecimal(9)).toBe("0.000000009");
    expect(usdDecimal(9_400)).toBe("0.0000094");
    expect(usdDecimal(5_000_000)).toBe("0.005");
    expect(usdDecimal(0)).toBe("0");
    expect(usdDecimal(12_345_000_000_001)).toBe("12345.000000001");
  });
});
