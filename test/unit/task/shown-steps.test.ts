import { describe, expect, it } from "vitest";
import { graphOf, type NodeState, type NodeStatus } from "../../../worker/task/dag";
import { ShownSteps } from "../../../worker/task/shown-steps";

const node = (key: string, kind: NodeState["kind"], parent: string | null, status: NodeStatus): NodeState =>
  ({ key, step_id: key, kind, parent, deps: [], iteration: null, item: null, status, output: null });

/** A running loop `em` of two running iterations, each with one agent step. */
function loop(a: NodeStatus, b: NodeStatus) {
  return graphOf([
    node("em", "loop", null, "running"),
    node("em[0]", "iteration", "em", "running"),
    node("em[0].d", "agent", "em[0]", a),
    node("em[1]", "iteration", "em", "running"),
    node("em[1].d", "agent", "em[1]", b),
  ]);
}

function change(shown: ShownSteps, g: ReturnType<typeof graphOf>, key: string, status: NodeStatus): string[] {
  const sent: string[] = [];
  g.nodes.get(key)!.status = status;
  shown.changed(g, g.nodes.get(key)!, (n, s) => sent.push(`${n.key} ${s}`));
  return sent;
}

describe("ShownSteps", () => {
  it("announces the iteration and loop around a step that waits, and again once none inside waits", () => {
    const g = loop("running", "running");
    const shown = new ShownSteps();
    shown.reset(g);
    expect(change(shown, g, "em[0].d", "waiting")).toEqual(["em[0].d needs_input", "em[0] needs_input", "em needs_input"]);
    expect(change(shown, g, "em[1].d", "waiting")).toEqual(["em[1].d needs_input", "em[1] needs_input"]);
    expect(change(shown, g, "em[0].d", "running")).toEqual(["em[0].d in_progress", "em[0] in_progress"]);
    expect(change(shown, g, "em[1].d", "completed")).toEqual(["em[1].d completed", "em[1] in_progress", "em in_progress"]);
    expect(change(shown, g, "em[0].d", "completed")).toEqual(["em[0].d completed"]);
  });

  it("after a reload, takes what storage holds as what the stream last said", () => {
    const g = loop("waiting", "running");
    const shown = new ShownSteps();
    shown.reset(g);
    expect(change(shown, g, "em[0].d", "running")).toEqual(["em[0].d in_progress", "em[0] in_progress", "em in_progress"]);
  });
});
