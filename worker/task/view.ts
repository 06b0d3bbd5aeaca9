import { toListItem } from "../db/task-row";
import { iso } from "../lib/time";
import { containerStatus, type StepStatus, stepStatus } from "./step-status";
import { runKey, type StoredNode } from "./store";
import type { TaskRunner } from "./runner";
import { dependencyOrder } from "./step-order";
import { addInto, type Totals, tokensView, zeroTotals } from "./totals";

const PREVIEW_CHARS = 200;

export interface StepView {
  id: string;
  step_id: string;
  name: string;
  kind: StoredNode["kind"];
  agent: string | null;
  status: StepStatus;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  output_preview: string | null;
  output: string | null;
  error: string | null;
  tokens: ReturnType<typeof tokensView>;
  searches: number;
  cost: number;
  retry_at: string | null;
  /** a top-level step whose output a rerun took from the task it reruns (`rerun_of`): it did not run in this task */
  reused: boolean;
  runs: { run_no: number; status: string; started_at: string; finished_at: string | null; error: string | null; feedback: string | null; tokens: ReturnType<typeof tokensView>; searches: number; cost: number }[];
  item?: string | null;
  index?: number | null;
  case?: string;
  iterations?: StepView[];
  steps?: StepView[];
}

/** The task detail: the index row's shape plus the step tree in dependency order (skipped branch paths left out). */
export function taskDetail(t: TaskRunner) {
  const row = t.indexRow();
  const children = new Map<string | null, StoredNode[]>();
  for (const n of t.nodes()) {
    const list = children.get(n.parent);
    if (list) list.push(n);
    else children.set(n.parent, [n]);
  }

  const view = (n: StoredNode, sum: Totals): StepView => {
    const own = zeroTotals();
    const runs = [];
    for (let i = 1; i <= n.runs; i++) {
      const r = t.runs.get(runKey(n.key, i));
      if (!r) continue;
      addInto(own, r.usage, r.cost_nanos);
      runs.push({
        run_no: r.run_no, status: r.status, started_at: iso(r.started_at)!, finished_at: iso(r.finished_at), error: r.error,
        feedback: r.feedback, tokens: tokensView(r.usage), searches: r.usage.searches, cost: r.cost_nanos / 1e9,
      });
    }
    const kids = dependencyOrder((children.get(n.key) ?? []).filter((k) => k.status !== "skipped"));
    const kidViews = kids.map((k) => view(k, own));
    addInto(sum, own.usage, own.cost_nanos);
    const step = t.index.get(n.step_id)?.step;
    const v: StepView = {
      id: n.key,
      step_id: n.step_id,
      name: n.kind === "iteration" ? `${step?.name ?? n.step_id} #${(n.iteration ?? 0) + 1}` : (step?.name ?? n.step_id),
      kind: n.kind,
      agent: step?.kind === "agent" ? step.agent : null,
      status: containerStatus(stepStatus(n.status), kidViews.map((k) => k.status)),
      started_at: iso(n.started_at),
      finished_at: iso(n.finished_at),
      duration_ms: n.started_at && n.finished_at ? n.finished_at - n.started_at : null,
      output_preview: n.output == null ? null : preview(n.output),
      output: n.output,
      error: n.error,
      tokens: tokensView(own.usage),
      searches: own.usage.searches,
      cost: own.cost_nanos / 1e9,
      retry_at: iso(n.retry_at),
      reused: n.parent === null && Object.hasOwn(t.meta!.reused, n.key),
      runs,
    };
    if (n.kind === "iteration") Object.assign(v, { item: n.item, index: n.iteration, steps: kidViews });
    if (n.kind === "loop") v.iterations = kidViews;
    if (n.kind === "branch") v.steps = kidViews;
    return v;
  };

  const total = zeroTotals();
  const steps = dependencyOrder((children.get(null) ?? []).filter((n) => n.status !== "skipped")).map((n) => view(n, total));
  const budget = t.meta!.max_cost_nanos;
  return { ...toListItem(row), plan: t.meta!.plan, inputs: t.meta!.inputs, max_cost: budget == null ? null : budget / 1e9, steps };
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS - 1)}…` : flat;
}

export type TaskDetail = ReturnType<typeof taskDetail>;
