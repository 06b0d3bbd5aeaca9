import { A } from "@solidjs/router";
import { createEffect, createSignal, on, Show } from "solid-js";
import { api } from "../../api";
import type { TaskDetail, TaskListItem } from "../../api-types";
import { Progress } from "../../components/progress";
import { ErrorState, Skeleton } from "../../components/states";
import { InputNeededNote } from "../../components/input-needed-note";
import { StatusBadge, WaitingNote } from "../../components/status-badge";
import { StepList } from "../../components/step-list";
import { TaskActions } from "../../components/task-actions";
import { fmtCompact, fmtCost, fmtDateFull, fmtInt, fmtRelative, totalTokens } from "../../lib/format";
import { createLoader } from "../../lib/loader";

/**
 * A board card; expanding it loads the execution breakdown and keeps it fresh while live updates arrive.
 * `expanded` holds the ids of the board's open cards: a card that moves to another status group is
 * drawn anew there, and opens again.
 */
export function TaskCard(props: { task: TaskListItem; onChanged: () => void; expanded?: Set<string> }) {
  const [open, setOpen] = createSignal(props.expanded?.has(props.task.id) ?? false);
  const toggle = () => {
    const o = !open();
    setOpen(o);
    if (o) props.expanded?.add(props.task.id);
    else props.expanded?.delete(props.task.id);
  };
  const detail = createLoader<TaskDetail>(() => api.tasks.get(props.task.id), { immediate: false });
  createEffect(
    on(
      () => [open(), props.task.status, props.task.progress.done, props.task.cost, props.task.pending.length] as const,
      ([o]) => {
        if (o) void detail.refresh();
      },
    ),
  );
  const t = () => props.task;
  const bodyId = () => `card-body-${t().id}`;
  return (
    <article class={`task-card ${open() ? "is-open" : ""}`} data-task-id={t().id} aria-label={t().title}>
      <button class="task-card-head" type="button" aria-expanded={open()} aria-controls={bodyId()} onClick={toggle}>
        <span class="task-card-title">{t().title}</span>
        <StatusBadge status={t().status} />
      </button>
      <div class="task-card-meta muted small">
        <span title="Created by">{t().created_by?.name ?? "—"}</span>
        <span aria-hidden="true">·</span>
        <time datetime={t().created_at} title={fmtDateFull(t().created_at)}>
          {fmtRelative(t().created_at)}
        </time>
        <Show when={t().agent}>
          <span aria-hidden="true">·</span>
          <span>{t().agent}</span>
        </Show>
      </div>
      <InputNeededNote needed={t().input_needed_in} />
      <div class="task-card-progress">
        <Progress done={t().progress.done} total={t().progress.total} status={t().status} />
        <span class="small muted">
          {t().progress.done}/{t().progress.total} steps
        </span>
      </div>
      <dl class="task-card-stats">
        <div>
          <dt>Searches</dt>
          <dd>{fmtInt(t().searches)}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd title={`in ${fmtInt(t().tokens.input)} · cache ${fmtInt(t().tokens.cache)}${t().tokens.cache_write > 0 ? ` · cache write ${fmtInt(t().tokens.cache_write)}` : ""} · out ${fmtInt(t().tokens.output)} · search ${fmtInt(t().tokens.web_search)}`}>{fmtCompact(totalTokens(t().tokens))}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{fmtCost(t().cost)}</dd>
        </div>
      </dl>
      <Show when={open()}>
        <div class="task-card-body" id={bodyId()}>
          <Show when={detail.data} fallback={<Show when={detail.error} fallback={<Skeleton rows={2} />}>{<ErrorState error={detail.error} retry={detail.refresh} />}</Show>}>
            {(d) => (
              <>
                <WaitingNote waiting={t().status === "pending" ? d().waiting : null} refresh={() => void detail.refresh()} />
                <StepList taskId={d().id} steps={d().steps} inputNeeded={t().input_needed_in} />
              </>
            )}
          </Show>
          <div class="task-card-foot">
            <TaskActions task={t()} onChanged={props.onChanged} />
            <A class="btn btn-sm btn-ghost" href={`/tasks/${t().id}`}>
              View details →
            </A>
          </div>
        </div>
      </Show>
    </article>
  );
}
