import type { AgentConfig, TurnRecord } from "../../../worker/agents/loop";
import type { ToolHost, ToolOutcome } from "../../../worker/agents/tools";
import type { Provider, ToolCall, ToolSpec } from "../../../worker/agents/types";

export const agent = (o: Partial<AgentConfig> = {}): AgentConfig => ({
  id: "agt_1",
  name: "tester",
  model: "sim",
  system_prompt: "Be brief.",
  tools: [],
  max_turns: 10,
  ...o,
});

/** A tool host whose tools answer from a table and count every execution. */
export function fakeHost(specs: ToolSpec[], answers: Record<string, (call: ToolCall) => ToolOutcome | Promise<ToolOutcome>>) {
  const executed: ToolCall[] = [];
  const host: ToolHost = {
    specs: async () => specs,
    execute: async (call) => {
      executed.push(call);
      const answer = answers[call.name];
      return answer ? answer(call) : { result: `error: no tool ${call.name}`, error: `no tool ${call.name}` };
    },
  };
  return { host, executed };
}

/** Durable storage as the task's object keeps it: one row per turn, overwritten in place, stored as JSON. */
export function turnStore() {
  const rows = new Map<number, string>();
  return {
    save: (t: TurnRecord) => void rows.set(t.turn_no, JSON.stringify(t)),
    load: (): TurnRecord[] => [...rows.keys()].sort((a, b) => a - b).map((k) => JSON.parse(rows.get(k) ?? "") as TurnRecord),
    saves: () => rows.size,
  };
}

export function countingProvider(inner: Provider) {
  const counter = { calls: 0 };
  const provider: Provider = {
    call: (req) => {
      counter.calls++;
      return inner.call(req);
    },
  };
  return { provider, counter };
}

/** ceil(UTF-8 bytes / 4) of the concatenated pieces */
export const tok = (...pieces: string[]) => Math.ceil(new TextEncoder().encode(pieces.join("")).byteLength / 4);

export const clock = () => {
  let t = 1_000;
  return () => (t += 10);
};
