import { describe, expect, it } from "vitest";
import { boundAnswer, MAX_TURN_BYTES, utf8Bytes } from "../../../worker/agents/turn-size";
import type { ModelResponse } from "../../../worker/agents/types";

const answer = (over: Partial<ModelResponse>): ModelResponse => ({ content: "", tool_calls: [], searches: [], usage: { input: 1, cache: 0, cache_write: 0, output: 2, web_search: 0, searches: 0 }, ...over });
const stored = (a: ModelResponse) => new TextEncoder().encode(JSON.stringify({ content: a.content, tool_calls: a.tool_calls, searches: a.searches, provider_content: a.provider_content })).byteLength;

describe("boundAnswer", () => {
  it("leaves an answer that fits as it is", () => {
    expect(boundAnswer(answer({ content: "x".repeat(MAX_TURN_BYTES - 100) }))).toBeNull();
  });

  it("cuts text and arguments to fit, keeps the usage, and says how large the answer was", () => {
    const big = answer({
      content: "é".repeat(800_000),
      tool_calls: [
        { id: "a", name: "f", arguments: { q: "small" } },
        { id: "b", name: "f", arguments: { data: '"\n'.repeat(700_000) } },
      ],
      provider_content: [{ type: "text", text: "z".repeat(100) }],
    });
    const cut = boundAnswer(big)!;
    expect(cut.oversize).toMatch(/^[\d.]+ MB, past the 1 MB a model turn may hold$/);
    expect(stored(cut.answer)).toBeLessThanOrEqual(MAX_TURN_BYTES);
    expect(stored(cut.answer)).toBeGreaterThan(MAX_TURN_BYTES * 0.8);
    expect(cut.answer.usage).toEqual(big.usage);
    expect(cut.answer.provider_content).toBeUndefined();
    expect(big.content.startsWith(cut.answer.content)).toBe(true);
    // a call whose arguments fit whole keeps them; a cut one keeps what it wrote as text, which is no JSON object
    expect(cut.answer.tool_calls[0]).toEqual(big.tool_calls[0]);
    expect(cut.answer.tool_calls[1]).toMatchObject({ id: "b", name: "f", arguments: {} });
    expect(JSON.stringify(big.tool_calls[1].arguments).startsWith(cut.answer.tool_calls[1].invalid_arguments!)).toBe(true);
  });

  it("never splits a character, and counts UTF-8 as the store does", () => {
    const s = "😀a€".repeat(300_000);
    expect(utf8Bytes(s)).toBe(new TextEncoder().encode(s).byteLength);
    const cut = boundAnswer(answer({ content: s }))!;
    expect(stored(cut.answer)).toBeLessThanOrEqual(MAX_TURN_BYTES);
    expect(cut.answer.content.endsWith("\ud83d")).toBe(false);
  });

  it("keeps as many calls as fit when their ids and names alone pass the bound", () => {
    const calls = Array.from({ length: 40_000 }, (_, i) => ({ id: `call_${i}`.padEnd(30, "x"), name: "f", arguments: { i } }));
    const cut = boundAnswer(answer({ tool_calls: calls }))!;
    expect(cut.answer.tool_calls.length).toBeGreaterThan(0);
    expect(cut.answer.tool_calls.length).toBeLessThan(calls.length);
    expect(stored(cut.answer)).toBeLessThanOrEqual(MAX_TURN_BYTES);
  });
});
