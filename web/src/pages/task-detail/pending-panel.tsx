import { createEffect, createMemo, createSignal, For, Match, onCleanup, Show, Switch, untrack } from "solid-js";
import { api } from "../../api";
import type { PendingItem, TaskDetail } from "../../api-types";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { canWrite } from "../../lib/session";
import { findStep } from "../../lib/steps";
import { createSubmit } from "../../lib/submit";
import { NO_COMMENT, ReviewOutput } from "../../components/review-output";
import { RoleNote } from "../../components/role-gate";
import { numberInput } from "../../lib/number-input";

/** An answer or limit typed, not sent, for a question answered elsewhere meanwhile: kept for the next question of its kind. */
interface Kept {
  kind: PendingItem["kind"];
  text: string;
  question: string | null;
}

/** What the task waits for from a person (answers, approvals, budget decisions); nothing while it waits for none. */
export function PendingPanel(props: { task: TaskDetail; onChanged: () => void }) {
  // Rows are keyed by what they wait for, not by their place: when one is settled elsewhere, the
  // answer or comment typed into another must stay with its own step.
  const keys = createMemo(() => props.task.pending.map(pendingKey));
  const item = (k: string) => props.task.pending.find((p) => pendingKey(p) === k);
  // outlives its rows, and the moment between two questions when none waits, to hand what was typed on
  const [kept, setKept] = createSignal<Kept | null>(null);
  return (
    <Show when={props.task.pending.length}>
      <section class="card pending-panel" aria-labelledby="pending-title">
        <h2 id="pending-title">Needs your input</h2>
        <Show when={!canWrite()}>
          <RoleNote>Viewers cannot answer, approve or decide budgets: that needs a member or admin token.</RoleNote>
        </Show>
        <For each={keys()}>{(k) => <Show when={item(k)}>{(p) => <PendingRow task={props.task} item={p()} onChanged={props.onChanged} kept={kept()} onKept={setKept} />}</Show>}</For>
      </section>
    </Show>
  );
}

const pendingKey = (p: PendingItem) => `${p.kind} ${p.step} ${p.call_id ?? ""}`;

/** `kept`: what was typed for a question of the panel's answered elsewhere, for this row to take if it asks one of that kind; `onKept` hands it on, or says it was taken (null). */
function PendingRow(props: { task: TaskDetail; item: PendingItem; onChanged: () => void; kept: Kept | null; onKept: (k: Kept | null) => void }) {
  const [text, setText] = createSignal("");
  /** The question answered elsewhere whose answer (or limit) this row was given, to say so. */
  const [keptFrom, setKeptFrom] = createSignal<Kept | null>(null);
  const { busy, error: err, setError: setErr, run: submit, unreadable, errorId, field } = createSubmit();
  keepTyped(props, text, busy, (k) => (setText(k.text), setKeptFrom(k)));
  const step = () => findStep(props.task.steps, props.item.step);
  let row!: HTMLDivElement;
  let focused = false;
  onCleanup(() => {
    if (focused || row.contains(document.activeElement)) queueMicrotask(focusAfterSettled);
  });
  const fieldId = () => `pending-${props.item.step}-${props.item.call_id ?? props.item.kind}`.replace(/[^\w-]/g, "_");

  const run = (what: () => Promise<unknown>, ok: string) =>
    submit(async () => {
      await what();
      toast(ok);
      setText("");
      props.onChanged();
    });

  return (
    <div
      ref={row}
      class="pending-item"
      data-kind={props.item.kind}
      data-step={props.item.step}
      onFocusIn={() => (focused = true)}
      // A button disabled while its request runs, or the row's removal, drops focus to the page with no
      // relatedTarget: the focus is still this row's to hand on.
      onFocusOut={(e) => e.relatedTarget && !row.contains(e.relatedTarget as Node) && (focused = false)}
    >
      <Switch>
        <Match when={props.item.kind === "question"}>
          <form
            class="stack"
            onSubmit={(e) => {
              e.preventDefault();
              if (!text().trim()) return setErr("Write an answer first.", "answers");
              void run(() => api.tasks.respond(props.task.session_id, props.item.call_id ?? "", [text().trim()]), "Answer sent");
            }}
            novalidate
          >
            <p class="question">
              <span class="muted small">Step {props.item.step} asks</span>
              <strong>{props.item.question}</strong>
            </p>
            <KeptNote kept={keptFrom()} what="answer" />
            <label class="field" for={fieldId()}>
              <span>Your answer</span>
            </label>
            <textarea {...field("answers")} id={fieldId()} rows={3} value={text()} disabled={!canWrite()} onInput={(e) => setText(e.currentTarget.value)} />
            <ErrorLine text={err()} id={errorId} />
            <div class="row">
              <button class="btn btn-primary" type="submit" disabled={busy() || !canWrite()}>
                Send answer
              </button>
            </div>
          </form>
        </Match>
        <Match when={props.item.kind === "approval"}>
          <div class="stack">
            <ReviewOutput step={step()} address={props.item.step} comment={text()} onComment={setText} disabled={!canWrite()} field={field("comment")} />
            <ErrorLine text={err()} id={errorId} />
            <div class="row gap-sm">
              <button class="btn btn-primary" type="button" disabled={busy() || !canWrite()} onClick={() => run(() => api.tasks.approve(props.task.id, props.item.step, props.item.run), "Approved")}>
                Approve
              </button>
              <button class="btn btn-danger-ghost" type="button" disabled={busy() || !canWrite()} onClick={() => (text().trim() ? run(() => api.tasks.reject(props.task.id, props.item.step, text().trim(), props.item.run), "Rejected") : setErr(NO_COMMENT, "comment"))}>
                Reject
              </button>
            </div>
          </div>
        </Match>
        <Match when={props.item.kind === "budget"}>
          <div class="stack">
            <p class="question">
              <span class="muted small">Budget reached at step {props.item.step}</span>
              <strong>{props.item.question ?? "Stop the task, or raise its limit to continue."}</strong>
            </p>
            <KeptNote kept={keptFrom()} what="limit" />
            <label class="field field-inline">
              <span>New limit (USD)</span>
              <input {...field("answers")} type="number" min="0" step="0.01" value={text()} disabled={!canWrite()} onInput={numberInput(setText)} />
            </label>
            <ErrorLine text={err()} id={errorId} />
            <div class="row gap-sm">
              <button class="btn btn-danger" type="button" disabled={busy() || !canWrite()} onClick={() => run(() => api.tasks.respond(props.task.session_id, props.item.call_id ?? "", ["stop"]), "Task will stop")}>
                Stop
              </button>
              <button
                class="btn btn-primary"
                type="button"
                disabled={busy() || !canWrite()}
                onClick={() => unreadable() || (Number(text()) > 0 ? run(() => api.tasks.respond(props.task.session_id, props.item.call_id ?? "", ["raise", String(Number(text()))]), "Limit raised") : setErr("Enter a limit above zero.", "answers"))}
              >
                Raise and continue
              </button>
            </div>
          </div>
        </Match>
      </Switch>
    </div>
  );
}

/**
 * A question settled elsewhere takes its row away, and the answer or limit typed in it, unsent, with it: handed on
 * to the next row asking one of its kind (the next question, the budget reached again), as the Provide input dialog
 * keeps it, for the person to check it fits there and send it. A row gone while its own request runs was answered from here.
 */
function keepTyped(props: { item: PendingItem; kept: Kept | null; onKept: (k: Kept | null) => void }, text: () => string, busy: () => boolean, take: (k: Kept) => void): void {
  // read now: once the row's item is gone, reading it is a stale read
  const { kind, question = null } = props.item;
  const onKept = props.onKept;
  if (kind === "approval") return;
  onCleanup(() => {
    if (text().trim() && !busy()) onKept({ kind, text: text(), question });
  });
  createEffect(() => {
    const k = props.kept;
    if (!k || k.kind !== kind || untrack(text)) return;
    onKept(null);
    take(k);
  });
}

function KeptNote(props: { kept: Kept | null; what: "answer" | "limit" }) {
  return (
    <Show when={props.kept}>
      {(k) => (
        <p class="form-notice" role="status">
          {k().question ? `“${k().question}” was answered elsewhere` : "The question you were answering was answered elsewhere"}: the {props.what} you typed for it is kept here. Check it fits this question, then send it.
        </p>
      )}
    </Show>
  );
}

/** Once the item that held the focus is settled and gone, the next one waiting takes it; with none left, the task's heading (its status beside it). */
function focusAfterSettled(): void {
  const active = document.activeElement;
  if (active && active !== document.body) return;
  const next = document.querySelector<HTMLElement>(".pending-panel .pending-item :is(textarea, input, button):not(:disabled)");
  (next ?? document.querySelector<HTMLElement>(".detail-head h1"))?.focus();
}
