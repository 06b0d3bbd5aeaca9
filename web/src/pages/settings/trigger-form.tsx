import { createEffect, createSignal, createUniqueId, For, on, onCleanup, Show } from "solid-js";
import { firesBySecond } from "../../../../worker/triggers/cron-fields";
import { api, type TriggerInput } from "../../api";
import type { Plan, Trigger } from "../../api-types";
import type { Loaded } from "../../components/states";
import { ParamFields } from "../../components/param-fields";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage } from "../../lib/format";
import type { FieldProps } from "../../lib/field-errors";
import { createSubmit } from "../../lib/submit";

/** IANA zone names the browser knows, for the timezone field's suggestions. */
export const zones = (): string[] => (typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []);

/** A cron trigger's schedule: its expression and its timezone, offered from the runtime's list (`listId` names that list, unique per page). */
export function CronFields(props: { cron: string; setCron: (v: string) => void; timezone: string; setTimezone: (v: string) => void; listId: string; required?: boolean; field?: (name: string) => FieldProps }) {
  return (
    <>
      <label class="field">
        <span>Cron expression</span>
        <input {...props.field?.("cron")} type="text" value={props.cron} onInput={(e) => props.setCron(e.currentTarget.value)} required={props.required} />
      </label>
      <label class="field">
        <span>Timezone</span>
        <input {...props.field?.("timezone")} type="text" list={props.listId} value={props.timezone} onInput={(e) => props.setTimezone(e.currentTarget.value)} placeholder="UTC" spellcheck={false} />
        <datalist id={props.listId}>
          <For each={zones()}>{(z) => <option value={z} />}</For>
        </datalist>
      </label>
    </>
  );
}

/**
 * When a schedule would fire next, in its own timezone, as the API reads it; or why it would not be saved, unless the
 * form's error (`formError`, after a submit) says the same already.
 */
export function SchedulePreview(props: { cron: string; timezone: string; formError?: string | null }) {
  const [said, setSaid] = createSignal<{ ok: true; text: string } | { ok: false; text: string } | null>(null);
  let asked = 0;
  createEffect(
    on([() => props.cron.trim(), () => props.timezone.trim() || "UTC"], ([cron, timezone]) => {
      const mine = ++asked;
      if (!cron) return setSaid(null);
      // wait for a pause in the typing; only the latest answer shows
      const timer = setTimeout(() => {
        api.triggers.nextFires(cron, timezone).then(
          (r) => mine === asked && setSaid({ ok: true, text: `Next: ${r.next.map((t) => fmtInZone(t, r.timezone, firesBySecond(cron))).join(" · ")} (${r.timezone})` }),
          (e: unknown) => mine === asked && setSaid({ ok: false, text: errorMessage(e) }),
        );
      }, 300);
      onCleanup(() => clearTimeout(timer));
    }),
  );
  return (
    <p class={said()?.ok === false ? "form-error" : "small muted"} data-testid="schedule-preview" aria-live="polite">
      {said()?.ok === false && said()?.text === props.formError ? "" : (said()?.text ?? "")}
    </p>
  );
}

const fmtInZone = (iso: string, timeZone: string, seconds: boolean) =>
  new Intl.DateTimeFormat(undefined, { timeZone, weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined }).format(new Date(iso));

/** The form's text as the API's rate_limit_per_min: empty is the instance's default (null); otherwise a whole number of at least 1, else undefined. */
export function parseRateLimit(text: string): number | null | undefined {
  const s = text.trim();
  if (!s) return null;
  return /^\d+$/.test(s) && Number(s) >= 1 ? Number(s) : undefined;
}

export const RATE_LIMIT_ERROR = "Deliveries a minute must be a whole number of at least 1, or empty for the instance's default.";

/** A webhook's cap on deliveries a minute, as text (see parseRateLimit). */
export function DeliveryLimitField(props: { value: string; setValue: (v: string) => void; placeholder: string; field: (name: string, help?: string) => FieldProps }) {
  const helpId = `delivery-limit-help-${createUniqueId()}`;
  return (
    <label class="field">
      <span>Deliveries a minute (empty: the instance's default)</span>
      <input {...props.field("rate_limit_per_min", helpId)} type="text" inputmode="numeric" value={props.value} onInput={(e) => props.setValue(e.currentTarget.value)} placeholder={props.placeholder} />
      <span id={helpId} class="small muted">Past it a delivery is refused with 429 and Retry-After, and starts nothing; the sender retries.</span>
    </label>
  );
}

/** Creates a cron or webhook trigger on a saved plan. */
export function TriggerForm(props: { plans: Loaded<{ items: readonly Plan[] }>; onCreated: (t: Trigger) => void }) {
  const [kind, setKind] = createSignal<"cron" | "webhook">("cron");
  const [planId, setPlanId] = createSignal("");
  const [title, setTitle] = createSignal("");
  const [cron, setCron] = createSignal("0 9 * * 1-5");
  const [timezone, setTimezone] = createSignal("UTC");
  const [values, setValues] = createSignal<Record<string, string>>({});
  const [inputMap, setInputMap] = createSignal("");
  const [rate, setRate] = createSignal("");
  // busy keeps a second click from making a second trigger (two cron triggers fire every task twice)
  const { busy, error: err, setError: setErr, run, errorId, field } = createSubmit();
  const chosenPlan = () => planId() || props.plans.data?.items[0]?.id || "";
  const params = () => props.plans.data?.items.find((p) => p.id === chosenPlan())?.definition.params ?? [];
  // another plan: its own params, defaults filled in
  createEffect(on(chosenPlan, () => setValues(Object.fromEntries(params().map((p) => [p.name, p.default ?? ""])))));

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    setErr(null);
    const parsed = Object.fromEntries(Object.entries(values()).filter(([, v]) => v !== ""));
    const missing = kind() === "cron" ? params().filter((p) => p.required && !parsed[p.name]?.trim()) : [];
    if (missing.length) return setErr(`Fill in ${missing.map((p) => p.name).join(", ")}: a schedule has no one to ask.`, `inputs.${missing[0].name}`);
    let map: Record<string, string> | undefined;
    try {
      map = kind() === "webhook" && inputMap().trim() ? (JSON.parse(inputMap()) as Record<string, string>) : undefined;
    } catch {
      return setErr('Params from the body must be a JSON object of dot paths, e.g. {"repo": "repository.full_name"}.', "input_map");
    }
    const perMin = kind() === "webhook" ? parseRateLimit(rate()) : null;
    if (perMin === undefined) return setErr(RATE_LIMIT_ERROR, "rate_limit_per_min");
    if (!chosenPlan()) return setErr("Choose a plan.", "plan_id");
    const named = title().trim() ? { title: title().trim() } : {};
    const input: TriggerInput =
      kind() === "cron"
        ? { kind: "cron", plan_id: chosenPlan(), cron: cron().trim(), timezone: timezone().trim() || "UTC", inputs: parsed, ...named }
        : { kind: "webhook", plan_id: chosenPlan(), inputs: parsed, ...(map ? { input_map: map } : {}), ...(perMin === null ? {} : { rate_limit_per_min: perMin }), ...named };
    await run(async () => {
      const t = await api.triggers.create(input);
      toast("Trigger created");
      props.onCreated(t);
    });
  };

  return (
    <form class="stack" onSubmit={create} aria-label="Create trigger" novalidate>
      <h3>New trigger</h3>
      <div class="grid-4">
        <label class="field">
          <span>Kind</span>
          <select {...field("kind")} value={kind()} onChange={(e) => setKind(e.currentTarget.value as "cron" | "webhook")}>
            <option value="cron">cron</option>
            <option value="webhook">webhook</option>
          </select>
        </label>
        <label class="field">
          <span>Plan</span>
          <select {...field("plan_id")} value={chosenPlan()} onChange={(e) => setPlanId(e.currentTarget.value)} disabled={!props.plans.data}>
            <Show when={props.plans.data} fallback={<option value="">{props.plans.error ? "Plans could not be loaded" : "Loading plans…"}</option>}>
              <For each={props.plans.data?.items ?? []} fallback={<option value="">No plans</option>}>
                {(p) => <option value={p.id}>{p.name}</option>}
              </For>
            </Show>
          </select>
        </label>
        <Show when={kind() === "cron"}>
          <CronFields cron={cron()} setCron={setCron} timezone={timezone()} setTimezone={setTimezone} listId="timezone-names" field={field} />
        </Show>
      </div>
      <Show when={kind() === "cron"}>
        <SchedulePreview cron={cron()} timezone={timezone()} formError={err()} />
      </Show>
      <label class="field">
        <span>Name (optional)</span>
        <input {...field("title")} type="text" value={title()} onInput={(e) => setTitle(e.currentTarget.value)} placeholder="the title of the tasks it starts" />
      </label>
      <fieldset class="stack" aria-label="Inputs">
        <legend class="small muted">{kind() === "webhook" ? "Inputs: saved ones; a delivery's body, or the params taken from it, goes over them" : "Inputs of every task it starts"}</legend>
        <ParamFields params={params()} values={values()} onChange={(name, v) => setValues({ ...values(), [name]: v })} deferRequired={kind() === "webhook"} field={field} />
      </fieldset>
      <Show when={kind() === "webhook"}>
        <label class="field">
          <span>Params from the body (JSON, optional)</span>
          <textarea
            {...field("input_map", "input-map-help")}
            class="code-input"
            rows={2}
            value={inputMap()}
            onInput={(e) => setInputMap(e.currentTarget.value)}
            placeholder='{"repo": "repository.full_name", "sha": "after"}'
          />
          <small id="input-map-help" class="muted">
            Each param from a field of the sender's body, by dot path; the rest of the body is ignored. Empty: the body itself is the inputs.
          </small>
        </label>
        <DeliveryLimitField value={rate()} setValue={setRate} placeholder="the instance's default" field={field} />
      </Show>
      <ErrorLine text={err()} id={errorId} />
      <div class="row">
        <button class="btn btn-primary" type="submit" disabled={busy() || !props.plans.data?.items.length}>
          Create trigger
        </button>
      </div>
    </form>
  );
}
