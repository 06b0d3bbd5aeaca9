import { useNavigate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { api } from "../../api";
import type { PlanDefinition } from "../../api-types";
import { RoleNote } from "../../components/role-gate";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage } from "../../lib/format";
import { canWrite } from "../../lib/session";

/** Runs a saved plan: one field per declared param (a select for one with an `enum`), defaults filled in. */
export function RunPlanForm(props: { planId: string; version: number; def: PlanDefinition }) {
  const navigate = useNavigate();
  const [values, setValues] = createSignal<Record<string, string>>(Object.fromEntries((props.def.params ?? []).map((p) => [p.name, p.default ?? ""])));
  const [title, setTitle] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [err, setErr] = createSignal<string | null>(null);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const missing = (props.def.params ?? []).filter((p) => p.required && !values()[p.name]?.trim());
    if (missing.length) return setErr(`Fill in ${missing.map((p) => p.name).join(", ")}.`);
    setBusy(true);
    setErr(null);
    try {
      const inputs = Object.fromEntries(Object.entries(values()).filter(([, v]) => v !== ""));
      const t = await api.plans.run(props.planId, inputs, title().trim() || undefined);
      toast("Task started");
      navigate(`/tasks/${t.id}`);
    } catch (e2) {
      setErr(errorMessage(e2));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" onSubmit={submit} aria-label="Run plan">
      <Show when={!canWrite()}>
        <RoleNote>Viewers cannot run plans: starting a task needs a member or admin token.</RoleNote>
      </Show>
      <fieldset class="stack" disabled={!canWrite()}>
        <label class="field">
          <span>Task title (optional)</span>
          <input type="text" value={title()} onInput={(e) => setTitle(e.currentTarget.value)} placeholder={props.def.name} />
        </label>
        <For each={props.def.params ?? []} fallback={<p class="muted small">This plan takes no parameters.</p>}>
          {(p) => (
            <label class="field">
              <span>
                {p.name}
                <Show when={p.required}>
                  <span class="req" aria-label="required">
                    {" "}*
                  </span>
                </Show>
              </span>
              <Show
                when={p.enum}
                fallback={<textarea rows={2} value={values()[p.name] ?? ""} onInput={(e) => setValues({ ...values(), [p.name]: e.currentTarget.value })} required={p.required} />}
              >
                {(choices) => (
                  <select onChange={(e) => setValues({ ...values(), [p.name]: e.currentTarget.value })} required={p.required}>
                    <option value="" selected={!values()[p.name]}>{p.required ? "Choose…" : "(none)"}</option>
                    <For each={choices()}>{(v) => <option value={v} selected={values()[p.name] === v}>{v}</option>}</For>
                  </select>
                )}
              </Show>
              <Show when={p.description}>
                <small class="muted">{p.description}</small>
              </Show>
            </label>
          )}
        </For>
        <ErrorLine text={err()} />
        <div class="row">
          <button class="btn btn-primary" type="submit" disabled={busy()}>
            {busy() ? "Starting…" : `Run plan v${props.version}`}
          </button>
        </div>
      </fieldset>
    </form>
  );
}
