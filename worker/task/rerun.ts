import { canonicalJson } from "../lib/canonical-json";
import { upstreamOf } from "./dag";
import type { Plan } from "./plan-schema";
import { allSteps } from "./validate";

export type RerunReuse = { ok: true; reused: Record<string, string> } | { ok: false; message: string; step: string };

/**
 * What a rerun from `fromStep` of `target` (the plan version it runs) takes from the task it reruns, which ran `ran`:
 * the outputs of the top-level steps upstream of `fromStep`. Each must have completed, and be the same step in both
 * versions (nested steps included), or its output is not what `target` would make.
 */
export function rerunReuse(
  ran: { plan: Plan; version: number | null },
  target: { plan: Plan; version: number | null },
  fromStep: string,
  done: (id: string) => { status: string; output: string | null } | undefined,
): RerunReuse {
  const top = new Map(target.plan.steps.map((s) => [s.id, s]));
  const before = new Map(ran.plan.steps.map((s) => [s.id, s]));
  const other = target.version !== ran.version;
  if (!top.has(fromStep)) {
    return { ok: false, step: fromStep, message: `from_step must be a top-level step of ${other ? `v${target.version} of the plan` : "this task's plan"}; ${fromStep} is not` };
  }
  // a loop or branch waits for what the steps inside it wait for: a body step's dependency on a top-level step is its too
  const waitsFor = new Map<string, Set<string>>();
  for (const { step, ancestors } of allSteps(target.plan)) {
    const at = ancestors[0] ?? step.id;
    const deps = waitsFor.get(at) ?? waitsFor.set(at, new Set()).get(at)!;
    for (const d of upstreamOf(step)) if (top.has(d) && d !== at) deps.add(d);
  }
  const upstream = new Set<string>();
  const visit = (id: string) => {
    for (const d of waitsFor.get(id) ?? []) {
      if (upstream.has(d)) continue;
      upstream.add(d);
      visit(d);
    }
  };
  visit(fromStep);
  const reused: Record<string, string> = {};
  for (const id of upstream) {
    const old = before.get(id);
    const at = `step ${id}, upstream of ${fromStep},`;
    if (!old) return { ok: false, step: id, message: `${at} is new in v${target.version} (this task ran v${ran.version}): there is no output to reuse; rerun from ${id}` };
    if (canonicalJson(JSON.stringify(old)) !== canonicalJson(JSON.stringify(top.get(id)))) {
      return { ok: false, step: id, message: `${at} is not the same in v${target.version} as in v${ran.version}, which this task ran: its output cannot be reused; rerun from ${id}` };
    }
    const node = done(id);
    if (node?.status !== "completed") return { ok: false, step: id, message: `${at} did not complete; rerun from it instead` };
    reused[id] = node.output ?? "";
  }
  return { ok: true, reused };
}
