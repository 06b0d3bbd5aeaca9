import { For, Show } from "solid-js";
import type { PlanDefinition } from "../api-types";
import type { FieldProps } from "../lib/field-errors";

/** One field per declared param: a select for one with an `enum`, a text area otherwise; required ones marked. */
export function ParamFields(props: {
  params: NonNullable<PlanDefinition["params"]>;
  values: Record<string, string>;
  onChange: (name: string, value: string) => void;
  /** something else may fill a required param later (a webhook's delivery): marked, but the form may leave it empty */
  deferRequired?: boolean;
  /** ties a form's error to a param's field (lib/field-errors.ts), named as the API names it: `inputs.<param>` */
  field?: (name: string) => FieldProps;
}) {
  const required = (p: { required?: boolean }) => !!p.required && !props.deferRequired;
  return (
    <For each={props.params} fallback={<p class="muted small">This plan takes no parameters.</p>}>
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
          <Show when={p.enum} fallback={<textarea {...props.field?.(`inputs.${p.name}`)} rows={2} value={props.values[p.name] ?? ""} onInput={(e) => props.onChange(p.name, e.currentTarget.value)} required={required(p)} />}>
            {(choices) => (
              <select {...props.field?.(`inputs.${p.name}`)} onChange={(e) => props.onChange(p.name, e.currentTarget.value)} required={required(p)}>
                <option value="" selected={!props.values[p.name]}>
                  {required(p) ? "Choose…" : "(none)"}
                </option>
                <For each={choices()}>
                  {(v) => (
                    <option value={v} selected={props.values[p.name] === v}>
                      {v}
                    </option>
                  )}
                </For>
              </select>
            )}
          </Show>
          <Show when={p.description}>
            <small class="muted">{p.description}</small>
          </Show>
        </label>
      )}
    </For>
  );
}
