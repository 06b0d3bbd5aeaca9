import { describe, expect, it } from "vitest";
import { inputNeededIn, inputTargetOf, sameTarget } from "../../../worker/task/input-needed";
import type { StoredNode, Waiting } from "../../../worker/task/store";

const node = (key: string, waiting: Waiting | null) => ({ key, waiting }) as StoredNode;

describe("input needed in a sub-task", () => {
  it("lists the steps waiting on a sub-task that asks, with the task asking, and no other wait", () => {
    const nodes = [
      node("a", { kind: "child", task_id: "tsk_1", tool_call_id: "c1", input: { task_id: "tsk_3", title: "leaf" } }),
      node("b", { kind: "child", task_id: "tsk_2", tool_call_id: "c2" }),
      node("c", { kind: "question", call_id: "call_1", question: "?" }),
      node("d", null),
    ];
    expect(inputNeededIn(nodes)).toEqual([{ step: "a", task_id: "tsk_3", title: "leaf" }]);
  });

  it("points at the task itself when it asks, else at the first task asking below it, and at nothing once finished", () => {
    const below = [{ step: "s", task_id: "tsk_deep", title: "deep" }];
    expect(inputTargetOf({ id: "tsk_1", title: "me", status: "needs_input", input_needed_in: below })).toEqual({ task_id: "tsk_1", title: "me" });
    expect(inputTargetOf({ id: "tsk_1", title: "me", status: "in_progress", input_needed_in: below })).toEqual({ task_id: "tsk_deep", title: "deep" });
    expect(inputTargetOf({ id: "tsk_1", title: "me", status: "pending", input_needed_in: [] })).toBeNull();
    for (const status of ["completed", "failed", "cancelled"] as const) expect(inputTargetOf({ id: "tsk_1", title: "me", status, input_needed_in: below })).toBeNull();
  });

  it("compares targets by task and title, none equal to none", () => {
    expect(sameTarget(null, undefined)).toBe(true);
    expect(sameTarget({ task_id: "a", title: "x" }, { task_id: "a", title: "x" })).toBe(true);
    expect(sameTarget({ task_id: "a", title: "x" }, null)).toBe(false);
    expect(sameTarget({ task_id: "a", title: "x" }, { task_id: "b", title: "x" })).toBe(false);
  });
});
