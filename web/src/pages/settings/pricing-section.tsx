import { createSignal, For, Match, Show, Switch } from "solid-js";
import { api } from "../../api";
import type { Price } from "../../api-types";
import { ListTable } from "../../components/list-table";
import { RoleNote } from "../../components/role-gate";
import { Modal } from "../../components/modal";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage, fmtDate } from "../../lib/format";
import { createFieldErrors } from "../../lib/field-errors";
import { createLoader } from "../../lib/loader";
import { isAdmin } from "../../lib/session";
import { numberInput } from "../../lib/number-input";

const FIELDS = ["input", "cache", "cache_write", "output", "web_search", "per_search"] as const;
type Field = (typeof FIELDS)[number];
const LABEL: Record<Field, string> = { input: "Input", cache: "Cache read", cache_write: "Cache write", output: "Output", web_search: "Web search", per_search: "Per search" };
const MODEL_RE = /^(sim|openai:[\w.:/-]{1,100}|anthropic:[\w.:/-]{1,100})$/;
const EMPTY: Record<Field, string> = { input: "", cache: "", cache_write: "", output: "", web_search: "", per_search: "" };

/** Up to 6 decimals, no trailing zeros: prices are often fractions of a dollar. */
const usd = (n: number) => `$${Number(n.toFixed(6)).toString()}`;

/** The organization's prices over the built-in defaults: edit one, or revert it to the default. */
export function PricingSection() {
  const prices = createLoader(() => api.pricing.list());
  const [model, setModel] = createSignal("");
  const [editing, setEditing] = createSignal<string | null>(null);
  const [vals, setVals] = createSignal<Record<Field, string>>(EMPTY);
  const [err, setErrText] = createSignal<string | null>(null);
  const fields = createFieldErrors();
  /** The form's error, and the field it is about (marked invalid, described by it, focused). */
  const setErr = (text: string | null, field: string | null = null) => (setErrText(text), fields.mark(text ? field : null));
  const [busy, setBusy] = createSignal(false);
  const [reverting, setReverting] = createSignal<Price | null>(null);
  let modelInput!: HTMLInputElement;
  let inputField!: HTMLInputElement;

  const edit = (p: Price) => {
    setErr(null);
    setEditing(p.model);
    setModel(p.model);
    setVals(Object.fromEntries(FIELDS.map((f) => [f, String(p[f])])) as Record<Field, string>);
    modelInput.scrollIntoView({ block: "center", behavior: "smooth" });
    inputField.focus({ preventScroll: true });
    inputField.select();
  };

  const reset = () => {
    setErr(null);
    setEditing(null);
    setModel("");
    setVals(EMPTY);
  };

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    setErr(null);
    const m = model().trim();
    if (!m) return setErr("Model is required.", "model");
    if (!MODEL_RE.test(m)) return setErr("Model is “sim”, “openai:<model>” or “anthropic:<model>”.", "model");
    if (fields.markUnreadable(setErr)) return;
    const n = Object.fromEntries(FIELDS.map((f) => [f, vals()[f] === "" ? 0 : Number(vals()[f])])) as Record<Field, number>;
    const bad = FIELDS.find((f) => !Number.isFinite(n[f]) || n[f] < 0);
    if (bad) return setErr("Prices are non-negative numbers.", bad);
    setBusy(true);
    try {
      await api.pricing.put(m, n);
      toast(`Price saved for ${m}`);
      reset();
      await prices.refresh();
    } catch (e2) {
      setErr(errorMessage(e2));
      fields.markFrom(e2);
    } finally {
      setBusy(false);
    }
  };

  const revert = async (p: Price) => {
    setBusy(true);
    try {
      await api.pricing.revert(p.model);
      await prices.refresh();
      const back = prices.data?.items.find((x) => x.model === p.model);
      toast(back ? `${p.model} is back on the default price` : `Price for ${p.model} removed`);
      if (editing() === p.model) reset();
      setReverting(null);
    } catch (e2) {
      toast(errorMessage(e2), "error");
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="card stack">
      <h2>Model pricing</h2>
      <p class="muted small">
        USD per 1M tokens; “per search” is USD per web search. <strong>Default</strong> prices are built in; an <strong>organization</strong> price overrides
        one until you revert it. New prices apply to runs that start after saving; costs already recorded keep the price their run started with.
      </p>
      <Show when={prices.data?.items.filter((p) => p.source === "none").map((p) => p.model)}>
        {(unpriced) => (
          <Show when={unpriced().length > 0}>
            <p class="form-notice" role="status" data-testid="unpriced-models">
              Agents use {unpriced().length === 1 ? "a model" : "models"} that nothing prices: {unpriced().join(", ")}. Their runs count $0 and the monthly spend cap
              does not see them until you set a price{isAdmin() ? " (Edit, below)" : " (an admin sets it)"}.
            </p>
          </Show>
        )}
      </Show>
      <ListTable
        label="Model pricing table"
        loader={prices}
        class="pricing-table"
        columns={["Model", "Source", ...FIELDS.map((f) => ({ label: LABEL[f], num: true }))]}
        row={(p) => (
          <tr data-model={p.model} data-source={p.source} class={editing() === p.model ? "is-editing" : ""}>
            <th scope="row">
              <code>{p.model}</code>
            </th>
            <td>
              <Switch fallback={<span class="tag">Default</span>}>
                <Match when={p.source === "organization"}>
                  <span class="tag tag-accent" title={p.updated_at ? `Set ${fmtDate(p.updated_at)}` : undefined}>
                    Organization
                  </span>
                </Match>
                <Match when={p.source === "none"}>
                  <span class="tag tag-warn" title="An agent uses this model and nothing prices it: its runs count $0, and the monthly cap does not see them">
                    No price
                  </span>
                </Match>
              </Switch>
            </td>
            <For each={FIELDS}>{(f) => <td class="num">{usd(p[f])}</td>}</For>
            <td class="actions-cell">
              <Show when={isAdmin()}>
                <div class="row gap-sm nowrap">
                  <button class="btn btn-sm btn-ghost" type="button" onClick={() => edit(p)} aria-label={`Edit pricing for ${p.model}`}>
                    Edit
                  </button>
                  <Show when={p.source === "organization"}>
                    <button class="btn btn-sm btn-ghost" type="button" onClick={() => setReverting(p)} aria-label={`Revert pricing for ${p.model}`}>
                      Revert
                    </button>
                  </Show>
                </div>
              </Show>
            </td>
          </tr>
        )}
        empty={{ title: "No prices set", text: "Costs show as $0 until a model has a price." }}
      />
      <Show when={isAdmin()} fallback={<RoleNote>Only admins set prices.</RoleNote>}>
        <form class="stack pricing-form" onSubmit={save} aria-labelledby="pricing-form-title" novalidate>
          <h3 id="pricing-form-title">{editing() ? `Edit the price of ${editing()}` : "Set a price"}</h3>
          <div class="grid-4">
            <label class="field">
              <span>Model</span>
              <input
                {...fields.of("model")}
                ref={(el) => ((modelInput = el), fields.of("model").ref(el))}
                type="text"
                value={model()}
                onInput={(e) => setModel(e.currentTarget.value)}
                placeholder="openai:gpt-4o-mini"
                readOnly={editing() !== null}
                autocomplete="off"
                spellcheck={false}
              />
            </label>
            <For each={FIELDS}>
              {(f, i) => (
                <label class="field">
                  <span>
                    {LABEL[f]} <span class="muted small">{f === "per_search" ? "USD / search" : "USD / 1M"}</span>
                  </span>
                  <input
                    {...fields.of(f)}
                    ref={(el) => (i() === 0 && (inputField = el), fields.of(f).ref(el))}
                    type="number"
                    min="0"
                    step="any"
                    inputmode="decimal"
                    value={vals()[f]}
                    onInput={numberInput((v) => setVals({ ...vals(), [f]: v }))}
                  />
                </label>
              )}
            </For>
          </div>
          <ErrorLine text={err()} id={fields.errorId} />
          <div class="row gap-sm">
            <button class="btn btn-primary" type="submit" disabled={busy()}>
              Save price
            </button>
            <Show when={editing() || model() || Object.values(vals()).some(Boolean)}>
              <button class="btn btn-ghost" type="button" onClick={reset}>
                Cancel
              </button>
            </Show>
          </div>
        </form>
      </Show>
      <Show when={reverting()}>
        {(p) => (
          <Modal open title="Revert price?" size="sm" onClose={() => setReverting(null)}>
            <p>
              Remove the organization’s price for <code>{p().model}</code>? The built-in default applies again to runs that start after this; finished runs
              keep what they cost.
            </p>
            <div class="modal-actions">
              <button class="btn btn-ghost" type="button" onClick={() => setReverting(null)}>
                Keep it
              </button>
              <button class="btn btn-danger" type="button" disabled={busy()} onClick={() => void revert(p())}>
                Revert to default
              </button>
            </div>
          </Modal>
        )}
      </Show>
    </div>
  );
}
