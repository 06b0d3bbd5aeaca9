import { useLocation } from "@solidjs/router";
import { createEffect, createRoot, createSignal, getOwner, type JSX, on, onCleanup, Show } from "solid-js";
import { unwrap } from "solid-js/store";
import { Portal } from "solid-js/web";
import { api, ApiError } from "../api";
import type { PendingItem, TaskListItem } from "../api-types";
import { createFieldErrors } from "../lib/field-errors";
import { CANCELLABLE, errorMessage } from "../lib/format";
import { canWrite } from "../lib/session";
import { refocusing } from "../lib/submit";
import { Modal } from "./modal";
import { ReviewDialog } from "./review-dialog";
import { toast } from "./toast";
import { numberInput } from "../lib/number-input";

type Dialog = { kind: "cancel" } | { kind: "respond"; item: PendingItem } | { kind: "review" } | { kind: "budget"; item: PendingItem } | null;

/** Cancel, Provide input, Review (approve or reject, seeing the output), Budget — for a row, a card or the detail header (`extra`: its own). */
export function TaskActions(props: { task: TaskListItem; onChanged?: () => void; size?: "sm" | "md"; extra?: JSX.Element }) {
  const [dialog, setDialog] = createSignal<Dialog>(null);
  const [busy, setBusy] = createSignal(false);
  const [text, setText] = createSignal("");
  const [raise, setRaise] = createSignal("");
  const [err, setErrText] = createSignal<string | null>(null);
  const fields = createFieldErrors();
  /** The dialog's error, and the field it is about (marked invalid, described by it, focused). */
  const setErr = (text: string | null, field: string | null = null) => (setErrText(text), fields.mark(text ? field : null));

  const first = (kind: PendingItem["kind"]) => props.task.pending?.find((p) => p.kind === kind);
  // A dialog keeps the question it was opened on: the list's items are updated in place, so the one a button read
  // would become whatever the task waits on next (an approval, with no question to answer) under an open dialog.
  const asked = (p: PendingItem): PendingItem => structuredClone(unwrap(p));
  const btn = () => `btn btn-${props.size ?? "sm"}`;

  // A dialog outlives the row or card it was opened from, which a live update may take away (pushed off
  // the page, moved to another group): what the person typed stays, and what became of the task shows there.
  // Leaving the page closes it. It carries the task's id, as the row does, for the page's followFocus.
  const owner = getOwner();
  const location = useLocation();
  let disposeDialog: (() => void) | null = null;
  const open = (d: Dialog) => {
    setText("");
    setRaise("");
    setErr(null);
    setDialog(d);
    disposeDialog ??= createRoot((dispose) => {
      createEffect(on(() => location.pathname, close, { defer: true }));
      void (<Portal ref={(el) => el.setAttribute("data-task-id", props.task.id)}>{dialogs()}</Portal>);
      return dispose;
    }, owner);
  };
  const close = () => {
    setDialog(null);
    disposeDialog?.();
    disposeDialog = null;
  };
  onCleanup(() => {
    if (!dialog()) disposeDialog?.();
  });

  /**
   * Sends the dialog's request; a refusal shows in the dialog, its button (off while busy) keeping the focus.
   * `refusedField`: the field a refusal of the value (422) is about when the API names none (a raise's amount).
   */
  const run = (what: () => Promise<unknown>, ok: string, refusedField?: string) =>
    refocusing(async () => {
      setBusy(true);
      setErr(null);
      try {
        await what();
        toast(ok);
        close();
        props.onChanged?.();
      } catch (e) {
        if (!dialog()) return toast(errorMessage(e), "error");
        setErr(errorMessage(e));
        fields.markFrom(e);
        if (refusedField && e instanceof ApiError && e.status === 422 && !fields.field()) fields.mark(refusedField);
      } finally {
        setBusy(false);
      }
    });

  // Answered elsewhere while this dialog was open: the question of its kind the task asks now takes its place,
  // with what was typed kept, for the person to check it still fits before sending it again.
  const askedNow = (kind: "respond" | "budget") => async (e: unknown): Promise<never> => {
    if (!(e instanceof ApiError && e.status === 409)) throw e;
    const now = (await api.tasks.get(props.task.id).catch(() => null))?.pending.find((p) => p.kind === (kind === "respond" ? "question" : "budget"));
    if (!now) throw e;
    setDialog({ kind, item: now });
    throw new Error(`${e.message}; the task now asks the question above: check your ${kind === "respond" ? "answer" : "limit"} fits it, then send it.`);
  };

  const title = () => props.task.title;
  const d = dialog;

  const dialogs = () => (
    <>
      <Show when={d()?.kind === "cancel"}>
        <Modal open onClose={close} title="Cancel task?" size="sm">
          <p>
            <strong>{title()}</strong> stops at once; running steps are cancelled and nothing further runs.
          </p>
          <ErrorLine text={err()} />
          <div class="modal-actions">
            <button class="btn" type="button" onClick={close}>
              Keep it
            </button>
            <button class="btn btn-danger" type="button" disabled={busy()} onClick={() => run(() => api.tasks.cancel(props.task.id), "Task cancelled")}>
              Cancel task
            </button>
          </div>
        </Modal>
      </Show>

      <Show when={d()?.kind === "respond"}>
        <Modal open onClose={close} title="Provide input">
          <form
            class="stack"
            onSubmit={(e) => {
              e.preventDefault();
              const it = d();
              if (!it || it.kind !== "respond" || !it.item.call_id) return;
              if (!text().trim()) return setErr("Write an answer first.", "answers");
              const callId = it.item.call_id;
              void run(() => api.tasks.respond(props.task.session_id, callId, [text().trim()]).catch(askedNow("respond")), "Answer sent");
            }}
            novalidate
          >
            <div class="question">
              <span class="muted small">The agent asks{d()?.kind === "respond" ? ` (step ${(d() as { item: PendingItem }).item.step})` : ""}:</span>
              <p>{(d() as { item?: PendingItem } | null)?.item?.question ?? "—"}</p>
            </div>
            <label class="field">
              <span>Your answer</span>
              <textarea {...fields.of("answers")} autofocus rows={4} value={text()} onInput={(e) => setText(e.currentTarget.value)} />
            </label>
            <ErrorLine text={err()} id={fields.errorId} />
            <div class="modal-actions">
              <button class="btn" type="button" onClick={close}>
                Not now
              </button>
              <button class="btn btn-primary" type="submit" disabled={busy()}>
                Send answer
              </button>
            </div>
          </form>
        </Modal>
      </Show>

      <Show when={d()?.kind === "review"}>
        <ReviewDialog task={props.task} onClose={close} onChanged={props.onChanged} />
      </Show>

      <Show when={d()?.kind === "budget"}>
        <Modal open onClose={close} title="Budget reached">
          <div class="stack">
            <p>{(d() as { item?: PendingItem } | null)?.item?.question ?? "The task reached its cost limit. Stop it, or raise the limit to continue."}</p>
            <label class="field">
              <span>New limit (USD)</span>
              <input {...fields.of("answers")} autofocus type="number" min="0" step="0.01" inputmode="decimal" value={raise()} onInput={numberInput(setRaise)} />
            </label>
            <ErrorLine text={err()} id={fields.errorId} />
            <div class="modal-actions">
              <button
                class="btn btn-danger"
                type="button"
                disabled={busy()}
                onClick={() => {
                  const it = d();
                  if (it?.kind === "budget" && it.item.call_id) {
                    const id = it.item.call_id;
                    void run(() => api.tasks.respond(props.task.session_id, id, ["stop"]).catch(askedNow("budget")), "Task will stop");
                  }
                }}
              >
                Stop
              </button>
              <button
                class="btn btn-primary"
                type="button"
                disabled={busy()}
                onClick={() => {
                  const it = d();
                  if (fields.markUnreadable(setErr)) return;
                  if (!(Number(raise()) > 0)) return setErr("Enter a limit above zero.", "answers");
                  if (it?.kind === "budget" && it.item.call_id) {
                    const id = it.item.call_id;
                    void run(() => api.tasks.respond(props.task.session_id, id, ["raise", String(Number(raise()))]).catch(askedNow("budget")), "Limit raised", "answers");
                  }
                }}
              >
                Raise and continue
              </button>
            </div>
          </div>
        </Modal>
      </Show>
    </>
  );

  return (
    <div class="actions" role="group" aria-label={`Actions for ${title()}`}>
      <Show when={canWrite()}>
        <Show when={first("question")}>
          {(q) => (
            <button class={`${btn()} btn-primary`} type="button" onClick={() => open({ kind: "respond", item: asked(q()) })}>
              Provide input
            </button>
          )}
        </Show>
        <Show when={first("approval")}>
          <button class={`${btn()} btn-primary`} type="button" onClick={() => open({ kind: "review" })}>
            Review…
          </button>
        </Show>
        <Show when={first("budget")}>
          {(b) => (
            <button class={`${btn()} btn-primary`} type="button" onClick={() => open({ kind: "budget", item: asked(b()) })}>
              Budget…
            </button>
          )}
        </Show>
        <Show when={CANCELLABLE.has(props.task.status)}>
          <button class={`${btn()} btn-danger-ghost`} type="button" onClick={() => open({ kind: "cancel" })}>
            Cancel
          </button>
        </Show>
      </Show>
      {props.extra}
    </div>
  );
}

/** A form's error; `id` is what its invalid field's `aria-describedby` names (lib/field-errors.ts). */
export function ErrorLine(props: { text: string | null; id?: string }) {
  return (
    <Show when={props.text}>
      <p class="form-error" role="alert" id={props.id}>
        {props.text}
      </p>
    </Show>
  );
}
