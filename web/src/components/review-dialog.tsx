import { A } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { api } from "../api";
import type { PendingItem, TaskListItem } from "../api-types";
import { createFieldErrors } from "../lib/field-errors";
import { errorMessage } from "../lib/format";
import { createLoader } from "../lib/loader";
import { findStep } from "../lib/steps";
import { refocusing } from "../lib/submit";
import { Modal } from "./modal";
import { NO_COMMENT, ReviewOutput } from "./review-output";
import { Loading } from "./states";
import { ErrorLine } from "./task-actions";
import { toast } from "./toast";

/** Review from a card or a row: the output being approved is shown first, then the next one waiting, until none is left. */
export function ReviewDialog(props: { task: TaskListItem; onClose: () => void; onChanged?: () => void }) {
  // A loader, not a resource: a resource read would suspend the page behind the dialog, taking its
  // opener (and so the focus to return to on close) out of the document while it loads.
  const detail = createLoader(() => api.tasks.get(props.task.id));
  const [comment, setComment] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [err, setErrText] = createSignal<string | null>(null);
  const fields = createFieldErrors();
  /** The review's error, and the field it is about (marked invalid, described by it, focused). */
  const setErr = (text: string | null, field: string | null = null) => (setErrText(text), fields.mark(text ? field : null));

  const waiting = () => detail.data?.pending.filter((p) => p.kind === "approval") ?? [];
  const item = () => waiting()[0];
  const step = () => (item() ? findStep(detail.data?.steps, item()!.step) : undefined);

  const decide = async (what: "approve" | "reject") => {
    const it = item();
    if (!it) return;
    if (what === "reject" && !comment().trim()) return setErr(NO_COMMENT, "comment");
    await refocusing(() => send(what, it));
  };
  const send = async (what: "approve" | "reject", it: PendingItem) => {
    setBusy(true);
    setErr(null);
    try {
      if (what === "approve") await api.tasks.approve(props.task.id, it.step, it.run);
      else await api.tasks.reject(props.task.id, it.step, comment().trim(), it.run);
      toast(`${what === "approve" ? "Approved" : "Rejected"} “${it.step}”`);
      setComment("");
      props.onChanged?.();
      await detail.refresh();
      if (!detail.data?.pending.some((p) => p.kind === "approval")) props.onClose();
    } catch (e) {
      setErr(errorMessage(e));
      fields.markFrom(e);
      // settled elsewhere meanwhile (409): show what waits now rather than the stale one
      void detail.refresh();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open onClose={props.onClose} title="Review step output">
      <div class="stack">
        <Show when={!detail.error} fallback={<ErrorLine text={errorMessage(detail.error)} />}>
          <Show when={detail.data} fallback={<Loading label="Loading the output…" />}>
            <Show when={item()} fallback={<p>Nothing of this task waits for review now.</p>}>
              {(it) => (
                <ReviewOutput
                  step={step()}
                  address={it().step}
                  comment={comment()}
                  onComment={setComment}
                  field={fields.of("comment")}
                  placeholder="What should change?"
                  note={waiting().length > 1 ? <span class="muted small">1 of {waiting().length} waiting for review; the next one follows</span> : undefined}
                />
              )}
            </Show>
          </Show>
        </Show>
        <ErrorLine text={err()} id={fields.errorId} />
        <div class="modal-actions">
          <A class="btn btn-ghost" href={`/tasks/${props.task.id}`} onClick={props.onClose}>
            Open task
          </A>
          <button class="btn" type="button" onClick={props.onClose}>
            Close
          </button>
          <Show when={item()}>
            <button class="btn btn-danger-ghost" type="button" disabled={busy()} onClick={() => void decide("reject")}>
              Reject
            </button>
            <button class="btn btn-primary" type="button" disabled={busy()} onClick={() => void decide("approve")}>
              Approve
            </button>
          </Show>
        </div>
      </div>
    </Modal>
  );
}
