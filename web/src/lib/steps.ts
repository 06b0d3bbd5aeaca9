import type { Step } from "../api-types";

/** A step anywhere in the tree by its address (`main`, `emails[2].draft`): loop iterations and branch bodies included. */
export function findStep(steps: Step[] | undefined, id: string): Step | undefined {
  for (const s of steps ?? []) {
    if (s.id === id) return s;
    const found = findStep(s.iterations, id) ?? findStep(s.steps, id);
    if (found) return found;
  }
  return undefined;
}

/** A step's name, with its address when that says more: a loop's iterations share the name (`draft`, `emails[2].draft`). */
export function reviewLabel(name: string | undefined, address: string): string {
  return !name || name === address ? address : `${name} (${address})`;
}

/** "Rejected" for a run a reviewer rejected (the run after it carries their comment as its feedback), else none: the status says. */
export function runLabel(step: Step, runNo: number): string | undefined {
  return step.runs?.find((r) => r.run_no === runNo + 1)?.feedback != null ? "Rejected" : undefined;
}
