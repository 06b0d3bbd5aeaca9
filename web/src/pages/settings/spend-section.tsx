import { createMemo, createSignal, For, Show } from "solid-js";
import { createClient, unwrap } from "../../client";
import { ErrorState, Skeleton } from "../../components/states";
import { fmtCost, fmtCostColumn, fmtCostExact, fmtInt, totalTokens } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { SpendChart } from "./spend-chart";
import { TableHead } from "../../components/list-table";

const fd = createClient();
type Group = "day" | "month" | "agent" | "model" | "source" | "plan";
const GROUPS: { id: Group; label: string }[] = [
  { id: "day", label: "By day" },
  { id: "month", label: "By month" },
  { id: "agent", label: "By agent" },
  { id: "model", label: "By model" },
  { id: "source", label: "By source" },
  { id: "plan", label: "By plan" },
];
// the report counts by UTC day and month, as the API does: a person far from UTC sees tonight's spend under tomorrow
const HEAD: Record<Group, string> = { day: "Day (UTC)", month: "Month (UTC)", agent: "Agent", model: "Model", source: "Source", plan: "Plan" };
/** what a source's spend paid for */
const SOURCE: Record<string, string> = { task: "Tasks", chat: "Chat planner" };
/** a plan by its name; tasks made from an agent alone (and planning conversations) have none */
const planLabel = (i: { key: string; name?: string | null }) => i.name ?? (i.key ? `${i.key} (deleted)` : "No saved plan");

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const monthStart = () => `${utcDay(Date.now()).slice(0, 7)}-01`;

/** Spend this month (or a chosen range) by day, month, agent, model, source (tasks, the chat planner) or plan, against the organization's monthly cap. */
export function SpendSection() {
  const [group, setGroup] = createSignal<Group>("day");
  const [from, setFrom] = createSignal(monthStart());
  const [to, setTo] = createSignal(utcDay(Date.now()));
  const report = createLoader(() => unwrap(fd.spend.$get({ query: { group: group(), from: from(), to: to() } })));
  const pick = (g: Group) => {
    setGroup(g);
    void report.refresh();
  };
  const setRange = (f: string, t: string) => {
    setFrom(f);
    setTo(t);
    void report.refresh();
  };
  // floored, so a month just under its cap never reads 100%, and one over it says by how much
  const pct = () => {
    const m = report.data?.month;
    return m?.cap ? Math.floor((m.spent / m.cap) * 100) : null;
  };

  type Report = NonNullable<typeof report.data>;
  // days with nothing spent are left out of the table (the chart keeps them)
  const rows = (r: Report) => (r.group === "day" ? r.items.filter((i) => i.cost > 0 || i.tasks > 0 || i.conversations > 0) : r.items);
  // one column: every cost to the same decimals, adding up to the total shown
  const costs = createMemo(() => (report.data ? fmtCostColumn(rows(report.data).map((i) => i.cost), report.data.total) : { rows: [], total: "" }));

  return (
    <div class="card stack" data-section="spend">
      <h2>Spend</h2>
      <Show when={report.data} fallback={<Show when={report.error} fallback={<Skeleton rows={4} />}>{<ErrorState error={report.error} retry={report.refresh} />}</Show>}>
        {(r) => (
          <>
            <p class="small" data-testid="month-spend">
              This month: <strong>{fmtCost(r().month.spent)}</strong>
              <Show when={r().month.cap != null} fallback={<span class="muted"> · no monthly cap</span>}>
                {" "}of a {fmtCost(r().month.cap)} cap ({pct()}%)
              </Show>
            </p>
            <Show when={r().month.cap != null && r().month.spent >= r().month.cap!}>
              <p class="form-notice" role="status" data-testid="cap-reached">
                The monthly cap is reached: a task's next model turn waits for a budget answer on its page. Raising the cap lets them go on, as does the next month.
              </p>
            </Show>
            <div class="row gap-sm wrap">
              <div class="tabs" role="group" aria-label="Group spend">
                <For each={GROUPS}>
                  {(g) => (
                    <button type="button" class="tab" aria-pressed={group() === g.id} onClick={() => pick(g.id)}>
                      {g.label}
                    </button>
                  )}
                </For>
              </div>
              <label class="field inline">
                <span>From</span>
                <input type="date" value={from()} max={to()} onChange={(e) => setRange(e.currentTarget.value, to())} />
              </label>
              <label class="field inline">
                <span>To</span>
                <input type="date" value={to()} min={from()} onChange={(e) => setRange(from(), e.currentTarget.value)} />
              </label>
            </div>
            <SpendChart
              bars={r().items.map((i) => ({ key: r().group === "plan" ? planLabel(i) : i.key, cost: i.cost }))}
              label={`Spend ${r().group === "day" ? "per day" : `per ${r().group}`} from ${r().from} to ${r().to}: ${fmtCost(r().total)} in total`}
              cap={r().group === "day" ? null : r().month.cap}
            />
            <Show when={r().planner_total > 0}>
              <p class="small muted" data-testid="planner-spend">
                Of which the chat planner: {fmtCost(r().planner_total)}
              </p>
            </Show>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Spend table">
              <table class="table table-spend">
                <caption class="sr-only">Spend {r().group === "day" ? "per day" : `per ${r().group}`}</caption>
                <TableHead columns={[HEAD[r().group], ...["Tasks", "Chats", "Tokens", "Searches", "Cost"].map((label) => ({ label, num: true }))]} />
                <tbody>
                  <For each={rows(r())}>
                    {(i, n) => (
                      <tr>
                        <th scope="row">{r().group === "day" || r().group === "month" ? i.key : r().group === "source" ? (SOURCE[i.key] ?? i.key) : r().group === "plan" ? planLabel(i) : <code>{i.key}</code>}</th>
                        <td class="num" data-label="Tasks">
                          {fmtInt(i.tasks)}
                        </td>
                        <td class="num" data-label="Chats">
                          {fmtInt(i.conversations)}
                        </td>
                        <td class="num" data-label="Tokens">
                          {fmtInt(totalTokens(i.tokens))}
                        </td>
                        <td class="num" data-label="Searches">
                          {fmtInt(i.searches)}
                        </td>
                        <td class="num spend-cost" title={fmtCostExact(i.cost)}>
                          {costs().rows[n()]}
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    <td colspan="4" class="spend-gap" />
                    <td class="num spend-cost" title={fmtCostExact(r().total)} data-testid="spend-total">
                      {costs().total}
                    </td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </>
        )}
      </Show>
    </div>
  );
}
