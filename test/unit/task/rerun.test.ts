import { describe, expect, it } from "vitest";
import { type Plan, planSchema } from "../../../worker/task/plan-schema";
import { rerunReuse } from "../../../worker/task/rerun";

const plan = (steps: Record<string, unknown>[]): Plan => planSchema.parse({ name: "p", steps: steps.map((s) => (s.kind ? s : { agent: "writer", instructions: "x", ...s })) });
const v1 = plan([{ id: "a" }, { id: "b", depends_on: ["a"] }, { id: "c", depends_on: ["b"] }]);
const done = (id: string) => ({ status: "completed", output: `out ${id}` });

describe("rerunReuse", () => {
  it("takes the outputs of every top-level step upstream of from_step, on the task's own version", () => {
    expect(rerunReuse({ plan: v1, version: 1 }, { plan: v1, version: 1 }, "c", done)).toEqual({ ok: true, reused: { b: "out b", a: "out a" } });
    expect(rerunReuse({ plan: v1, version: 1 }, { plan: v1, version: 1 }, "b", (id) => (id === "a" ? { status: "failed", output: null } : done(id)))).toMatchObject({ ok: false, step: "a" });
  });

  it("on another version, reuses only steps that are the same in both, whatever their key order, and says which is new or changed", () => {
    const reordered = planSchema.parse({ name: "p", steps: [{ instructions: "x", agent: "writer", id: "a" }, { id: "b", agent: "writer", instructions: "y", depends_on: ["a"] }, { id: "c", agent: "writer", instructions: "x", depends_on: ["b"] }] });
    expect(rerunReuse({ plan: v1, version: 1 }, { plan: reordered, version: 2 }, "b", done)).toEqual({ ok: true, reused: { a: "out a" } });
    const changed = rerunReuse({ plan: v1, version: 1 }, { plan: reordered, version: 2 }, "c", done);
    expect(changed).toEqual({ ok: false, step: "b", message: "step b, upstream of c, is not the same in v2 as in v1, which this task ran: its output cannot be reused; rerun from b" });
    const added = plan([{ id: "a" }, { id: "n" }, { id: "b", depends_on: ["a", "n"] }]);
    expect(rerunReuse({ plan: v1, version: 1 }, { plan: added, version: 3 }, "b", done)).toMatchObject({ ok: false, step: "n", message: expect.stringContaining("is new in v3") });
    expect(rerunReuse({ plan: v1, version: 1 }, { plan: added, version: 3 }, "c", done)).toMatchObject({ ok: false, message: "from_step must be a top-level step of v3 of the plan; c is not" });
  });

  it("counts what the steps inside a loop or branch depend on as upstream of it, as the loop waits for them", () => {
    const nested = plan([
      { id: "src" },
      { id: "other" },
      { id: "side" },
      { id: "L", kind: "loop", over: "src", body: [{ id: "x", agent: "writer", instructions: "{{item}} {{steps.other.output}}", depends_on: ["other"] }, { id: "y", agent: "writer", instructions: "y", depends_on: ["x"] }] },
      { id: "B", kind: "branch", on: "src", cases: { a: [{ id: "c", agent: "writer", instructions: "c", depends_on: ["side"] }] } },
    ]);
    expect(rerunReuse({ plan: nested, version: 1 }, { plan: nested, version: 1 }, "L", done)).toEqual({ ok: true, reused: { src: "out src", other: "out other" } });
    expect(rerunReuse({ plan: nested, version: 1 }, { plan: nested, version: 1 }, "B", done)).toEqual({ ok: true, reused: { src: "out src", side: "out side" } });
    const failed = rerunReuse({ plan: nested, version: 1 }, { plan: nested, version: 1 }, "L", (id) => (id === "other" ? { status: "failed", output: null } : done(id)));
    expect(failed).toEqual({ ok: false, step: "other", message: "step other, upstream of L, did not complete; rerun from it instead" });
  });
});
