import { oversizeOutput } from "./output-limit";
import type { AgentStep, BranchStep, LoopStep, Plan, Step } from "./plan-schema";

/**
 * The scheduler: a pure function of the plan and the state of its nodes.
 *
 * A node is one instance of a step. Top-level steps are nodes keyed by their id;
 * a loop expands into iteration nodes `loop[i]` whose body steps are keyed
 * `loop[i].step` (nesting repeats the pattern); a branch materializes the steps of
 * its taken case (and records the others as `skipped`) under its own prefix.
 */

export type NodeStatus = "pending" | "running" | "waiting" | "completed" | "failed" | "skipped" | "cancelled";
export type NodeKind = "agent" | "loop" | "iteration" | "branch";

export interface NodeSpec {
  key: string;
  step_id: string;
  kind: NodeKind;
  parent: string | null;
  deps: string[];
  iteration: number | null;
  item: string | null;
  status: NodeStatus;
}

export interface NodeState extends NodeSpec {
  output: string | null;
  /** why it failed, for a container to pass on */
  error?: string | null;
}

export type Action =
  | { type: "start_agent"; key: string }
  | { type: "start_iteration"; key: string }
  | { type: "expand_loop"; key: string; nodes: NodeSpec[] }
  /** `case` null: no case matched, the `default` path runs */
  | { type: "take_branch"; key: string; case: string | null; nodes: NodeSpec[] }
  | { type: "complete"; key: string; output: string }
  | { type: "fail"; key: string; error: string };

interface Declared {
  step: Step;
  /** enclosing loop ids, outermost first */
  loops: string[];
}

export type StepIndex = Map<string, Declared>;

export const MAX_LOOP_ITEMS = 10_000;

export const TERMINAL: ReadonlySet<NodeStatus> = new Set(["completed", "failed", "skipped", "cancelled"]);
const DONE: ReadonlySet<NodeStatus> = new Set(["completed", "skipped"]);

export function indexPlan(plan: Plan): StepIndex {
  const index: StepIndex = new Map();
  const visit = (steps: Step[], loops: string[]) => {
    for (const step of steps) {
      index.set(step.id, { step, loops });
      if (step.kind === "loop") visit(step.body, [...loops, step.id]);
      if (step.kind === "branch") {
        for (const c of Object.values(step.cases)) visit(c, loops);
        visit(step.default ?? [], loops);
      }
    }
  };
  visit(plan.steps, []);
  return index;
}

/** Every agent the plan names, nested steps included, in plan order. */
export function planAgents(plan: Plan): string[] {
  const names = new Set<string>();
  for (const { step } of indexPlan(plan).values()) if (step.kind === "agent") names.add(step.agent);
  return [...names];
}

/** The agent the index shows for a task: its first top-level agent step's, else the first it names. */
export function primaryAgent(plan: Plan, names: string[]): string | null {
  const first = plan.steps.find((st) => st.kind === "agent");
  return first && first.kind === "agent" ? first.agent : (names[0] ?? null);
}

/** `emails[2].draft` → `emails[2].` ; `draft` → `` */
export function prefixOf(key: string): string {
  const dot = key.lastIndexOf(".");
  return dot < 0 ? "" : key.slice(0, dot + 1);
}

/** The key of step `id` as seen from a node whose key prefix is `prefix`. */
export function resolveKey(index: StepIndex, id: string, prefix: string): string {
  const declared = index.get(id);
  if (!declared) throw new Error(`unknown step ${id}`);
  const parts = prefix === "" ? [] : prefix.slice(0, -1).split(".");
  return [...parts.slice(0, declared.loops.length), id].join(".");
}

export function upstreamOf(step: Step): string[] {
  if (step.kind === "loop") return [...step.depends_on, step.over];
  if (step.kind === "branch") return [...step.depends_on, step.on];
  return step.depends_on;
}

function specsFor(index: StepIndex, steps: Step[], prefix: string, parent: string | null, status: NodeStatus): NodeSpec[] {
  return steps.map((step) => ({
    key: prefix + step.id,
    step_id: step.id,
    kind: step.kind,
    parent,
    deps: [...new Set(upstreamOf(step).map((d) => resolveKey(index, d, prefix)))],
    iteration: null,
    item: null,
    status,
  }));
}

export function initialNodes(plan: Plan, index: StepIndex): NodeSpec[] {
  return specsFor(index, plan.steps, "", null, "pending");
}

/** A whole answer in a Markdown code fence, as models often write a JSON array: the fence lines are not items. */
const FENCED = /^```[^\n`]*\n([\s\S]*?)\n?```$/;

/** A JSON array gives one item per element; any other text one item per non-empty line. */
export function loopItems(output: string): string[] {
  const trimmed = output.trim();
  const text = (FENCED.exec(trimmed)?.[1] ?? trimmed).trim();
  if (text.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
    } catch {
      // not JSON: fall through to lines
    }
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export function expandLoop(index: StepIndex, loop: LoopStep, key: string, items: string[]): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  const prefix = prefixOf(key);
  items.forEach((item, i) => {
    const iterKey = `${prefix}${loop.id}[${i}]`;
    nodes.push({ key: iterKey, step_id: loop.id, kind: "iteration", parent: key, deps: [], iteration: i, item, status: "pending" });
    nodes.push(...specsFor(index, loop.body, `${iterKey}.`, iterKey, "pending"));
  });
  return nodes;
}

/** Trimmed, case-insensitive match of the upstream output against the case values; null when none matches (`default` runs). */
export function chooseCase(branch: BranchStep, output: string): string | null {
  const wanted = output.trim().toLowerCase();
  return Object.keys(branch.cases).find((k) => k.trim().toLowerCase() === wanted) ?? null;
}

const SHOWN_OUTPUT_CHARS = 200;

/** A branch with no `default` that nothing matched: silently running nothing would hide a plan's mistake or a model's odd answer. */
export function noCaseError(branch: BranchStep, output: string): string {
  const value = output.trim();
  const shown = value.length > SHOWN_OUTPUT_CHARS ? `${value.slice(0, SHOWN_OUTPUT_CHARS)}…` : value;
  const cases = Object.keys(branch.cases).map((k) => JSON.stringify(k));
  return `${branch.on}'s output ${JSON.stringify(shown)} matches none of the cases (${cases.join(", ") || "none"}) and the branch has no default`;
}

/** A case may itself be named "default": it is told apart from the `default` path by `chosen` being null. */
export function takeBranch(index: StepIndex, branch: BranchStep, key: string, chosen: string | null): NodeSpec[] {
  const prefix = prefixOf(key);
  const cases: [string | null, Step[]][] = [...Object.entries(branch.cases), [null, branch.default ?? []]];
  return cases.flatMap(([name, steps]) => specsFor(index, steps, prefix, key, name === chosen ? "pending" : "skipped"));
}

export interface Graph {
  nodes: Map<string, NodeState>;
  children: Map<string, string[]>;
}

export function graphOf(nodes: Iterable<NodeState>): Graph {
  const g: Graph = { nodes: new Map(), children: new Map() };
  for (const n of nodes) addNode(g, n);
  return g;
}

export function addNode(g: Graph, n: NodeState): void {
  g.nodes.set(n.key, n);
  if (n.parent) {
    const list = g.children.get(n.parent);
    if (list) list.push(n.key);
    else g.children.set(n.parent, [n.key]);
  }
}

/**
 * What to do next. Pure: the caller applies the actions (storing them) and asks
 * again until nothing is left, then runs the agents it was told to start.
 */
export function nextActions(plan: Plan, index: StepIndex, g: Graph): Action[] {
  const actions: Action[] = [];
  const runningIterations = new Map<string, number>();
  for (const n of g.nodes.values()) {
    if (n.kind === "iteration" && (n.status === "running" || n.status === "waiting") && n.parent) {
      runningIterations.set(n.parent, (runningIterations.get(n.parent) ?? 0) + 1);
    }
  }
  for (const n of g.nodes.values()) {
    const parent = n.parent ? g.nodes.get(n.parent) : undefined;
    if (n.status === "pending") {
      if (n.kind === "iteration") {
        const loop = index.get(n.step_id)!.step as LoopStep;
        const running = runningIterations.get(n.parent!) ?? 0;
        if (parent?.status === "running" && running < loop.concurrency) {
          runningIterations.set(n.parent!, running + 1);
          actions.push({ type: "start_iteration", key: n.key });
        }
        continue;
      }
      if (parent && parent.status !== "running") continue;
      if (!n.deps.every((d) => DONE.has(g.nodes.get(d)?.status ?? "pending"))) continue;
      const step = index.get(n.step_id)!.step;
      if (step.kind === "agent") actions.push({ type: "start_agent", key: n.key });
      else if (step.kind === "loop") {
        const over = g.nodes.get(resolveKey(index, step.over, prefixOf(n.key)))!;
        const items = loopItems(over.output ?? "");
        if (items.length > MAX_LOOP_ITEMS) actions.push({ type: "fail", key: n.key, error: `${step.over}'s output has ${items.length} items: the loop has more than ${MAX_LOOP_ITEMS} items` });
        else actions.push({ type: "expand_loop", key: n.key, nodes: expandLoop(index, step, n.key, items) });
      } else {
        const on = g.nodes.get(resolveKey(index, step.on, prefixOf(n.key)))!;
        const chosen = chooseCase(step, on.output ?? "");
        if (chosen === null && step.default === undefined) actions.push({ type: "fail", key: n.key, error: noCaseError(step, on.output ?? "") });
        else actions.push({ type: "take_branch", key: n.key, case: chosen, nodes: takeBranch(index, step, n.key, chosen) });
      }
    } else if (n.status === "running" && n.kind !== "agent") {
      const kids = (g.children.get(n.key) ?? []).map((k) => g.nodes.get(k)!);
      const failed = kids.find((k) => k.status === "failed");
      // a container passes on the error of the step that failed inside it, so the loop itself says which and why
      if (failed) actions.push({ type: "fail", key: n.key, error: failedWithin(failed, g) });
      else if (kids.every((k) => DONE.has(k.status))) {
        const output = containerOutput(n, kids);
        const oversize = oversizeOutput(output);
        // stored, it would fail the commit that completes the last iteration: the task would stay in progress for good
        if (oversize) actions.push({ type: "fail", key: n.key, error: `${containerName(n, kids)} ${oversize}; have its steps output less (an id, a summary)` });
        else actions.push({ type: "complete", key: n.key, output });
      }
    }
  }
  return actions;
}

/**
 * A container that failed because a step inside it did already names that step; one that failed on its own (a branch
 * whose cases none matched, a loop over too many items) is named here, as an agent step is.
 */
function failedWithin(failed: NodeState, g: Graph): string {
  const passedOn = failed.kind !== "agent" && (g.children.get(failed.key) ?? []).some((k) => g.nodes.get(k)?.status === "failed");
  if (passedOn) return failed.error ?? `${failed.key} failed`;
  return failed.error ? `${failed.key} failed: ${failed.error}` : `${failed.key} failed`;
}

const containerName = (n: NodeState, kids: NodeState[]) =>
  n.kind === "loop" ? `the loop's output (${kids.filter((k) => k.kind === "iteration").length} items)` : `the ${n.kind}'s output`;

function containerOutput(n: NodeState, kids: NodeState[]): string {
  if (n.kind === "loop") return JSON.stringify(kids.filter((k) => k.kind === "iteration").map((k) => k.output ?? ""));
  const ran = kids.filter((k) => k.status === "completed" && k.kind !== "iteration");
  return ran.length ? (ran[ran.length - 1].output ?? "") : "";
}

export type TaskStatus = "pending" | "in_progress" | "needs_input" | "failed" | "completed" | "cancelled";

/** Task status from its nodes: finished states are final, then a person, then work, then waiting. */
export function taskStatus(g: Graph): TaskStatus {
  let anyRunning = false;
  let anyWaiting = false;
  let allDone = true;
  for (const n of g.nodes.values()) {
    if (n.status === "failed") return "failed";
    if (n.status === "cancelled") return "cancelled";
    if (n.status === "waiting") anyWaiting = true;
    if (n.status === "running" && n.kind === "agent") anyRunning = true;
    if (!n.parent && !DONE.has(n.status)) allDone = false;
  }
  if (allDone) return "completed";
  if (anyWaiting) return "needs_input";
  if (anyRunning) return "in_progress";
  return "pending";
}

export function progress(g: Graph): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const n of g.nodes.values()) {
    if (n.kind !== "agent" || n.status === "skipped") continue;
    total++;
    if (n.status === "completed") done++;
  }
  return { done, total };
}

export const STEP_REF = /\{\{\s*steps\.([A-Za-z_][A-Za-z0-9_-]*)\.output\s*\}\}/g;

/** Outputs of the steps an agent step's instructions refer to, resolved from its place in the graph. */
export function referencedOutputs(index: StepIndex, g: Graph, step: AgentStep, key: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const m of step.instructions.matchAll(STEP_REF)) {
    const id = m[1];
    if (!index.has(id)) continue;
    out[id] = g.nodes.get(resolveKey(index, id, prefixOf(key)))?.output ?? undefined;
  }
  return out;
}

/** The nearest enclosing iteration's item and index. */
export function iterationOf(g: Graph, key: string): { item?: string; index?: number } {
  let cur = g.nodes.get(key);
  while (cur) {
    if (cur.kind === "iteration") return { item: cur.item ?? undefined, index: cur.iteration ?? undefined };
    cur = cur.parent ? g.nodes.get(cur.parent) : undefined;
  }
  return {};
}
