import { A } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import type { InputNeeded, Step } from "../api-types";
import { clipEnd, durationBetween, fmtCompact, fmtCost, fmtDateFull, fmtDateSeconds, fmtDuration, fmtInt, fmtUntil, totalTokens } from "../lib/format";
import { RunBadge, StatusBadge } from "./status-badge";
import { TraceModal } from "./trace-modal";
import { TableHead } from "./list-table";

function visible(steps: Step[] | undefined): Step[] {
  return (steps ?? []).filter((s) => s.status !== "skipped");
}

/** A loop's item may be a whole document: its row shows the start of it on one line. */
const ITEM_CHARS = 300;

function duration(s: Step): number | null {
  return s.duration_ms ?? durationBetween(s.started_at, s.finished_at);
}

/**
 * Steps in execution order; loop iterations nested under their loop; skipped branches hidden.
 * `onRerun`: a failed top-level step offers a rerun from it. `inputNeeded`: the task's steps waiting on a sub-task that asks a person.
 */
export function StepList(props: { taskId: string; steps: Step[]; detailed?: boolean; onRerun?: (step: string) => void; inputNeeded?: InputNeeded[] }) {
  const [trace, setTrace] = createSignal<{ step: Step; within?: string } | null>(null);
  return (
    <>
      <ol class="steps" aria-label="Steps">
        <For each={visible(props.steps)}>{(s) => <StepRow step={s} depth={0} detailed={props.detailed} onTrace={(step, within) => setTrace({ step, within })} onRerun={props.onRerun} inputNeeded={props.inputNeeded} />}</For>
      </ol>
      <Show when={trace()}>{(t) => <TraceModal taskId={props.taskId} step={t().step} within={t().within} onClose={() => setTrace(null)} />}</Show>
    </>
  );
}

/** `within` names the loop iteration a step runs in: its steps share their names with every other iteration's. */
function StepRow(props: { step: Step; depth: number; detailed?: boolean; within?: string; onTrace: (s: Step, within?: string) => void; onRerun?: (step: string) => void; inputNeeded?: InputNeeded[] }) {
  const s = () => props.step;
  const children = () => visible([...(s().iterations ?? []), ...(s().steps ?? [])]);
  const [open, setOpen] = createSignal(true);
  const label = () => s().name || s().id;
  const itemText = () => (s().kind === "iteration" || s().item !== undefined ? `item ${typeof s().item === "string" ? s().item : JSON.stringify(s().item)}` : null);
  const hasTrace = () => (s().runs?.length ?? 0) > 0;
  const asked = () => (s().status === "in_progress" ? props.inputNeeded?.find((n) => n.step === s().id) : undefined);
  return (
    <li class={`step depth-${Math.min(props.depth, 3)}`} data-step={s().id} data-status={s().status}>
      {/* "Click any step to open the trace": the row takes a pointer's click (not one ending a text selection);
          the Trace button is the keyboard's way to the same dialog */}
      <div
        class={`step-row ${hasTrace() ? "has-trace" : ""}`}
        onClick={(e) => {
          if (!hasTrace() || (e.target as Element).closest("button, a") || !(window.getSelection()?.isCollapsed ?? true)) return;
          props.onTrace(s(), props.within);
        }}
      >
        <div class="step-main">
          <Show when={children().length > 0}>
            <button class={`btn btn-icon btn-ghost caret ${open() ? "open" : ""}`} type="button" aria-expanded={open()} aria-label={`${open() ? "Collapse" : "Expand"} ${label()}`} onClick={() => setOpen(!open())}>
              ›
            </button>
          </Show>
          <div class="step-title">
            <span class="step-name">{label()}</span>
            <span class="muted small step-sub" title={itemText() ?? undefined}>
              {itemText() === null ? s().kind : clipEnd(itemText()!, ITEM_CHARS)}
              {s().agent ? ` · ${s().agent}` : ""}
              <Show when={(s().runs?.length ?? 0) > 1}> · {s().runs.length} runs</Show>
              <Show when={s().reused}> · reused from the task this one reruns</Show>
            </span>
          </div>
        </div>
        <StatusBadge status={s().status} />
        <span class="step-metric step-duration" title="Duration">
          {fmtDuration(duration(s()))}
        </span>
        <span class="step-metric step-tokens" title={`Tokens: ${fmtInt(totalTokens(s().tokens))}`}>
          {fmtCompact(totalTokens(s().tokens))} tok
        </span>
        <span class="step-metric step-cost" title="Cost">
          {fmtCost(s().cost)}
        </span>
        <span class="step-trace">
          <Show when={hasTrace()}>
            <button class="btn btn-ghost btn-sm" type="button" onClick={() => props.onTrace(s(), props.within)} aria-label={`Open trace of ${label()}${props.within ? `, ${props.within}` : ""}`}>
              Trace
            </button>
          </Show>
        </span>
      </div>
      <Show when={s().error}>
        <p class="step-error">{s().error}</p>
      </Show>
      <Show when={props.onRerun && s().status === "failed"}>
        <button class="btn btn-ghost btn-sm" type="button" onClick={() => props.onRerun?.(s().id)}>
          Rerun from here…<span class="sr-only"> ({label()})</span>
        </button>
      </Show>
      {/* a transient failure waits out its backoff: the step is not failed, its next run is on the way */}
      <Show when={s().status === "pending" && s().retry_at}>
        {(at) => (
          <p class="step-retry muted small" title={fmtDateFull(at())}>
            Run {(s().runs?.length ?? 0) + 1} starts {fmtUntil(at())}
          </p>
        )}
      </Show>
      {/* still running, as far as its own status goes: it waits on a sub-task, and that one on a person */}
      <Show when={asked()}>
        {(a) => (
          <p class="step-retry small" data-testid="step-input-needed">
            Waits on sub-task <A href={`/tasks/${a().task_id}`}>{a().title}</A>, which needs input
          </p>
        )}
      </Show>
      <Show when={s().output_preview}>
        <p class="step-output" title="Output preview">
          {s().output_preview}
        </p>
      </Show>
      <Show when={props.detailed && (s().runs?.length ?? 0) > 1}>
        <div class="runs-wrap">
          <table class="runs">
            <caption class="sr-only">Runs of {label()}</caption>
            <TableHead columns={["Run", "Status", "Started", "Duration", "Tokens", "Cost", "Error"]} />
            <tbody>
              <For each={s().runs}>
                {(r, i) => (
                  <tr>
                    <td>#{r.run_no}</td>
                    <td>
                      <RunBadge step={s()} run={r} />
                    </td>
                    <td>
                      <time datetime={r.started_at ?? undefined} title={fmtDateFull(r.started_at)}>
                        {fmtDateSeconds(r.started_at)}
                      </time>
                      <Show when={i() > 0 && durationBetween(s().runs![i() - 1].finished_at, r.started_at)}>
                        {(waited) => <span class="muted small run-waited"> · {fmtDuration(waited())} after run {s().runs![i() - 1].run_no}</span>}
                      </Show>
                    </td>
                    <td data-label="Duration">{fmtDuration(durationBetween(r.started_at, r.finished_at))}</td>
                    <td data-label="Tokens">{fmtCompact(totalTokens(r.tokens))}</td>
                    <td data-label="Cost">{fmtCost(r.cost)}</td>
                    <td class="muted run-error">{r.error ?? ""}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <Show when={children().length > 0 && open()}>
        <ol class="steps nested">
          <For each={children()}>{(c) => <StepRow step={c} depth={props.depth + 1} detailed={props.detailed} within={s().kind === "iteration" ? label() : props.within} onTrace={props.onTrace} inputNeeded={props.inputNeeded} />}</For>
        </ol>
      </Show>
    </li>
  );
}
