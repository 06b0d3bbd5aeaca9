import { createSignal, Show } from "solid-js";
import { api, type TriggerPatch } from "../../api";
import type { Trigger } from "../../api-types";
import { Modal } from "../../components/modal";
import { FormFooter } from "../../components/form-footer";
import { toast } from "../../components/toast";
import { createSubmit } from "../../lib/submit";
import { CronFields, DeliveryLimitField, parseRateLimit, RATE_LIMIT_ERROR, SchedulePreview } from "./trigger-form";

const pretty = (v: unknown) => JSON.stringify(v, null, 2);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
export const triggerName = (t: Trigger) => t.title ?? `${t.kind} trigger ${t.id}`;

/** What caps a webhook's deliveries, said as its settings show it. */
export function deliveryLimit(t: Pick<Trigger, "rate_limit_per_min" | "effective_rate_limit_per_min">): string {
  const n = t.effective_rate_limit_per_min;
  const limit = n === null ? "No limit on deliveries" : `At most ${n.toLocaleString("en-US")} ${n === 1 ? "delivery" : "deliveries"} a minute`;
  return t.rate_limit_per_min === null ? `${limit} (the instance's default)` : limit;
}

/** Changes a trigger's name, schedule, inputs or params from the body. Only what changed is sent, so only that is checked again. */
export function TriggerEditDialog(props: { trigger: Trigger; onClose: () => void; onSaved: () => void }) {
  const t = props.trigger;
  const [title, setTitle] = createSignal(t.title ?? "");
  const [cron, setCron] = createSignal(t.cron ?? "");
  const [timezone, setTimezone] = createSignal(t.timezone ?? "UTC");
  const [inputs, setInputs] = createSignal(pretty(t.inputs));
  const [inputMap, setInputMap] = createSignal(t.input_map ? pretty(t.input_map) : "");
  const [rate, setRate] = createSignal(t.rate_limit_per_min === null ? "" : String(t.rate_limit_per_min));
  const { busy, error: err, setError: setErr, run, errorId, field } = createSubmit();

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setErr(null);
    const patch: TriggerPatch = {};
    if (title().trim() !== (t.title ?? "")) patch.title = title().trim() || null;
    if (t.kind === "cron") {
      if (cron().trim() !== t.cron) patch.cron = cron().trim();
      if ((timezone().trim() || "UTC") !== t.timezone) patch.timezone = timezone().trim() || "UTC";
    }
    try {
      const parsed = JSON.parse(inputs() || "{}") as Record<string, unknown>;
      if (!same(parsed, t.inputs)) patch.inputs = parsed;
    } catch {
      return setErr('Inputs must be a JSON object, e.g. {"topic": "pricing"}.', "inputs");
    }
    if (t.kind === "webhook") {
      try {
        const map = inputMap().trim() ? (JSON.parse(inputMap()) as Record<string, string>) : null;
        if (!same(map, t.input_map)) patch.input_map = map;
      } catch {
        return setErr('Params from the body must be a JSON object of dot paths, e.g. {"repo": "repository.full_name"}.', "input_map");
      }
      const perMin = parseRateLimit(rate());
      if (perMin === undefined) return setErr(RATE_LIMIT_ERROR, "rate_limit_per_min");
      if (perMin !== t.rate_limit_per_min) patch.rate_limit_per_min = perMin;
    }
    if (!Object.keys(patch).length) return props.onClose();
    await run(async () => {
      await api.triggers.update(t.id, patch);
      toast("Trigger saved");
      props.onSaved();
      props.onClose();
    });
  };

  return (
    <Modal open onClose={props.onClose} title={`Edit ${triggerName(t)}`}>
      <form class="stack" onSubmit={submit} novalidate>
        <label class="field">
          <span>Name</span>
          <input {...field("title")} type="text" value={title()} onInput={(e) => setTitle(e.currentTarget.value)} placeholder="the title of the tasks it starts" />
        </label>
        <Show when={t.kind === "cron"}>
          <div class="grid-2">
            <CronFields cron={cron()} setCron={setCron} timezone={timezone()} setTimezone={setTimezone} listId="timezone-names-edit" required field={field} />
          </div>
          <SchedulePreview cron={cron()} timezone={timezone()} formError={err()} />
        </Show>
        <label class="field">
          <span>Inputs (JSON)</span>
          <textarea {...field("inputs")} class="code-input" rows={4} value={inputs()} onInput={(e) => setInputs(e.currentTarget.value)} />
        </label>
        <Show when={t.kind === "webhook"}>
          <label class="field">
            <span>Params from the body (JSON, optional)</span>
            <textarea {...field("input_map")} class="code-input" rows={3} value={inputMap()} onInput={(e) => setInputMap(e.currentTarget.value)} placeholder='{"repo": "repository.full_name"}' />
          </label>
          <DeliveryLimitField
            value={rate()}
            setValue={setRate}
            placeholder={t.rate_limit_per_min === null && t.effective_rate_limit_per_min !== null ? String(t.effective_rate_limit_per_min) : "no limit"}
            field={field}
          />
        </Show>
        <FormFooter error={err()} errorId={errorId} busy={busy()} onCancel={props.onClose} submit="Save" />
      </form>
    </Modal>
  );
}
