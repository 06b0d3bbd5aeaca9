import { createMemo, For, Show } from "solid-js";
import type { PlanStep, Step, StepStatus } from "../api-types";
import { STATUS_LABEL } from "../lib/format";
import { FitText } from "./fit-text";

interface Node {
  id: string;
  label: string;
  kind: string;
  deps: { id: string; label?: string }[];
  /** The loop or branch whose body or case holds this step, if any. */
  within?: { id: string; kind: "loop" | "branch" };
  layer: number;
  row: number;
}

const W = 168;
const H = 46;
const GX = 56;
const GY = 18;

/**
 * The steps of a plan being typed (any parsed JSON), or null until they can be drawn: a list of objects with ids,
 * nested bodies lists too. The server checks the rest when the plan is saved.
 */
export function drawableSteps(v: unknown): PlanStep[] | null {
  const isList = (x: unknown): x is PlanStep[] =>
    Array.isArray(x) &&
    x.every((s: unknown) => {
      if (typeof s !== "object" || s === null || typeof (s as { id?: unknown }).id !== "string") return false;
      const st = s as { kind?: unknown; depends_on?: unknown; body?: unknown; cases?: unknown; default?: unknown };
      if (st.depends_on !== undefined && !(Array.isArray(st.depends_on) && st.depends_on.every((d) => typeof d === "string"))) return false;
      if (st.kind === "loop") return isList(st.body);
      if (st.kind === "branch") {
        return typeof st.cases === "object" && st.cases !== null && Object.values(st.cases).every(isList) && (st.default === undefined || isList(st.default));
      }
      return true;
    });
  const steps = typeof v === "object" && v !== null ? (v as { steps?: unknown }).steps : undefined;
  return isList(steps) ? steps : null;
}

function collect(steps: PlanStep[], out: Map<string, Node>, implicit?: { id: string; label?: string }, within?: Node["within"]) {
  const inner = new Set(steps.map((s) => s.id));
  for (const s of steps) {
    const deps: Node["deps"] = (s.depends_on ?? []).map((id) => ({ id }));
    if (s.kind === "loop") deps.push({ id: s.over, label: "over" });
    if (s.kind === "branch") deps.push({ id: s.on, label: "on" });
    // Steps that start a nested body hang off their loop or branch.
    if (implicit && !(s.depends_on ?? []).some((d) => inner.has(d))) deps.push(implicit);
    out.set(s.id, { id: s.id, label: s.name || s.id, kind: s.kind ?? "agent", deps, within, layer: 0, row: 0 });
    if (s.kind === "loop") collect(s.body, out, { id: s.id, label: "each" }, { id: s.id, kind: "loop" });
    if (s.kind === "branch") {
      for (const [value, body] of Object.entries(s.cases)) collect(body, out, { id: s.id, label: value }, { id: s.id, kind: "branch" });
      if (s.default?.length) collect(s.default, out, { id: s.id, label: "default" }, { id: s.id, kind: "branch" });
    }
  }
}

function layout(steps: PlanStep[]): Node[] {
  const nodes = new Map<string, Node>();
  collect(steps, nodes);
  const memo = new Map<string, number>();
  const depth = (id: string, seen: Set<string>): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const n = nodes.get(id);
    if (!n || seen.has(id)) return 0;
    seen.add(id);
    const d = n.deps.reduce((m, dep) => (nodes.has(dep.id) ? Math.max(m, depth(dep.id, seen) + 1) : m), 0);
    memo.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  for (const n of nodes.values()) {
    n.layer = depth(n.id, new Set());
    n.row = rows.get(n.layer) ?? 0;
    rows.set(n.layer, n.row + 1);
  }
  return [...nodes.values()];
}

/** Status per plan step id; loop body steps aggregate their iterations. */
export function statusIndex(steps: Step[]): Map<string, StepStatus> {
  const all = new Map<string, StepStatus[]>();
  const visit = (list: Step[] | undefined) => {
    for (const s of list ?? []) {
      const base = s.id.replace(/^.*\]\./, "").replace(/\[\d+\]$/, "");
      if (s.kind !== "iteration") all.set(base, [...(all.get(base) ?? []), s.status]);
      visit(s.iterations);
      visit(s.steps);
    }
  };
  visit(steps);
  const out = new Map<string, StepStatus>();
  for (const [id, list] of all) out.set(id, aggregate(list));
  return out;
}

function aggregate(list: StepStatus[]): StepStatus {
  if (list.length === 1) return list[0];
  const has = (...s: StepStatus[]) => list.some((x) => s.includes(x));
  if (has("failed")) return "failed";
  if (has("needs_input")) return "needs_input";
  if (has("in_progress")) return "in_progress";
  if (list.every((x) => x === "completed" || x === "skipped")) return list.every((x) => x === "skipped") ? "skipped" : "completed";
  if (has("cancelled")) return "cancelled";
  return "pending";
}

/** Kind and status under a node's name, or the status alone when both would not fit the box. */
const subLabel = (kind: string, status: string) => (kind.length + status.length + 3 > 20 ? status : `${kind} · ${status}`);

/** Room for a node's text: the box less the dot on the left and a margin on the right. */
const TEXT_W = W - 30 - 10;

/**
 * A plan's steps as a graph. With `steps` (a task's), each node shows its status and branch paths not
 * taken are hidden; without them (a draft, never run) nodes show their kind alone.
 */
export function DagView(props: { plan: PlanStep[]; steps?: Step[] }) {
  const planned = createMemo(() => layout(props.plan));
  const status = createMemo(() => statusIndex(props.steps ?? []));
  const inPlan = createMemo(() => new Map(planned().map((n) => [n.id, n])));
  const ran = () => props.steps !== undefined;
  /**
   * A step the task never ran sits on a branch path not taken once that branch has decided, or in the body of a
   * loop that ran no iteration (an empty list), or one the task stopped before it began: not waiting for anything.
   */
  const reused = createMemo(() => new Set((props.steps ?? []).filter((s) => s.reused).map((s) => s.id)));
  /** The top-level step `id` sits in. */
  const topOf = (id: string): string => {
    const within = inPlan().get(id)?.within;
    return within ? topOf(within.id) : id;
  };
  /** A step of a reused loop ran in the task rerun, not in this one: it reads Reused, not Skipped. */
  const isReused = (id: string) => reused().has(topOf(id)) && inPlan().get(id)?.within?.kind !== "branch";
  const label = (id: string) => (isReused(id) ? "Reused" : (STATUS_LABEL[st(id)] ?? st(id)));
  const st = (id: string): StepStatus => {
    const known = status().get(id);
    if (known) return known;
    const within = inPlan().get(id)?.within;
    const outer = within ? st(within.id) : "pending";
    if (!within || outer === "pending") return "pending";
    if (isReused(id)) return "completed";
    if (within.kind === "branch") return "skipped";
    if (outer === "completed" || outer === "skipped") return "skipped";
    return outer === "cancelled" || outer === "failed" ? "cancelled" : "pending";
  };
  /** Branch paths not taken are hidden, as in the step list; each layer's rows close up behind them. */
  const nodes = createMemo(() => {
    const rows = new Map<number, number>();
    return planned()
      .filter((n) => !(n.within?.kind === "branch" && st(n.id) === "skipped"))
      .sort((a, b) => a.layer - b.layer || a.row - b.row)
      .map((n) => {
        const row = rows.get(n.layer) ?? 0;
        rows.set(n.layer, row + 1);
        return { ...n, row };
      });
  });
  const pos = (n: Node) => ({ x: 8 + n.layer * (W + GX), y: 8 + n.row * (H + GY) });
  const size = () => {
    const ns = nodes();
    const layers = Math.max(0, ...ns.map((n) => n.layer)) + 1;
    const rows = Math.max(0, ...ns.map((n) => n.row)) + 1;
    return { w: 16 + layers * W + (layers - 1) * GX, h: 16 + rows * H + (rows - 1) * GY };
  };
  const byId = createMemo(() => new Map(nodes().map((n) => [n.id, n])));

  return (
    <figure class="dag">
      <svg viewBox={`0 0 ${size().w} ${size().h}`} width={size().w} height={size().h} role="img" aria-label={ran() ? "Plan graph coloured by step status" : "Plan graph"}>
        <defs>
          <marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0 0L10 5L0 10z" class="dag-arrow" />
          </marker>
        </defs>
        <For each={nodes()}>
          {(n) => (
            <For each={n.deps.filter((d) => byId().has(d.id))}>
              {(d) => {
                const a = () => pos(byId().get(d.id)!);
                const b = () => pos(n);
                const path = () => {
                  const x1 = a().x + W;
                  const y1 = a().y + H / 2;
                  const x2 = b().x - 2;
                  const y2 = b().y + H / 2;
                  const mx = (x1 + x2) / 2;
                  return `M${x1} ${y1}C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}`;
                };
                return (
                  <g class="dag-edge">
                    <path d={path()} marker-end="url(#dag-arrow)" />
                    <Show when={d.label && d.label !== "over" && d.label !== "on"}>
                      <text x={(a().x + W + b().x) / 2} y={(a().y + b().y) / 2 + H / 2 - 6} class="dag-edge-label" text-anchor="middle">
                        {d.label}
                      </text>
                    </Show>
                  </g>
                );
              }}
            </For>
          )}
        </For>
        <For each={nodes()}>
          {(n) => (
            <g class={ran() ? `dag-node status-${st(n.id)}` : "dag-node"} transform={`translate(${pos(n).x} ${pos(n).y})`} data-step={n.id} data-status={ran() ? st(n.id) : undefined}>
              <title>{ran() ? `${n.label} (${n.kind}): ${label(n.id)}` : `${n.label} (${n.kind})`}</title>
              <rect width={W} height={H} rx="10" />
              <circle cx="16" cy={H / 2} r="5" class="dag-dot" />
              <FitText x={30} y={19} width={TEXT_W} class="dag-label" text={n.label} />
              <FitText x={30} y={35} width={TEXT_W} class="dag-sub" text={ran() ? subLabel(n.kind, label(n.id)) : n.kind} />
            </g>
          )}
        </For>
      </svg>
    </figure>
  );
}
