import { A, useParams } from "@solidjs/router";
import { createEffect, createSignal, lazy, on, onCleanup, Show, Suspense } from "solid-js";
import { FINAL } from "../../../../worker/task/outcome";
import { api, namesNothing, openStream, taskEventsPath, type StreamState } from "../../api";
import type { TaskDetail } from "../../api-types";
import { ConnectionIndicator } from "../../components/connection-indicator";
import { DagView } from "../../components/dag-view";
import { Progress } from "../../components/progress";
import { RoleNote } from "../../components/role-gate";
import { EmptyState, ErrorState, Loading } from "../../components/states";
import { InputNeededNote } from "../../components/input-needed-note";
import { StatusBadge, WaitingNote } from "../../components/status-badge";
import { StepList } from "../../components/step-list";
import { TaskActions } from "../../components/task-actions";
import { durationBetween, fmtCost, fmtDateFull, fmtDuration, fmtInt, totalTokens } from "../../lib/format";
import { onLive, throttle } from "../../lib/live";
import { createLoader } from "../../lib/loader";
import { usePageTitle } from "../../lib/page-title";
import { canWrite, isAdmin } from "../../lib/session";
import { Conversation } from "./conversation";
import { PendingPanel } from "./pending-panel";

const RerunDialog = lazy(() => import("./rerun-dialog").then((m) => ({ default: m.RerunDialog })));

const TASK_EVENTS = ["task.updated", "step.updated", "run.turn", "run.text", "task.created", "reset"] as const;

export function TaskDetailPage() {
  const params = useParams<{ id: string }>();
  const task = createLoader<TaskDetail>(() => api.tasks.get(params.id), { immediate: false });
  const [stream, setStream] = createSignal<StreamState>("connecting");
  const [ended, setEnded] = createSignal(false);
  /** Shown, then purged (by a person or the retention period): said so, rather than its last data kept on screen. */
  const [seen, setSeen] = createSignal(false);
  const [deleted, setDeleted] = createSignal(false);
  const refetch = throttle(() => void task.refresh(), 300);
  const notFound = () => namesNothing(task.error);
  usePageTitle(() => {
    if (deleted()) return "Task deleted";
    if (task.data?.id === params.id) return task.data.title;
    if (notFound()) return "Task not found";
    return task.error ? "Could not load this task" : undefined;
  });

  createEffect(() => {
    if (task.data?.id === params.id) setSeen(true);
    if (seen() && notFound()) setDeleted(true);
  });
  // a finished task's own stream has ended: the organization's feed says when it is deleted, and when a sub-task
  // (which may outlive it) changes the sub-task totals
  onLive((ev) => {
    if (ev.type === "reset") refetch();
    else if (ev.type === "task" && ev.task.id === params.id && ev.deleted) {
      setDeleted(true);
      refetch();
    } else if (ev.type === "task" && ev.task.parent_id === params.id && !deleted()) refetch();
  });

  createEffect(
    on(
      () => params.id,
      (id) => {
        void task.refresh();
        const stop = openStream(taskEventsPath(id), TASK_EVENTS, refetch, (s) => {
          if (s === "open" && stream() !== "open") refetch();
          setStream(s);
        });
        // A finished task's stream has nothing more to say; the server ends it and we stop reconnecting.
        // Nor has an unknown one's (404).
        createEffect(() => {
          if (notFound() || deleted() || (task.data?.id === id && FINAL.has(task.data.status))) {
            stop();
            setStream("closed");
            setEnded(true);
          }
        });
        onCleanup(() => {
          stop();
          setEnded(false);
          setSeen(false);
          setDeleted(false);
        });
      },
    ),
  );

  return (
    <section class="page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <A href="/">Tasks</A>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{task.data?.title ?? params.id}</span>
      </nav>
      <Show
        when={task.data?.id === params.id && !deleted() ? task.data : undefined}
        fallback={
          <Show when={!deleted()} fallback={<DeletedState />}>
            <Show when={task.error} fallback={<Loading label="Loading task…" />}>
              <Show when={notFound()} fallback={<ErrorState error={task.error} retry={task.refresh} title="Could not load this task" heading />}>
                <EmptyState title="Task not found" heading>It may belong to another organization, or the link is wrong.</EmptyState>
              </Show>
            </Show>
          </Show>
        }
      >
        {(t) => (
          <>
            {/* the task as last read stays on screen; that it may be out of date is said, with a retry */}
            <Show when={task.error && !notFound()}>
              <ErrorState error={task.error} retry={task.refresh} title="Could not refresh this task: what shows may be out of date" />
            </Show>
            <Detail task={t()} stream={ended() ? null : stream()} onChanged={refetch} />
          </>
        )}
      </Show>
    </section>
  );
}

function DeletedState() {
  return (
    <div class="state state-empty" role="status">
      <h1 class="state-title">This task was deleted</h1>
      <div class="muted">
        It was deleted for good (by an admin, or after the organization's retention period), with its steps, runs and traces. <A href="/">Back to Tasks</A>
      </div>
    </div>
  );
}

function Detail(props: { task: TaskDetail; stream: StreamState | null; onChanged: () => void }) {
  const t = () => props.task;
  const single = () => {
    const s = t().steps;
    return s.length === 1 && s[0].kind === "agent" ? s[0] : null;
  };
  // the dialog's preselected step: "" for the whole task
  const [rerun, setRerun] = createSignal<string | null>(null);
  return (
    <>
      <header class="page-head detail-head">
        <div class="stack-xs">
          <h1 tabindex="-1">{t().title}</h1>
          <div class="row gap-sm wrap">
            <StatusBadge status={t().status} />
            <span class="tag">{t().source}</span>
            <span class="muted small">
              by {t().created_by?.name ?? "—"} · {fmtDateFull(t().created_at)}
            </span>
            <Show when={props.stream}>{(s) => <ConnectionIndicator state={s()} label="Task stream" />}</Show>
          </div>
          <WaitingNote waiting={t().waiting} refresh={props.onChanged} />
          <InputNeededNote needed={t().input_needed_in} />
        </div>
        <div class="stack-xs">
          <TaskActions
            task={t()}
            onChanged={props.onChanged}
            size="md"
            extra={
              <Show when={FINAL.has(t().status)}>
                <button class="btn btn-md" type="button" disabled={!canWrite()} onClick={() => setRerun("")}>
                  Rerun…
                </button>
              </Show>
            }
          />
          <Show when={FINAL.has(t().status) && !canWrite()}>
            <RoleNote>Viewers cannot rerun tasks: that needs a member or admin token.</RoleNote>
          </Show>
        </div>
      </header>
      <Show when={rerun() !== null}>
        {/* its own boundary: loading its code must not suspend the page, which would take away the button to give the focus back to */}
        <Suspense>
          <RerunDialog task={t()} from={rerun() ?? ""} onClose={() => setRerun(null)} />
        </Suspense>
      </Show>

      <PendingPanel task={t()} onChanged={props.onChanged} />

      <div class="stats">
        <Stat label="Progress">
          <span>
            {t().progress.done}/{t().progress.total} steps
          </span>
          <Progress done={t().progress.done} total={t().progress.total} status={t().status} />
        </Stat>
        <Stat label="Duration">{fmtDuration(durationBetween(t().started_at, t().finished_at))}</Stat>
        <Stat label="Tokens" title={`total ${fmtInt(totalTokens(t().tokens))}`}>
          <span>{fmtInt(totalTokens(t().tokens))}</span>
          <span class="muted small">
            in {fmtInt(t().tokens.input)} · cache {fmtInt(t().tokens.cache)}
            {t().tokens.cache_write > 0 ? ` · cache write ${fmtInt(t().tokens.cache_write)}` : ""} · out {fmtInt(t().tokens.output)} · search {fmtInt(t().tokens.web_search)}
          </span>
        </Stat>
        <Stat label="Searches">{fmtInt(t().searches)}</Stat>
        <Stat label="Cost">
          <span class="stat-strong" data-testid="task-cost">
            {fmtCost(t().cost)}
          </span>
          <Show when={t().max_cost != null}>
            <span class="muted small" data-testid="task-budget">
              of a {fmtCost(t().max_cost)} budget
            </span>
          </Show>
        </Stat>
      </div>

      <Show when={t().description}>
        <details class="card" open={!single()}>
          <summary>
            <h2 class="inline-h">Description</h2>
          </summary>
          <pre class="prose-pre">{t().description}</pre>
        </details>
      </Show>

      <Show when={t().plan?.steps?.length}>
        <section class="card" aria-labelledby="dag-title">
          <h2 id="dag-title">Plan</h2>
          <div class="dag-scroll" tabindex="0" role="region" aria-label="Plan graph">
            <DagView plan={t().plan!.steps} steps={t().steps} />
          </div>
        </section>
      </Show>

      <section class="card" aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        <Show when={t().steps.length} fallback={<EmptyState title="No steps yet" />}>
          <StepList taskId={t().id} steps={t().steps} detailed onRerun={FINAL.has(t().status) && canWrite() ? setRerun : undefined} inputNeeded={t().input_needed_in} />
        </Show>
      </section>

      <Show when={single()}>
        {(s) => (
          <Show when={s().runs?.length} fallback={<EmptyState title="The agent has not started yet" />}>
            <Conversation taskId={t().id} step={s()} />
          </Show>
        )}
      </Show>

      <Show when={t().output}>
        <section class="card" aria-labelledby="out-title">
          <h2 id="out-title">Output</h2>
          <pre class="prose-pre">{t().output}</pre>
        </section>
      </Show>

      <dl class="meta-grid muted small">
        <dt>Task id</dt>
        <dd>
          <code>{t().id}</code>
        </dd>
        <dt>Session</dt>
        <dd>
          <code>{t().session_id}</code>
        </dd>
        <Show when={t().parent_id}>
          <dt>Parent</dt>
          <dd>
            <A href={`/tasks/${t().parent_id}`}>{t().parent_id}</A>
          </dd>
        </Show>
        <Show when={t().trigger_id}>
          {(id) => (
            <>
              <dt>Trigger</dt>
              <dd data-testid="task-trigger">
                <A href={`/tasks?trigger_id=${encodeURIComponent(id())}`} title="This trigger's tasks">
                  {id()}
                </A>
              </dd>
            </>
          )}
        </Show>
        <Show when={t().children.count > 0}>
          <dt>Sub-tasks</dt>
          <dd data-testid="sub-tasks">
            <A href={`/tasks?parent_id=${encodeURIComponent(t().id)}`}>
              {t().children.count === 1 ? "1 sub-task" : `${fmtInt(t().children.count)} sub-tasks`}
            </A>{" "}
            <span class="muted">· {fmtCost(t().children.cost)}, not in this task's cost</span>
          </dd>
        </Show>
        <Show when={t().plan_id}>
          <dt>Plan</dt>
          <dd>
            <A href={`/plans/${t().plan_id}${t().plan_version ? `?version=${t().plan_version}` : ""}`}>
              {t().plan_id} v{t().plan_version}
            </A>
          </dd>
        </Show>
        <dt>Started</dt>
        <dd>{fmtDateFull(t().started_at) || "—"}</dd>
        <dt>Finished</dt>
        <dd>{fmtDateFull(t().finished_at) || "—"}</dd>
        <Show when={isAdmin()}>
          <dt>Audit</dt>
          <dd>
            <A href={`/settings?tab=audit&target=${encodeURIComponent(t().id)}`}>Who did what to this task</A>
          </dd>
        </Show>
      </dl>
    </>
  );
}

function Stat(props: { label: string; title?: string; children: import("solid-js").JSX.Element }) {
  return (
    <div class="stat" title={props.title}>
      <span class="stat-label">{props.label}</span>
      <div class="stat-value">{props.children}</div>
    </div>
  );
}
