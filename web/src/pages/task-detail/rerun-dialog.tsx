import { useNavigate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { api } from "../../api";
import type { PlanDefinition, PlanStep, TaskDetail } from "../../api-types";
import { FormFooter } from "../../components/form-footer";
import { Modal } from "../../components/modal";
import { ParamFields } from "../../components/param-fields";
import { toast } from "../../components/toast";
import { createLoader } from "../../lib/loader";
import { createSubmit } from "../../lib/submit";

const upstream = (s: PlanStep) => [...(s.depends_on ?? []), ...(s.kind === "loop" ? [s.over] : s.kind === "branch" ? [s.on] : [])];

/**
 * Reruns a finished task: the whole of it (from a first step, so nothing is reused) or from a top-level step
 * (reusing what is upstream of it), with its inputs changed, on its own plan version or the plan's current one.
 */
export function RerunDialog(props: { task: TaskDetail; from?: string; onClose: () => void }) {
  const navigate = useNavigate();
  // a task not started from a saved plan has no other version to run
  const current = createLoader(() => api.plans.get(props.task.plan_id ?? ""), { immediate: !!props.task.plan_id });
  const [onCurrent, setOnCurrent] = createSignal(false);
  const [from, setFrom] = createSignal(props.from ?? "");
  const [values, setValues] = createSignal<Record<string, string>>({ ...props.task.inputs });
  const { busy, error, setError, run, errorId, field } = createSubmit();

  // the plan's current version, when it is not the one the task ran
  const newer = () => {
    const c = current.data;
    return c && c.version !== props.task.plan_version ? c : null;
  };
  const plan = (): PlanDefinition | null => (onCurrent() ? (newer()?.definition ?? null) : props.task.plan);
  const steps = () => plan()?.steps ?? [];
  const params = () => plan()?.params ?? [];

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const target = newer();
    const first = steps().find((s) => upstream(s).length === 0);
    const step = from() && steps().some((s) => s.id === from()) ? from() : first?.id;
    if (!step) return setError(from() ? `This version of the plan has no step ${from()}: choose another.` : "This task's plan has no steps to rerun.", "from_step");
    const inputs = Object.fromEntries(params().flatMap((p) => ((values()[p.name] ?? "") !== (props.task.inputs[p.name] ?? "") ? [[p.name, values()[p.name] ?? ""]] : [])));
    await run(async () => {
      const t = await api.tasks.rerun(props.task.id, {
        from_step: step,
        ...(Object.keys(inputs).length ? { inputs } : {}),
        // the number seen here, so a version saved meanwhile is not run unseen
        ...(onCurrent() && target ? { plan_version: target.version } : {}),
      });
      toast("Rerun started");
      props.onClose();
      navigate(`/tasks/${t.id}`);
    });
  };

  return (
    <Modal open onClose={props.onClose} title="Rerun task">
      <form class="stack" onSubmit={submit} aria-label="Rerun task" novalidate>
        <Show when={newer()}>
          {(c) => (
            <label class="field">
              <span>Plan version</span>
              <select {...field("plan_version")} onChange={(e) => setOnCurrent(e.currentTarget.value === "current")}>
                <option value="own" selected={!onCurrent()}>
                  v{props.task.plan_version} (the one this task ran)
                </option>
                <option value="current" selected={onCurrent()}>
                  v{c().version} (the plan's current)
                </option>
              </select>
            </label>
          )}
        </Show>
        <label class="field">
          <span>Rerun from</span>
          <select {...field("from_step", "rerun-from-help")} onChange={(e) => setFrom(e.currentTarget.value)}>
            <option value="" selected={!from()}>
              The whole task
            </option>
            <For each={steps()}>
              {(s) => (
                <option value={s.id} selected={from() === s.id}>
                  {s.name ? `${s.name} (${s.id})` : s.id}
                </option>
              )}
            </For>
          </select>
          <small class="muted" id="rerun-from-help">The steps upstream of it keep their outputs; it and everything else run again.</small>
        </label>
        <Show when={params().length}>
          <fieldset class="stack">
            <legend>Inputs</legend>
            <ParamFields params={params()} values={values()} onChange={(name, v) => setValues({ ...values(), [name]: v })} field={field} />
          </fieldset>
        </Show>
        <FormFooter error={error()} errorId={errorId} busy={busy()} onCancel={props.onClose} submit={busy() ? "Starting…" : "Rerun"} />
      </form>
    </Modal>
  );
}
