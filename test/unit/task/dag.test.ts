import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Graph, type NodeState, MAX_LOOP_ITEMS, addNode, chooseCase, graphOf, indexPlan, initialNodes, loopItems, nextActions, progress, resolveKey, taskStatus,
} from "../../../worker/task/dag";
import { type Plan, planSchema } from "../../../worker/task/plan-schema";

const plan = (raw: unknown): Plan => planSchema.parse(raw);

/** Drives the scheduler like the TaskRunner does, finishing agent steps with `outputOf(key)`. */
function simulate(p: Plan, outputOf: (key: string) => string = (k) => `out:${k}`, opts: { maxRunning?: (g: Graph) => void } = {}) {
  const index = indexPlan(p);
  const g = graphOf([]);
  for (const spec of initialNodes(p, index)) addNode(g, { ...spec, output: null });
  const started: string[] = [];
  for (let round = 0; round < 100_000; round++) {
    let applied = 0;
    for (const a of nextActions(p, index, g)) {
      const n = g.nodes.get(a.key)!;
      applied++;
      if (a.type === "start_agent") {
        for (const d of n.deps) expect(["completed", "skipped"]).toContain(g.nodes.get(d)!.status);
        n.status = "running";
        started.push(a.key);
      } else if (a.type === "start_iteration") n.status = "running";
      else if (a.type === "expand_loop" || a.type === "take_branch") {
        for (const spec of a.nodes) addNode(g, { ...spec, output: null });
        n.status = "running";
      } else if (a.type === "complete") Object.assign(n, { status: "completed", output: a.output });
      else Object.assign(n, { status: "failed", error: a.error });
    }
    opts.maxRunning?.(g);
    // finish one running agent at a time, oldest first, to exercise ordering
    const running = [...g.nodes.values()].find((n) => n.kind === "agent" && n.status === "running");
    if (running) {
      Object.assign(running, { status: "completed", output: outputOf(running.key) });
      applied++;
    }
    if (!applied) break;
  }
  return { g, started };
}

describe("dag scheduler", () => {
  it("starts independent steps together and dependents after their dependencies", () => {
    const p = plan({ name: "p", steps: [{ id: "a", agent: "x" }, { id: "b", agent: "x" }, { id: "c", agent: "x", depends_on: ["a", "b"] }] });
    const index = indexPlan(p);
    const g = graphOf(initialNodes(p, index).map((s) => ({ ...s, output: null })));
    expect(nextActions(p, index, g).map((a) => a.key)).toEqual(["a", "b"]);
    const { g: done, started } = simulate(p);
    expect(started).toEqual(["a", "b", "c"]);
    expect(taskStatus(done)).toBe("completed");
  });

  it("expands a loop per item of a JSON array, or per line, with nested keys", () => {
    expect(loopItems('["a", {"b": 1}, 3]')).toEqual(["a", '{"b":1}', "3"]);
    expect(loopItems("one\n\n two \nthree")).toEqual(["one", "two", "three"]);
    expect(loopItems("[not json")).toEqual(["[not json"]);
    // a model's answer in a Markdown code fence: the fence is not part of the list
    expect(loopItems('```json\n["Acme", "Globex"]\n```')).toEqual(["Acme", "Globex"]);
    expect(loopItems('  ```\n[1, 2]\n```  \n')).toEqual(["1", "2"]);
    expect(loopItems("```text\nAcme\nGlobex\n```")).toEqual(["Acme", "Globex"]);
    expect(loopItems("```json\n[]\n```")).toEqual([]);
    // fences inside the text are lines like any other
    expect(loopItems("Acme\n```\nGlobex")).toEqual(["Acme", "```", "Globex"]);
    const p = plan({
      name: "p",
      steps: [
        { id: "list", agent: "x" },
        { id: "emails", kind: "loop", over: "list", body: [{ id: "draft", agent: "x" }, { id: "check", agent: "x", depends_on: ["draft"] }] },
        { id: "sum", agent: "x", depends_on: ["emails"] },
      ],
    });
    const { g, started } = simulate(p, (k) => (k === "list" ? '["a","b","c"]' : `out:${k}`));
    expect(started).toContain("emails[2].draft");
    expect(started.indexOf("emails[1].check")).toBeGreaterThan(started.indexOf("emails[1].draft"));
    expect(g.nodes.get("emails[1]")!.item).toBe("b");
    expect(JSON.parse(g.nodes.get("emails")!.output!)).toEqual(["out:emails[0].check", "out:emails[1].check", "out:emails[2].check"]);
    expect(started[started.length - 1]).toBe("sum");
    expect(progress(g)).toEqual({ done: 8, total: 8 });
  });

  it("resolves references from inside nested loops", () => {
    const p = plan({
      name: "p",
      steps: [
        { id: "top", agent: "x" },
        { id: "outer", kind: "loop", over: "top", body: [{ id: "mid", agent: "x" }, { id: "inner", kind: "loop", over: "mid", body: [{ id: "leaf", agent: "x", depends_on: ["mid", "top"] }] }] },
      ],
    });
    const index = indexPlan(p);
    expect(resolveKey(index, "mid", "outer[1].inner[0].")).toBe("outer[1].mid");
    expect(resolveKey(index, "top", "outer[1].inner[0].")).toBe("top");
    expect(resolveKey(index, "leaf", "outer[1].inner[0].")).toBe("outer[1].inner[0].leaf");
    const { g } = simulate(p, (k) => (k === "top" ? "a\nb" : k.endsWith("mid") ? "1\n2\n3" : "ok"));
    expect(g.nodes.get("outer[1].inner[2].leaf")!.deps).toEqual(["outer[1].mid", "top"]);
    expect(taskStatus(g)).toBe("completed");
  });

  it(`expands a loop of up to ${MAX_LOOP_ITEMS} items, whatever the size of its body, and fails one over it`, () => {
    const p = plan({ name: "p", steps: [{ id: "l", agent: "x" }, { id: "each", kind: "loop", over: "l", body: [{ id: "a", agent: "x" }, { id: "b", agent: "x" }, { id: "c", agent: "x" }] }] });
    const index = indexPlan(p);
    const actionFor = (items: number) => {
      const g = graphOf(initialNodes(p, index).map((s) => ({ ...s, output: null })));
      Object.assign(g.nodes.get("l")!, { status: "completed", output: JSON.stringify(Array.from({ length: items }, (_, i) => i)) });
      return nextActions(p, index, g).find((a) => a.key === "each")!;
    };
    const full = actionFor(MAX_LOOP_ITEMS);
    expect(full.type).toBe("expand_loop");
    expect(full.type === "expand_loop" && full.nodes.filter((n) => n.kind === "iteration").length).toBe(MAX_LOOP_ITEMS);
    // says where the list came from and how long it was, so the plan's author knows what to split
    expect(actionFor(MAX_LOOP_ITEMS + 1)).toEqual({ type: "fail", key: "each", error: `l's output has ${MAX_LOOP_ITEMS + 1} items: the loop has more than ${MAX_LOOP_ITEMS} items` });
  });

  it("never runs more loop iterations at once than its concurrency", () => {
    const p = plan({ name: "p", steps: [{ id: "l", agent: "x" }, { id: "each", kind: "loop", over: "l", concurrency: 3, body: [{ id: "w", agent: "x" }] }] });
    let peak = 0;
    simulate(p, (k) => (k === "l" ? JSON.stringify(Array.from({ length: 20 }, (_, i) => i)) : "ok"), {
      maxRunning: (g) => {
        const running = [...g.nodes.values()].filter((n) => n.kind === "iteration" && n.status === "running").length;
        peak = Math.max(peak, running);
      },
    });
    expect(peak).toBe(3);
  });

  it("takes only the matching branch, trimmed and case-insensitively, else default", () => {
    const raw = {
      name: "p",
      steps: [
        { id: "triage", agent: "x" },
        { id: "route", kind: "branch", on: "triage", cases: { Urgent: [{ id: "page", agent: "x" }], low: [{ id: "ticket", agent: "x" }] }, default: [{ id: "ignore", agent: "x" }] },
        { id: "after", agent: "x", depends_on: ["route"] },
      ],
    };
    const p = plan(raw);
    expect(chooseCase(p.steps[1] as never, "  urgent \n")).toBe("Urgent");
    expect(chooseCase(p.steps[1] as never, "meh")).toBeNull();
    const { g, started } = simulate(p, (k) => (k === "triage" ? " URGENT " : `out:${k}`));
    expect(started).toEqual(["triage", "page", "after"]);
    expect(g.nodes.get("ticket")!.status).toBe("skipped");
    expect(g.nodes.get("ignore")!.status).toBe("skipped");
    expect(g.nodes.get("route")!.output).toBe("out:page");
    const other = simulate(p, (k) => (k === "triage" ? "whatever" : `out:${k}`));
    expect(other.started).toEqual(["triage", "ignore", "after"]);
  });

  it("names the step that failed in the loop's and the iteration's error, a branch that failed on its own as an agent step", () => {
    const p = plan({
      name: "p",
      steps: [
        { id: "l", agent: "x" },
        { id: "lp", kind: "loop", over: "l", body: [{ id: "k", agent: "x" }, { id: "bb", kind: "branch", on: "k", cases: { a: [{ id: "ia", agent: "x" }] } }] },
      ],
    });
    const { g } = simulate(p, (k) => (k === "l" ? '["a","b"]' : k === "lp[0].k" ? "a" : k === "lp[1].k" ? "b" : "ok"));
    const why = `lp[1].bb failed: k's output "b" matches none of the cases ("a") and the branch has no default`;
    expect(g.nodes.get("lp[1]")!.error).toBe(why);
    expect(g.nodes.get("lp")!.error).toBe(why);
  });

  it("tells a case named \"default\" apart from the default path: only one of them runs", () => {
    const p = plan({
      name: "p",
      steps: [
        { id: "triage", agent: "x" },
        { id: "route", kind: "branch", on: "triage", cases: { default: [{ id: "named", agent: "x" }] }, default: [{ id: "fallback", agent: "x" }] },
      ],
    });
    const other = simulate(p, (k) => (k === "triage" ? "something else" : `out:${k}`));
    expect(other.started).toEqual(["triage", "fallback"]);
    expect(other.g.nodes.get("named")!.status).toBe("skipped");
    const named = simulate(p, (k) => (k === "triage" ? " Default " : `out:${k}`));
    expect(named.started).toEqual(["triage", "named"]);
    expect(named.g.nodes.get("fallback")!.status).toBe("skipped");
  });

  it("derives task status with finished states first, then people, then work", () => {
    const node = (key: string, status: NodeState["status"], kind: NodeState["kind"] = "agent"): NodeState => ({ key, step_id: key, kind, parent: null, deps: [], iteration: null, item: null, status, output: null });
    expect(taskStatus(graphOf([node("a", "completed"), node("b", "failed")]))).toBe("failed");
    expect(taskStatus(graphOf([node("a", "waiting"), node("b", "running")]))).toBe("needs_input");
    expect(taskStatus(graphOf([node("a", "running"), node("b", "pending")]))).toBe("in_progress");
    expect(taskStatus(graphOf([node("a", "pending")]))).toBe("pending");
    expect(taskStatus(graphOf([node("a", "completed"), node("b", "skipped")]))).toBe("completed");
    expect(taskStatus(graphOf([node("a", "cancelled"), node("b", "running")]))).toBe("cancelled");
  });

  it("property: any acyclic plan runs every step exactly once, each after its dependencies", () => {
    const arbPlan = fc.integer({ min: 1, max: 25 }).chain((n) =>
      fc.tuple(...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`), { maxLength: Math.min(4, i) }))).map((deps) =>
        plan({ name: "p", steps: deps.map((d, i) => ({ id: `s${i}`, agent: "x", depends_on: d })) }),
      ),
    );
    fc.assert(
      fc.property(arbPlan, (p) => {
        const { g, started } = simulate(p);
        expect(new Set(started).size).toBe(p.steps.length);
        expect(started.length).toBe(p.steps.length);
        const at = new Map(started.map((k, i) => [k, i]));
        for (const s of p.steps) for (const d of s.depends_on) expect(at.get(d)!).toBeLessThan(at.get(s.id)!);
        expect(taskStatus(g)).toBe("completed");
      }),
      { numRuns: 200 },
    );
  });
});
