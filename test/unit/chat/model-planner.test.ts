import { describe, expect, it } from "vitest";
import type { Message, ModelRequest, Provider } from "../../../worker/agents/types";
import { zeroUsage } from "../../../worker/agents/types";
import { HISTORY_CHARS, modelProposer } from "../../../worker/chat/model-planner";

/** A model that answers every request with the same plan, keeping what it was sent. */
function recorder() {
  const sent: Message[][] = [];
  const provider: Provider = {
    call: async (req: ModelRequest) => {
      sent.push(structuredClone(req.messages));
      return { content: "", tool_calls: [{ id: "c1", name: "submit_plan", arguments: { reply: "ok", plan: { name: "P", steps: [] } } }], usage: zeroUsage(), searches: [] };
    },
  };
  return { provider, sent };
}

const turn = (i: number, size: number) => [
  { role: "user" as const, content: `ask ${i} ${"x".repeat(size)}` },
  { role: "assistant" as const, content: `answer ${i} ${"y".repeat(size)}` },
];

describe("what the model planner sends", () => {
  it("sends the newest messages of a long conversation, within a bound, so it never outgrows the model", async () => {
    const history = Array.from({ length: 60 }, (_, i) => turn(i, 19_000)).flat();
    const { provider, sent } = recorder();
    const draft = { name: "Draft", description: "", params: [], steps: [{ id: "a", name: "A", kind: "agent" as const, agent: "writer", instructions: "do", depends_on: [], tools: [], approval: false, retry: { max_attempts: 3, backoff: { initial_ms: 1000, max_ms: 60_000 } } }] };
    const p = modelProposer({ provider, model: "m", systemPrompt: "", agents: [], history, message: "one more change", draft, signal: new AbortController().signal });
    await p.propose(1, null);
    const [messages] = sent;
    const earlier = messages.slice(1, -1);
    expect(earlier.reduce((n, m) => n + String(m.content).length, 0)).toBeLessThanOrEqual(HISTORY_CHARS);
    expect(earlier[0].role).toBe("user");
    expect(earlier.at(-1)?.content).toMatch(/^answer 59 /);
    expect(messages.at(-1)?.content).toContain("one more change");
    expect(messages.at(-1)?.content).toContain('"id":"a"');
    expect(messages[0].content).toContain("earlier messages");
  });

  it("sends a short conversation whole", async () => {
    const history = [turn(0, 10), turn(1, 10)].flat();
    const { provider, sent } = recorder();
    await modelProposer({ provider, model: "m", systemPrompt: "", agents: [], history, message: "next", draft: null, signal: new AbortController().signal }).propose(1, null);
    expect(sent[0].slice(1, -1)).toEqual(history);
    expect(sent[0][0].content).not.toContain("earlier messages");
  });
});
