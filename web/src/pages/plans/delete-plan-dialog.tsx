import { A } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { api, ApiError } from "../../api";
import type { Plan } from "../../api-types";
import { Modal } from "../../components/modal";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage } from "../../lib/format";
import { isNewerPlan } from "../../lib/newer-plan";

/** Confirms deleting a plan; a plan its triggers start is refused (409), with the API's message naming them. */
export function DeletePlanDialog(props: { plan: Plan; onClose: () => void; onDeleted: () => void }) {
  const [busy, setBusy] = createSignal(false);
  const [err, setErr] = createSignal<string | null>(null);
  const [blocked, setBlocked] = createSignal(false);
  /** The version the delete is for: another saved since this page loaded the plan is shown first, then deleted on a second click. */
  const [base, setBase] = createSignal(props.plan.version);

  const remove = async () => {
    setBusy(true);
    setErr(null);
    try {
      await api.plans.remove(props.plan.id, base());
      toast(`Deleted ${props.plan.name}`);
      props.onClose();
      props.onDeleted();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && isNewerPlan(e.details)) {
        setBlocked(false);
        setBase(e.details.version);
        setErr(`Version ${e.details.version} of this plan was saved since this page loaded it. Delete plan again to delete it anyway, or Keep to look at it first.`);
        return;
      }
      setBlocked(e instanceof ApiError && e.status === 409);
      setErr(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open onClose={props.onClose} title={`Delete ${props.plan.name}?`} size="sm">
      <p>Tasks that already ran keep the version they ran. A plan that triggers start cannot be deleted until they are.</p>
      <ErrorLine text={err()} />
      <Show when={blocked()}>
        <p class="small">
          <A href="/settings?tab=triggers">Open Settings › Triggers</A>
        </p>
      </Show>
      <div class="modal-actions">
        <button class="btn" type="button" onClick={props.onClose}>
          Keep
        </button>
        <button class="btn btn-danger" type="button" disabled={busy()} onClick={remove}>
          Delete plan
        </button>
      </div>
    </Modal>
  );
}
