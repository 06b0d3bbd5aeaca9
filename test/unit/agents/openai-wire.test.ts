import { describe, expect, it } from "vitest";
import { toUsage } from "../../../worker/agents/providers/openai-wire";

describe("toUsage", () => {
  it("splits the prompt into cached and uncached tokens", () => {
    expect(toUsage({ prompt_tokens: 1000, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 300 } })).toMatchObject({ input: 700, cache: 300, output: 40 });
    expect(toUsage({ prompt_tokens: 1000, completion_tokens: 40, prompt_cache_hit_tokens: 600 })).toMatchObject({ input: 400, cache: 600, output: 40 });
  });

  it("never counts more cached tokens than the prompt had, so no count or cost goes below zero", () => {
    expect(toUsage({ prompt_tokens: 100, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 400 } })).toMatchObject({ input: 0, cache: 100, output: 10 });
  });
});
