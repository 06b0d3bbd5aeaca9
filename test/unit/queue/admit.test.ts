import { describe, expect, it } from "vitest";
import { admissible, agentCounts, fullAgents } from "../../../worker/queue/admit";

const e = (task_id: string, ...agents: string[]) => ({ task_id, agents });

describe("admissible", () => {
  it("admits in arrival order up to the organization's cap", () => {
    expect(admissible({ org: 2, agents: {} }, [], [e("a", "x"), e("b", "x"), e("c", "x")])).toEqual(["a", "b"]);
    expect(admissible({ org: 2, agents: {} }, [e("r", "x")], [e("a", "x"), e("b", "x")])).toEqual(["a"]);
    expect(admissible({ org: 1, agents: {} }, [e("r", "x")], [e("a", "x")])).toEqual([]);
  });

  it("skips a task whose agent is full without holding back other agents", () => {
    const caps = { org: 10, agents: { x: 1 } };
    expect(admissible(caps, [e("r", "x")], [e("a", "x"), e("b", "y"), e("c", "x"), e("d", "y")])).toEqual(["b", "d"]);
  });

  it("keeps arrival order within an agent as its slots fill", () => {
    expect(admissible({ org: 10, agents: { x: 2 } }, [], [e("a", "x"), e("b", "x"), e("c", "x")])).toEqual(["a", "b"]);
  });

  it("counts a multi-agent task against every agent it uses", () => {
    const caps = { org: 10, agents: { x: 1, y: 5 } };
    expect(admissible(caps, [], [e("a", "x", "y"), e("b", "y"), e("c", "x")])).toEqual(["a", "b"]);
  });

  it("names the agents at their cap", () => {
    const counts = agentCounts([e("a", "x"), e("b", "x", "y")]);
    expect(counts.get("x")).toBe(2);
    expect(fullAgents({ org: 5, agents: { x: 2, y: 2, z: 1 } }, counts)).toEqual(["x"]);
  });
});
