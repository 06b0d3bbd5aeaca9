import type { Graph, NodeState } from "./dag";
import { type StepStatus, shownStatus } from "./step-status";

/**
 * The status the task's stream last gave each step. A step's change can change what a loop, iteration or branch
 * around it shows (`needs_input` while a step inside waits), and that is announced too, only when it does.
 */
export class ShownSteps {
  private readonly shown = new Map<string, StepStatus>();

  /** From storage: each commit stored the events of the changes it made, so what it holds is what was announced. */
  reset(g: Graph): void {
    this.shown.clear();
    for (const n of g.nodes.values()) this.shown.set(n.key, shownStatus(g, n));
  }

  /** `node` changed: it is announced, then each enclosing step whose shown status that changes, innermost first. */
  changed(g: Graph, node: NodeState, announce: (n: NodeState, status: StepStatus) => void): void {
    let n = node;
    let status = shownStatus(g, n);
    announce(n, status);
    for (;;) {
      // a step never announced is pending, as its stored row was made
      const before = this.shown.get(n.key) ?? "pending";
      this.shown.set(n.key, status);
      if ((before === "needs_input") === (status === "needs_input")) return;
      const parent = n.parent ? g.nodes.get(n.parent) : undefined;
      if (!parent) return;
      const next = shownStatus(g, parent);
      if (next === (this.shown.get(parent.key) ?? "pending")) return;
      announce(parent, next);
      n = parent;
      status = next;
    }
  }
}
