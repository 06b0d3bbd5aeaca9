import { createSignal, onCleanup } from "solid-js";
import { openStream, orgEventsPath, type StreamState } from "../api";
import type { PlanSummary, TaskListItem } from "../api-types";

export type LiveEvent =
  | { type: "task"; task: TaskListItem; deleted: boolean }
  | { type: "plan"; plan: PlanSummary; deleted: boolean }
  | { type: "trigger" | "agent"; id: string; deleted: boolean }
  | { type: "reset" };
type Listener = (e: LiveEvent) => void;

const [orgFeedState, setOrgFeedState] = createSignal<StreamState>("closed");
export { orgFeedState };

const listeners = new Set<Listener>();
let stop: (() => void) | null = null;

const TYPES = ["task.updated", "task.deleted", "plan.updated", "plan.deleted", "trigger.updated", "trigger.deleted", "agent.updated", "agent.deleted", "reset"] as const;

function asTask(data: unknown): TaskListItem | null {
  if (typeof data !== "object" || data === null) return null;
  const inner = "task" in data ? (data as { task: unknown }).task : data;
  if (typeof inner !== "object" || inner === null || !("id" in inner) || !("status" in inner)) return null;
  // the feed names the event in its data too: the task is the rest
  const { type: _, ...task } = inner as TaskListItem & { type?: string };
  return task;
}

function asPlan(data: unknown): PlanSummary | null {
  if (typeof data !== "object" || data === null || !("id" in data) || !("version" in data)) return null;
  const { type: _, ...plan } = data as PlanSummary & { type?: string };
  return plan;
}

export function startOrgFeed(): void {
  if (stop) return;
  stop = openStream(
    orgEventsPath,
    TYPES,
    ({ type, data }) => {
      let ev: LiveEvent | null = null;
      if (type === "reset") ev = { type: "reset" };
      else if (type.startsWith("plan.")) {
        const plan = asPlan(data);
        if (plan) ev = { type: "plan", plan, deleted: type === "plan.deleted" };
      } else if (type.startsWith("trigger.") || type.startsWith("agent.")) {
        const id = typeof data === "object" && data !== null && "id" in data ? data.id : null;
        if (typeof id === "string") ev = { type: type.startsWith("agent.") ? "agent" : "trigger", id, deleted: type.endsWith(".deleted") };
      } else {
        const task = asTask(data);
        if (task) ev = { type: "task", task, deleted: type === "task.deleted" };
      }
      if (ev) for (const l of listeners) l(ev);
    },
    (s) => {
      // A reconnect may have missed events the server could not replay, and the first connection those that came
      // between a page's first read and it (a task started meanwhile, left out of a filtered table for good): refetch.
      if (s === "open" && orgFeedState() !== "open") for (const l of listeners) l({ type: "reset" });
      setOrgFeedState(s);
    },
  );
}

export function stopOrgFeed(): void {
  stop?.();
  stop = null;
  setOrgFeedState("closed");
}

/** Subscribe for the lifetime of the calling component. */
export function onLive(fn: Listener): void {
  listeners.add(fn);
  onCleanup(() => listeners.delete(fn));
}

/** Calls fn at most once per `ms`, trailing. */
export function throttle(fn: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  const run = () => {
    t = undefined;
    last = Date.now();
    fn();
  };
  const wrapped = () => {
    if (t) return;
    t = setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  onCleanup(() => clearTimeout(t));
  return wrapped;
}
