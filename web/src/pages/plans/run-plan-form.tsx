import { useNavigate } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { createSubmit } from "../../lib/submit";
import { api } from "../../api";
import type { PlanDefinition } from "../../api-types";
import { ParamFields } from "../../components/param-fields";
import { RoleNote } from "../../components/role-gate";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { canWrite } from "../../lib/session";

/** Runs version `version` of a saved plan, the one shown: one field per declared param (a select for one with an `enum`), defaults filled in. */
export function RunPlanForm(props: { planId: string; version: number; def: PlanDefinition }) {
  const navigate = useNavigate();
  const [values, setValues] = createSignal<Record<string, string>>(Object.fromEntries((props.def.params ?? []).map((p) => [p.name, p.default ?? ""])));
  const [title, setTitle] = createSignal("");
  const { busy, error: err, setError: setErr, run, errorId, field } = createSubmit();

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const missing = (props.def.params ?? []).filter((p) => p.required && !values()[p.name]?.trim());
    if (missing.length) return setErr(`Fill in ${missing.map((p) => p.name).join(", ")}.`, `inputs.${missing[0].name}`);
    await run(async () => {
      const inputs = Object.fromEntries(Object.entries(values()).filter(([, v]) => v !== ""));
      const t = await api.plans.run(props.planId, props.version, inputs, title().trim() || undefined);
      toast("Task started");
      navigate(`/tasks/${t.id}`);
    });
  };

  return (
    <form class="stack" onSubmit={submit} aria-label="Run plan" novalidate>
      <Show when={!canWrite()}>
        <RoleNote>Viewers cannot run plans: starting a task needs a member or admin token.</RoleNote>
      </Show>
      <fieldset class="stack" disabled={!canWrite()}>
        <label class="field">
          <span>Task title (optional)</span>
          <input {...field("title")} type="text" value={title()} onInput={(e) => setTitle(e.currentTarget.value)} placeholder={props.def.name} />
        </label>
        <ParamFields params={props.def.params ?? []} values={values()} onChange={(name, v) => setValues({ ...values(), [name]: v })} field={field} />
        <ErrorLine text={err()} id={errorId} />
        <div class="row">
          <button class="btn btn-primary" type="submit" disabled={busy()}>
            {busy() ? "Starting…" : `Run plan v${props.version}`}
          </button>
        </div>
      </fieldset>
    </form>
  );
}
