import { A } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { createClient, unwrap } from "../../client";
import { EmptyState, ErrorState } from "../../components/states";
import { fmtDate } from "../../lib/format";
import { FilterSelect } from "../../components/filter-select";
import { TableHead } from "../../components/list-table";
import { EVENTS, type EventName } from "./subscription-fields";

const fd = createClient();
const OUTCOMES = ["delivered", "retrying", "failed", "dropped"] as const;
interface Filters {
  subscription_id?: string;
  outcome?: (typeof OUTCOMES)[number];
  event?: EventName;
}
const deliveries = (filters: Filters, cursor: string | null) =>
  unwrap(fd.notifications.deliveries.$get({ query: { limit: "25", ...filters, ...(cursor ? { cursor } : {}) } }));
type Delivery = Awaited<ReturnType<typeof deliveries>>["items"][number];

/** Every delivery attempt, newest first, each naming the subscription it went to; filtered by subscription, outcome and event. */
export function DeliveryLog(props: { subscriptions: readonly { id: string; url: string; description: string }[] }) {
  const [log, setLog] = createSignal<Delivery[]>([]);
  const [next, setNext] = createSignal<string | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const [filters, setFilters] = createSignal<Filters>({});
  let latest = 0;

  const load = async (more = false) => {
    const asked = ++latest;
    try {
      const page = await deliveries(filters(), more ? next() : null);
      // an answer for filters since changed must not land under the new ones
      if (asked !== latest) return;
      setLog((l) => (more ? [...l, ...page.items] : page.items));
      setNext(page.next_cursor);
      setError(null);
    } catch (e) {
      if (asked === latest) setError(e);
    }
  };
  void load();
  const filter = <K extends keyof Filters>(key: K, value: string) => {
    setFilters((f) => ({ ...f, [key]: value || undefined }));
    void load();
  };
  const filtered = () => Object.values(filters()).some(Boolean);
  const subscription = (id: string) => props.subscriptions.find((s) => s.id === id);

  return (
    <div class="card stack">
      <div class="row gap-sm">
        <h2>Delivery log</h2>
        <button class="btn btn-sm" type="button" onClick={() => void load()}>Refresh</button>
      </div>
      <div class="row gap-sm wrap align-end" role="group" aria-label="Filter deliveries">
        <FilterSelect
          label="Subscription"
          all="All subscriptions"
          value={filters().subscription_id}
          onChange={(v) => filter("subscription_id", v)}
          options={props.subscriptions.map((s) => ({ value: s.id, label: s.description ? `${s.description} — ${s.url}` : s.url }))}
        />
        <FilterSelect label="Outcome" all="All outcomes" value={filters().outcome} onChange={(v) => filter("outcome", v)} options={OUTCOMES} />
        <FilterSelect label="Event" all="All events" value={filters().event} onChange={(v) => filter("event", v)} options={EVENTS} />
      </div>
      <Show when={error()}>
        <ErrorState error={error()} retry={() => void load()} />
      </Show>
      <div class="table-wrap" tabindex="0" role="region" aria-label="Deliveries table">
        <table class="table" aria-label="Deliveries">
          <TableHead columns={["When", "Subscription", "Event", "Task", { label: "Attempt", num: true }, "Outcome", "Answer"]} />
          <tbody>
            <For each={log()}>
              {(d) => (
                <tr data-outcome={d.outcome} data-subscription-id={d.subscription_id}>
                  <td class="nowrap">{fmtDate(d.created_at)}</td>
                  <td>
                    <Show when={subscription(d.subscription_id)} fallback={<span class="muted small">{d.subscription_id} (deleted)</span>}>
                      {(s) => (
                        <div class="cell-title">
                          <code>{s().url}</code>
                          <Show when={s().description}><span class="muted small">{s().description}</span></Show>
                        </div>
                      )}
                    </Show>
                  </td>
                  <td><code>{d.event}</code></td>
                  <td><A href={`/tasks/${d.task_id}`}>{d.task_id}</A></td>
                  <td class="num">{d.attempt || "—"}</td>
                  <td>
                    <span class={`tag ${d.outcome === "delivered" ? "tag-accent" : ""}`}>{d.outcome}</span>
                    <Show when={d.next_attempt_at}><span class="muted small"> next {fmtDate(d.next_attempt_at!)}</span></Show>
                  </td>
                  <td class="small">{d.response_status ?? "—"} {d.error && d.error !== `HTTP ${d.response_status}` ? d.error : ""} <span class="muted">{d.duration_ms} ms</span></td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <Show when={!log().length && !error()}>
          <EmptyState title={filtered() ? "No deliveries match these filters" : "No deliveries yet"} />
        </Show>
      </div>
      <Show when={next()}>
        <button class="btn btn-sm" type="button" onClick={() => void load(true)}>Older deliveries</button>
      </Show>
    </div>
  );
}
