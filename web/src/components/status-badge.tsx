import { onCleanup, Show } from "solid-js";
import type { Step, StepStatus, Waiting } from "../api-types";
import { fmtWaiting, runBadgeStatus, STATUS_LABEL } from "../lib/format";
import { runLabel } from "../lib/steps";

/** `setAside`: in the grey of what was set aside, whatever the status (a run a reviewer rejected finished, but was not taken). */
export function StatusBadge(props: { status: StepStatus; label?: string; setAside?: boolean }) {
  return (
    <span class={`badge status-${props.status}${props.setAside ? " set-aside" : ""}`} data-status={props.status}>
      <span class="dot" aria-hidden="true" />
      {props.label ?? STATUS_LABEL[props.status] ?? props.status}
    </span>
  );
}

/** A run's status, or "Rejected", in grey, for a run a reviewer rejected: it finished, and was sent back, not failed. */
export function RunBadge(props: { step: Step; run: { run_no: number; status: string } }) {
  const rejected = () => runLabel(props.step, props.run.run_no);
  return <StatusBadge status={runBadgeStatus(props.run.status)} label={rejected()} setAside={rejected() !== undefined} />;
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
