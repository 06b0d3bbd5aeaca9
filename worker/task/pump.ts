import { log } from "../lib/log";
import { type Action, type NodeSpec, nextActions, taskStatus } from "./dag";
import { FINAL } from "./outcome";
import type { TaskRunner } from "./runner";
import { type StoredNode, saveNode, runKey } from "./store";

type PumpedTask = Pick<
  TaskRunner,
  "meta" | "status" | "index" | "graph" | "runs" | "sql" | "inflight" | "executor" | "nodes" | "node" | "transact" | "emitStep" | "beginRun" | "finishNode"
>;

/** What the pump needs of the task object beyond its steps. */
export interface PumpHooks {
  /** Whether the organization's queue lets the task run. */
  admitted(): boolean;
  /** Inside a pass's transaction: the queue's side, stored with the steps it lets start. */
  saveQueue(): void;
  /** Stores new steps (a loop's iterations, a branch's path) after those the task has. */
  addNodes(specs: NodeSpec[]): void;
  /** After each pass: the task's status and its alarm. */
  passed(): void;
}

/** Drives the task's DAG: applies what the scheduler (./dag.ts) says, and launches and relaunches the runs. */
export class DagPump {
  private pumpScheduled = false;

  constructor(
    private readonly t: PumpedTask,
    private readonly hooks: PumpHooks,
  ) {}

  /**
   * Applies what the scheduler says and launches the runs it started. `launch: "next turn"` leaves them to
   * the next pass, a macrotask later: a run of the zero-delay `sim` is all calls inside the process, and it
   * should not hold up the answer to the call that started the task (see TaskRunner's `store`).
   */
  pump(now = Date.now(), launch: "now" | "next turn" = "now"): void {
    const t = this.t;
    if (!t.meta || FINAL.has(t.status) || !this.hooks.admitted()) return;
    for (const n of t.nodes()) if (this.needsLaunch(n)) this.launch(n.key);
    const toStart: string[] = [];
    let actions = nextActions(t.meta!.plan, t.index, t.graph);
    // most passes (a run that just finished and recorded its own step) have nothing to apply: no transaction for them
    if (actions.length) {
      t.transact(() => {
        this.hooks.saveQueue();
        for (;;) {
          // once a step has failed the task fails: loops and branches take the failure up, but nothing new starts
          if (taskStatus(t.graph) === "failed") actions = actions.filter((a) => a.type === "fail" || a.type === "complete");
          let applied = 0;
          for (const a of actions) if (this.apply(a, now, toStart)) applied++;
          if (!applied) break;
          actions = nextActions(t.meta!.plan, t.index, t.graph);
        }
      });
    }
    // the next pass launches every running step not in flight, having checked the task is still going
    if (launch === "now") for (const key of toStart) this.launch(key);
    else if (toStart.length) this.schedule();
    this.hooks.passed();
  }

  private apply(a: Action, now: number, toStart: string[]): boolean {
    const t = this.t;
    const node = t.node(a.key);
    switch (a.type) {
      case "start_agent": {
        if (node.retry_at && node.retry_at > now) return false;
        if (this.reuse(node, now)) return true;
        node.retry_at = null;
        // a retry answers the same review as the run that failed, and goes on from where it stopped
        const failed = t.runs.get(runKey(node.key, node.runs));
        if (failed?.status === "failed") t.beginRun(node, now, failed.feedback, failed.run_no);
        else t.beginRun(node, now, null);
        toStart.push(node.key);
        return true;
      }
      case "start_iteration":
        Object.assign(node, { status: "running", started_at: now });
        saveNode(t.sql, node);
        t.emitStep(node);
        return true;
      case "expand_loop":
      case "take_branch":
        if (this.reuse(node, now)) return true;
        this.hooks.addNodes(a.nodes);
        Object.assign(node, { status: "running", started_at: now });
        saveNode(t.sql, node);
        t.emitStep(node);
        return true;
      case "complete":
        t.finishNode(node, "completed", a.output, null, now);
        return true;
      case "fail":
        t.finishNode(node, "failed", null, a.error, now);
        return true;
    }
  }

  /** A rerun takes the outputs of the steps upstream of where it restarts from the task it reruns. */
  private reuse(node: StoredNode, now: number): boolean {
    const reused = this.t.meta!.reused[node.key];
    if (reused === undefined) return false;
    Object.assign(node, { status: "completed", output: reused, started_at: now, finished_at: now });
    saveNode(this.t.sql, node);
    this.t.emitStep(node);
    return true;
  }

  launch(key: string): void {
    const t = this.t;
    const ac = new AbortController();
    t.inflight.set(key, ac);
    void t.executor
      .run(key, ac)
      .catch((e) => log("error", "run crashed", { task_id: t.meta?.id, step: key, error: String(e), stack: (e as Error).stack }))
      .finally(() => {
        if (t.inflight.get(key) === ac) t.inflight.delete(key);
        // The run that ends the task finishes it in its own turn, one commit with its outcome. Any other
        // waits for the next pass: runs that finish together share it, and a step's result is stored
        // before the next step starts.
        if (t.inflight.size === 0 && FINAL.has(taskStatus(t.graph))) this.pump();
        else this.schedule();
      });
  }

  /** Runs that finish together (a loop's fan-out) share one scheduling pass instead of one each. */
  schedule(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setTimeout(() => {
      this.pumpScheduled = false;
      this.pump();
    }, 0);
  }

  /** Whether a step runs in storage but not in this instance, as after a restart: the next pass launches it. */
  unlaunched(): boolean {
    for (const n of this.t.nodes()) if (this.needsLaunch(n)) return true;
    return false;
  }

  /** A run to resume, or a step to start or settle that the pass a restart cut off would have stored (a backoff not yet due aside). */
  stalled(now: number): boolean {
    if (this.unlaunched()) return true;
    return nextActions(this.t.meta!.plan, this.t.index, this.t.graph).some((a) => a.type !== "start_agent" || (this.t.node(a.key).retry_at ?? 0) <= now);
  }

  private needsLaunch(n: StoredNode): boolean {
    return n.kind === "agent" && n.status === "running" && !this.t.inflight.has(n.key) && n.waiting?.kind !== "child";
  }
}
