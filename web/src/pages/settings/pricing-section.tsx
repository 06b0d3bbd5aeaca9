import { createSignal, For, Show } from "solid-js";
import { api } from "../../api";
import type { Price } from "../../api-types";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { isAdmin } from "../../lib/session";

const FIELDS = ["input", "cache", "cache_write", "output", "web_search", "per_search"] as const;
type Field = (typeof FIELDS)[number];
const LABEL: Record<Field, string> = { input: "Input", cache: "Cache read", cache_write: "Cache write", output: "Output", web_search: "Web search", per_search: "Per search" };

export function PricingSection() {
  const prices = createLoader(() => api.pricing.list());
  const [model, setModel] = createSignal("");
  const [vals, setVals] = createSignal<Record<Field, string>>({ input: "", cache: "", cache_write: "", output: "", web_search: "", per_search: "" });
  const [err, setErr] = createSignal<string | null>(null);

  const edit = (p: Price) => {
    setModel(p.model);
    setVals(Object.fromEntries(FIELDS.map((f) => [f, String(p[f] ?? 0)])) as Record<Field, string>);
  };

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    setErr(null);
    if (!model().trim()) return setErr("Model is required.");
    const n = Object.fromEntries(FIELDS.map((f) => [f, vals()[f] === "" ? 0 : Number(vals()[f])])) as Record<Field, number>;
    if (Object.values(n).some((x) => !Number.isFinite(x) || x < 0)) return setErr("Prices are non-negative numbers.");
    try {
      await api.pricing.put(model().trim(), n);
      toast(`Pricing saved for ${model().trim()}`);
      void prices.refresh();
    } catch (e2) {
      setErr(errorMessage(e2));
    }
  };

  return (
    <div class="card stack">
      <h2>Model pricing</h2>
      <p class="muted small">USD per 1M tokens; “per search” is USD per web search. New prices apply to runs that start after saving.</p>
      <Show when={prices.data} fallback={<Show when={prices.error} fallback={<Skeleton rows={3} />}>{<ErrorState error={prices.error} retry={prices.refresh} />}</Show>}>
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <For each={FIELDS}>
                  {(f) => (
                    <th scope="col" class="num">
                      {LABEL[f]}
                    </th>
                  )}
                </For>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={prices.data?.items}>
                {(p) => (
                  <tr>
                    <td>
                      <code>{p.model}</code>
                    </td>
                    <For each={FIELDS}>{(f) => <td class="num">{p[f] ?? 0}</td>}</For>
                    <td>
                      <Show when={isAdmin()}>
                        <button class="btn btn-sm btn-ghost" type="button" onClick={() => edit(p)} aria-label={`Edit pricing for ${p.model}`}>
                          Edit
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
          <Show when={!prices.data?.items.length}>
            <EmptyState title="No prices set">Costs show as $0 until a model has a price.</EmptyState>
          </Show>
        </div>
      </Show>
      <Show when={isAdmin()}>
        <form class="stack" onSubmit={save} aria-label="Set pricing">
          <h3>Set a price</h3>
          <div class="grid-4">
            <label class="field">
              <span>Model</span>
              <input type="text" value={model()} onInput={(e) => setModel(e.currentTarget.value)} placeholder="openai:gpt-4o-mini" />
            </label>
            <For each={FIELDS}>
              {(f) => (
                <label class="field">
                  <span>{LABEL[f]}</span>
                  <input type="number" min="0" step="any" value={vals()[f]} onInput={(e) => setVals({ ...vals(), [f]: e.currentTarget.value })} />
                </label>
              )}
            </For>
          </div>
          <ErrorLine text={err()} />
          <div class="row">
            <button class="btn btn-primary" type="submit">
              Save price
            </button>
          </div>
        </form>
      </Show>
    </div>
  );
}
