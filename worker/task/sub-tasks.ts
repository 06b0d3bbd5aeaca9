import type { TaskStatus } from "../db/schema";
import type { InputNeeded } from "../db/task-row";
import type { Bindings } from "../env";
import { log } from "../lib/log";
import { taskStub } from "./stub";
import { type Actor, auditStatement } from "../lib/audit";
import { type InputTarget, inputNeededIn, inputTargetOf, sameTarget } from "./input-needed";
import { FINAL, failureOf } from "./outcome";
import type { TaskRunner } from "./runner";
import { type StoredNode, saveNode } from "./store";

/** A sub-task's end, as it reports it or its index row shows it. */
export interface FinishedChild {
  id: string;
  status: TaskStatus;
  output: string | null;
  error?: string | null;
}

type RelatedTask = Pick<
  TaskRunner,
  "meta" | "status" | "output" | "sql" | "state" | "inflight" | "executor" | "sync" | "nodes" | "transact" | "emitTaskUpdated" | "wakeWaiters" | "pump"
>;

/**
 * A task's ties to the tasks it made and to the one that made it: a step waiting on a sub-task takes the
 * sub-task's end as its tool call's result, and shows whom that sub-task asks; a sub-task tells its parent both.
 */
export class SubTasks {
  /**
   * What this sub-task last told its parent of a person asked in it (./input-needed.ts), as JSON; reports go in order.
   * A new task has told nothing and asks nobody; one woken from storage may have told something before: unknown.
   */
  private reportedInput: string | undefined = "null";
  private reporting: Promise<void> = Promise.resolve();
  /** Reports of sub-tasks this task has made but not yet stored that it waits on: one may ask before that. */
  private readonly childReports = new Map<string, InputTarget | null>();

  constructor(
    private readonly t: RelatedTask,
    private readonly env: () => Bindings,
  ) {}

  /** The task was woken from storage. */
  woken(): void {
    this.reportedInput = undefined;
  }

  /** A child reports when it finishes; the heartbeat alarm also looks, in case that report was lost. */
  childFinished(child: FinishedChild): void {
    this.childReports.delete(child.id);
    for (const n of this.t.nodes()) {
      if (n.waiting?.kind !== "child" || n.waiting.task_id !== child.id) continue;
      this.endChildWait(n, child);
      this.t.pump();
    }
  }

  private endChildWait(n: StoredNode, child: FinishedChild): void {
    const t = this.t;
    t.transact(() => {
      const asked = n.waiting?.kind === "child" && n.waiting.input;
      t.executor.childFinished(n, child);
      if (asked) t.emitTaskUpdated();
    });
    this.tellParent();
  }

  /**
   * A sub-task says whether a person is asked something in it or below it (`input`, the task asking), each time
   * that changes, so this task's lists, feed and stream say it waits on that person; the heartbeat also looks.
   */
  childInput(id: string, input: InputTarget | null): void {
    const t = this.t;
    if (!t.meta || FINAL.has(t.status)) return;
    const waiting = [...t.nodes()].filter((n) => n.waiting?.kind === "child" && n.waiting.task_id === id);
    if (waiting.length) this.setChildInput(waiting, input);
    // made but not yet stored as waited on (its step's spawn_task is still being answered): kept for that moment
    else if (t.inflight.size) this.childReports.set(id, input);
  }

  /** The report a sub-task made before this task stored that it waits on it, taken once. */
  takeChildReport(id: string): InputTarget | null | undefined {
    const report = this.childReports.get(id);
    this.childReports.delete(id);
    return report;
  }

  private setChildInput(nodes: StoredNode[], input: InputTarget | null): void {
    const t = this.t;
    const changed = nodes.filter((n) => n.waiting?.kind === "child" && !sameTarget(n.waiting.input, input));
    if (!changed.length) return;
    t.transact(() => {
      for (const n of changed) {
        if (n.waiting?.kind !== "child") continue;
        const { kind, task_id, tool_call_id } = n.waiting;
        n.waiting = input ? { kind, task_id, tool_call_id, input } : { kind, task_id, tool_call_id };
        saveNode(t.sql, n);
      }
      t.emitTaskUpdated();
    });
    t.sync.soon();
    if (input) t.wakeWaiters();
    this.tellParent();
  }

  /**
   * A sub-task tells its parent, in order, whenever what it would say of a person asked in it changes; its
   * end is told by `notifyParent`. A report lost (a restart) is made good by the parent's heartbeat.
   */
  tellParent(): void {
    const t = this.t;
    const m = t.meta;
    if (!m?.parent_id || FINAL.has(t.status)) return;
    const input = inputTargetOf({ id: m.id, title: m.title, status: t.status, input_needed_in: inputNeededIn(t.nodes()) });
    const json = JSON.stringify(input);
    if (json === this.reportedInput) return;
    this.reportedInput = json;
    const env = this.env();
    const parent = taskStub(env, m.parent_id);
    this.reporting = this.reporting.then(() =>
      parent.childInput(m.id, input).catch((e) => {
        this.reportedInput = undefined;
        log("warn", "parent not told of input asked", { task_id: m.id, parent_id: m.parent_id, error: String(e) });
      }),
    );
    t.state.waitUntil(this.reporting);
  }

  async notifyParent(): Promise<void> {
    const t = this.t;
    const m = t.meta!;
    await t.sync.flushed();
    const env = this.env();
    const parent = taskStub(env, m.parent_id!);
    await parent.childFinished({ id: m.id, status: t.status, output: t.output, error: failureOf(t.status, t.nodes()) }).catch((e) => log("warn", "parent notification failed", { task_id: m.id, parent_id: m.parent_id, error: String(e) }));
  }

  async pollChildren(): Promise<void> {
    for (const n of this.t.nodes()) {
      if (n.waiting?.kind !== "child") continue;
      const row = await this.env().DB.prepare("SELECT id, title, status, output, input_needed_in FROM tasks WHERE id = ?")
        .bind(n.waiting.task_id)
        .first<{ id: string; title: string; status: TaskStatus; output: string | null; input_needed_in: string }>();
      if (!row || n.waiting?.kind !== "child") continue;
      if (FINAL.has(row.status)) this.endChildWait(n, row);
      else this.setChildInput([n], inputTargetOf({ ...row, input_needed_in: JSON.parse(row.input_needed_in) as InputNeeded[] }));
    }
  }

  /** A sub-task whose result this task, now finished, will never take. */
  stopChild(id: string): void {
    const t = this.t;
    t.state.waitUntil(this.cancelChild(id, `parent task ${t.status}`).catch((e) => log("warn", "sub-task not cancelled", { task_id: t.meta!.id, child_id: id, error: String(e) })));
  }

  async cancelChildren(reason: string): Promise<void> {
    const { results } = await this.env().DB.prepare(
      "SELECT id FROM tasks WHERE parent_id = ? AND status IN ('pending', 'in_progress', 'needs_input')",
    )
      .bind(this.t.meta!.id)
      .all<{ id: string }>();
    await Promise.all(results.map((r) => this.cancelChild(r.id, reason)));
  }

  /** Cancels a sub-task, recorded in the audit log as the system's doing (a person cancelled its parent, or it failed). */
  private async cancelChild(id: string, reason: string): Promise<void> {
    const env = this.env();
    const done = await taskStub(env, id).cancel(reason);
    if (!done.ok) return;
    const m = this.t.meta!;
    const actor: Actor = { type: "system", id: "sub-tasks", name: "sub-task of a task that ended" };
    await auditStatement(env.DB, { org_id: m.org_id, actor, action: "task.cancel", target_type: "task", target_id: id, details: { parent_id: m.id, reason } }).run();
  }
}
