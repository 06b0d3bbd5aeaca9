import type { Plan, Step } from "./plan-schema";
import { segment } from "../lib/json-path";
import { templateRefs } from "./template";

/**
 * Graph rules of a plan, checked at save (the zod schema has already checked shapes).
 *
 * Scopes: a step sees its siblings and whatever its enclosing loop or branch sees,
 * never its own ancestors nor steps nested inside other loops or branches.
 * A container (loop, branch) finishes after the steps inside it, so a nested step
 * that depends on an outer step makes the container wait for that step too.
 */

export interface PlanIssue {
  step?: string;
  path: string;
  message: string;
}

export const MAX_PLAN_STEPS = 1000;

export interface FlatStep {
  step: Step;
  /** JSON path of the step, e.g. `steps[2].body[0]` */
  path: string;
  /** JSON path of the array holding it, e.g. `steps[2].body` */
  scope: string;
  /** enclosing loop and branch ids, outermost first */
  ancestors: string[];
  /** enclosing loop ids, outermost first */
  loops: string[];
  /** index of the enclosing loop or branch in the same array, null at top level */
  parent: number | null;
}

/** Every step of the plan, nested ones included, in document order (a parent before its children). */
export function allSteps(plan: Plan): FlatStep[] {
  const out: FlatStep[] = [];
  const visit = (steps: Step[], scope: string, ancestors: string[], loops: string[], parent: number | null) => {
    steps.forEach((step, i) => {
      const path = `${scope}[${i}]`;
      const at = out.length;
      out.push({ step, path, scope, ancestors, loops, parent });
      const inner = [...ancestors, step.id];
      if (step.kind === "loop") visit(step.body, `${path}.body`, inner, [...loops, step.id], at);
      if (step.kind === "branch") {
        for (const [value, body] of Object.entries(step.cases)) visit(body, `${path}.cases${segment(value)}`, inner, loops, at);
        visit(step.default ?? [], `${path}.default`, inner, loops, at);
      }
    });
  };
  visit(plan.steps, "steps", [], [], null);
  return out;
}

export function countSteps(plan: Plan): number {
  let n = 0;
  const visit = (steps: Step[]) => {
    for (const step of steps) {
      n++;
      if (step.kind === "loop") visit(step.body);
      if (step.kind === "branch") {
        for (const body of Object.values(step.cases)) visit(body);
        visit(step.default ?? []);
      }
    }
  };
  visit(plan.steps);
  return n;
}

interface Node {
  flat: FlatStep;
  /** scopes this step sees, its own first */
  sees: Set<string>;
  /** dependencies that resolved to visible steps */
  deps: Edge[];
  parent: number | null;
  children: number[];
}

/** `dep`: index in depends_on, or OVER_ON for a loop's `over` / a branch's `on`, or CHILD. */
interface Edge {
  to: number;
  dep: number;
}
const OVER_ON = -1;
const CHILD = -2;

function edgePath(nodes: Node[], from: number, e: Edge): string {
  const { step, path } = nodes[from].flat;
  if (e.dep === CHILD) return nodes[e.to].flat.path;
  if (e.dep === OVER_ON) return `${path}.${step.kind === "loop" ? "over" : "on"}`;
  return `${path}.depends_on[${e.dep}]`;
}

/** `knownMcpServers`: when given, a step's `mcp:<name>` tool must name one of them. */
export function validatePlan(plan: Plan, knownAgents: Set<string>, knownMcpServers?: Set<string>): PlanIssue[] {
  const total = countSteps(plan);
  if (total > MAX_PLAN_STEPS) {
    return [{ path: "steps", message: `a plan has at most ${MAX_PLAN_STEPS} steps, nested ones included; this one has ${total}` }];
  }
  const issues: PlanIssue[] = [];
  const flat = allSteps(plan);
  const byId = new Map<string, number>();
  const nodes: Node[] = [];

  flat.forEach((f, i) => {
    const parent = f.parent;
    const sees = new Set(parent === null ? [f.scope] : [f.scope, ...nodes[parent].sees]);
    nodes.push({ flat: f, sees, deps: [], parent, children: [] });
    if (parent !== null) nodes[parent].children.push(i);
    const first = byId.get(f.step.id);
    if (first === undefined) byId.set(f.step.id, i);
    else issues.push({ step: f.step.id, path: `${f.path}.id`, message: `duplicate step id "${f.step.id}" (first used at ${flat[first].path})` });
  });

  // Paths are built only for issues: a dense plan has up to a million edges.
  const resolve = (from: number, id: string, dep: number, what: string) => {
    const stepId = nodes[from].flat.step.id;
    const to = byId.get(id);
    let problem: string | null = null;
    if (to === undefined) problem = `${what} "${id}" is not a step of this plan`;
    else if (to === from) problem = `${what} "${id}" is the step itself`;
    else if (encloses(nodes, to, from)) problem = `${what} "${id}" encloses this step`;
    else if (!nodes[from].sees.has(nodes[to].flat.scope)) {
      problem = `${what} "${id}" is not visible here: it is nested in another loop or branch`;
    }
    if (problem !== null) {
      issues.push({ step: stepId, path: edgePath(nodes, from, { to: from, dep }), message: problem });
    } else nodes[from].deps.push({ to: to as number, dep });
  };

  nodes.forEach((node, i) => {
    const { step, path } = node.flat;
    const seen = new Set<string>();
    step.depends_on.forEach((id, j) => {
      if (seen.has(id)) {
        issues.push({ step: step.id, path: `${path}.depends_on[${j}]`, message: `"${id}" is listed twice in depends_on` });
        return;
      }
      seen.add(id);
      resolve(i, id, j, "depends_on");
    });
    if (step.kind === "loop") resolve(i, step.over, OVER_ON, "over");
    if (step.kind === "branch") {
      resolve(i, step.on, OVER_ON, "on");
      checkCases(step, path, issues);
    }
    if (step.kind === "agent" && !knownAgents.has(step.agent)) {
      issues.push({ step: step.id, path: `${path}.agent`, message: `unknown agent "${step.agent}"` });
    }
    if (step.kind === "agent" && knownMcpServers) {
      step.tools.forEach((tool, j) => {
        const server = /^mcp:([a-z0-9][a-z0-9_-]*)$/.exec(tool)?.[1];
        if (server && !knownMcpServers.has(server)) {
          issues.push({ step: step.id, path: `${path}.tools[${j}]`, message: `unknown MCP server "${server}": an admin adds it under Settings → MCP servers` });
        }
      });
    }
    // every wait is capped at max_ms, so an initial_ms above it would never be waited
    const backoff = step.kind === "agent" ? step.retry?.backoff : undefined;
    if (backoff && backoff.max_ms < backoff.initial_ms) {
      issues.push({
        step: step.id, path: `${path}.retry.backoff.max_ms`,
        message: `max_ms (${backoff.max_ms}; 60000 when not given) is below initial_ms (${backoff.initial_ms}): every wait is capped at max_ms, so set it to at least ${backoff.initial_ms}`,
      });
    }
  });

  checkParams(plan, issues);
  findCycles(nodes, issues);
  checkTemplates(plan, nodes, byId, issues);
  checkOutput(plan, nodes, byId, issues);
  return issues;
}

function checkCases(step: Extract<Step, { kind: "branch" }>, path: string, issues: PlanIssue[]) {
  if (Object.keys(step.cases).length === 0 && step.default === undefined) {
    issues.push({ step: step.id, path: `${path}.cases`, message: "a branch needs a case or a default (`default: []` to run nothing)" });
  }
  const norm = new Map<string, string>();
  for (const value of Object.keys(step.cases)) {
    const k = value.trim().toLowerCase();
    const prior = norm.get(k);
    if (prior !== undefined) {
      issues.push({
        step: step.id,
        path: `${path}.cases${segment(value)}`,
        message: `case "${value}" is the same as case "${prior}": cases match trimmed and case-insensitively`,
      });
    } else norm.set(k, value);
  }
}

/**
 * Edges: a step waits for its dependencies, and a container waits for its children.
 * Iterative DFS (plans may be deep); each back edge is reported once, on the step
 * whose dependency closes the cycle.
 */
function findCycles(nodes: Node[], issues: PlanIssue[]) {
  const edges = nodes.map((n) => [...n.deps, ...n.children.map((c) => ({ to: c, dep: CHILD }))]);
  const state = new Uint8Array(nodes.length); // 0 new, 1 on stack, 2 done
  for (let root = 0; root < nodes.length; root++) {
    if (state[root]) continue;
    const stack: { n: number; e: number }[] = [{ n: root, e: 0 }];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const edge = edges[top.n][top.e++];
      if (!edge) {
        state[top.n] = 2;
        stack.pop();
        continue;
      }
      if (state[edge.to] === 0) {
        state[edge.to] = 1;
        stack.push({ n: edge.to, e: 0 });
      } else if (state[edge.to] === 1) {
        const cycle = [...stack.slice(stack.findIndex((f) => f.n === edge.to)).map((f) => f.n), edge.to];
        const ids = cycle.map((n) => nodes[n].flat.step.id);
        const holds = cycle.some((n, k) => k > 0 && nodes[n].parent === cycle[k - 1]);
        const id = nodes[top.n].flat.step.id;
        issues.push({
          step: id,
          path: edgePath(nodes, top.n, edge),
          message: `dependency cycle: ${ids.join(" → ")}${holds ? " (a loop or branch waits for the steps inside it)" : ""}`,
        });
      }
    }
  }
}

/**
 * up(x) = each dependency d with up(d), plus up(enclosing step): as bitsets over node
 * indices, memoized, so a dense 1,000-step plan stays a few milliseconds. A node met
 * again while in progress (only possible on a cycle, already reported) counts as empty.
 */
function upstreamSets(nodes: Node[]): (i: number) => Uint32Array {
  const words = Math.ceil(nodes.length / 32);
  const memo: (Uint32Array | null | undefined)[] = new Array(nodes.length);
  const empty = new Uint32Array(words);
  const up = (i: number): Uint32Array => {
    const known = memo[i];
    if (known) return known;
    if (known === null) return empty;
    memo[i] = null;
    const set = new Uint32Array(words);
    const merge = (other: Uint32Array) => {
      for (let w = 0; w < words; w++) set[w] |= other[w];
    };
    for (const d of nodes[i].deps) {
      set[d.to >>> 5] |= 1 << (d.to & 31);
      merge(up(d.to));
    }
    const parent = nodes[i].parent;
    if (parent !== null) merge(up(parent));
    memo[i] = set;
    return set;
  };
  return up;
}

const has = (set: Uint32Array, i: number) => (set[i >>> 5] & (1 << (i & 31))) !== 0;

function checkTemplates(plan: Plan, nodes: Node[], byId: Map<string, number>, issues: PlanIssue[]) {
  const params = new Set(plan.params.map((p) => p.name));
  const upstream = upstreamSets(nodes);
  nodes.forEach((node, i) => {
    const { step, path, loops } = node.flat;
    if (step.kind !== "agent") return;
    const at = `${path}.instructions`;
    for (const ref of templateRefs(step.instructions)) {
      const text = step.instructions.slice(ref.start, ref.end);
      const report = (message: string) => issues.push({ step: step.id, path: at, message: `${text}: ${message}` });
      if (ref.kind === "invalid") report("not a valid reference; use {{params.<name>}}, {{steps.<id>.output}}, {{item}} or {{index}}");
      else if (ref.kind === "param" && !params.has(ref.name)) report(`no param "${ref.name}" is declared`);
      else if ((ref.kind === "item" || ref.kind === "index") && loops.length === 0) report("only available inside a loop body");
      else if (ref.kind === "step") {
        const to = byId.get(ref.id);
        if (to === undefined) report(`"${ref.id}" is not a step of this plan`);
        else if (to === i) report(`"${ref.id}" is this step: its output is what it is writing`);
        else if (encloses(nodes, to, i)) report(`"${ref.id}" encloses this step, so its output comes only after this step's`);
        else if (!has(upstream(i), to)) {
          report(`step "${ref.id}" is not upstream of "${step.id}"; add it to depends_on`);
        }
      }
    }
    // a declared param or a step named bare is a slip too: it would reach the model as written
    for (const m of step.instructions.matchAll(BARE_NAME)) {
      const [text, name, output] = m;
      if (!output && (name === "item" || name === "index")) continue;
      const report = (message: string) => issues.push({ step: step.id, path: at, message: `${text}: ${message}` });
      if (!output && params.has(name)) report(`not a valid reference; a param is written {{params.${name}}}`);
      else if (byId.has(name)) report(`not a valid reference; a step's output is written {{steps.${name}.output}}`);
    }
  });
}

/** `{{topic}}`, `{{gather}}`, `{{gather.output}}`: a name alone in braces, which `templateRefs` leaves as text. */
const BARE_NAME = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)(\.output)?\s*\}\}/g;

function encloses(nodes: Node[], outer: number, of: number): boolean {
  for (let p = nodes[of].parent; p !== null; p = nodes[p].parent) if (p === outer) return true;
  return false;
}

function checkParams(plan: Plan, issues: PlanIssue[]) {
  const first = new Map<string, number>();
  plan.params.forEach((p, i) => {
    const at = first.get(p.name);
    if (at === undefined) first.set(p.name, i);
    else issues.push({ path: `params[${i}].name`, message: `duplicate param "${p.name}" (first declared at params[${at}])` });
  });
}

function checkOutput(plan: Plan, nodes: Node[], byId: Map<string, number>, issues: PlanIssue[]) {
  if (plan.output === undefined) return;
  const to = byId.get(plan.output);
  if (to === undefined) issues.push({ path: "output", message: `output "${plan.output}" is not a step of this plan` });
  else if (nodes[to].flat.loops.length > 0) {
    issues.push({ path: "output", message: `output "${plan.output}" is inside a loop body, which runs once per item; name the loop instead` });
  } else if (nodes[to].flat.ancestors.length > 0) {
    // a path not taken would leave a completed task with no output
    const branch = nodes[to].flat.ancestors[0];
    issues.push({ path: "output", message: `output "${plan.output}" is on a path of branch "${branch}", which may not be taken; name the branch instead (its output is its path's)` });
  }
}
