import { onCleanup, Show } from "solid-js";
import type { StepStatus, Waiting } from "../api-types";
import { fmtWaiting, STATUS_LABEL } from "../lib/format";

export function StatusBadge(props: { status: StepStatus; label?: string }) {
  return (
    <span class={`badge status-${props.status}`} data-status={props.status}>
      <span class="dot" aria-hidden="true" />
      {props.label ?? STATUS_LABEL[props.status] ?? props.status}
    </span>
  );
}

/** The line moves as other tasks finish, which this task's own events do not tell: read again this often while it waits. */
const WAITING_REFRESH_MS = 5_000;

/** Why a pending task has not started: the concurrency cap it is queued behind (nothing otherwise). */
export function WaitingNote(props: { waiting: Waiting | null | undefined; refresh: () => void }) {
  return (
    <Show when={props.waiting}>
      {(w) => {
        const timer = setInterval(() => props.refresh(), WAITING_REFRESH_MS);
        onCleanup(() => clearInterval(timer));
        return (
          <p class="task-waiting muted small" data-testid="task-waiting">
            Waiting: {fmtWaiting(w())}
          </p>
        );
      }}
    </Show>
  );
}
