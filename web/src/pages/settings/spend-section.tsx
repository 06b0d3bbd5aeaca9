import { createSignal, For, Show } from "solid-js";
import { createClient, unwrap } from "../../client";
import { ErrorState, Skeleton } from "../../components/states";
import { fmtCost, fmtInt, totalTokens } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { SpendChart } from "./spend-chart";
import { TableHead } from "../../components/list-table";

const fd = createClient();
type Group = "day" | "agent" | "model" | "source";
const GROUPS: { id: Group; label: string }[] = [
  { id: "day", label: "By day" },
  { id: "agent", label: "By agent" },
  { id: "model", label: "By model" },
  { id: "source", label: "By source" },
];
const HEAD: Record<Group, string> = { day: "Day", agent: "Agent", model: "Model", source: "Source" };
/** what a source's spend paid for */
const SOURCE: Record<string, string> = { task: "Tasks", chat: "Chat planner" };

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const monthStart = () => `${utcDay(Date.now()).slice(0, 7)}-01`;

/** Spend this month (or a chosen range) by day, agent, model or source (tasks, the chat planner), against the organization's monthly cap. */
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
  const pct = () => {
    const m = report.data?.month;
    return m?.cap ? Math.min(100, (m.spent / m.cap) * 100) : null;
  };

  return (
    <div class="card stack" data-section="spend">
      <h2>Spend</h2>
      <Show when={report.data} fallback={<Show when={report.error} fallback={<Skeleton rows={4} />}>{<ErrorState error={report.error} retry={report.refresh} />}</Show>}>
        {(r) => (
          <>
            <p class="small" data-testid="month-spend">
              This month: <strong>{fmtCost(r().month.spent)}</strong>
              <Show when={r().month.cap != null} fallback={<span class="muted"> · no monthly cap</span>}>
                {" "}of a {fmtCost(r().month.cap)} cap ({pct()?.toFixed(0)}%)
              </Show>
            </p>
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
              bars={r().items.map((i) => ({ key: i.key, cost: i.cost }))}
              label={`Spend ${r().group === "day" ? "per day" : `per ${r().group}`} from ${r().from} to ${r().to}: ${fmtCost(r().total)} in total`}
              cap={r().group === "day" ? null : r().month.cap}
            />
            <Show when={r().planner_total > 0}>
              <p class="small muted" data-testid="planner-spend">
                Of which the chat planner: {fmtCost(r().planner_total)}
              </p>
            </Show>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Spend table">
              <table class="table">
                <caption class="sr-only">Spend {r().group === "day" ? "per day" : `per ${r().group}`}</caption>
                <TableHead columns={[HEAD[r().group], ...["Tasks", "Chats", "Tokens", "Searches", "Cost"].map((label) => ({ label, num: true }))]} />
                <tbody>
                  <For each={r().group === "day" ? r().items.filter((i) => i.cost > 0 || i.tasks > 0 || i.conversations > 0) : r().items}>
                    {(i) => (
                      <tr>
                        <th scope="row">{r().group === "day" ? i.key : r().group === "source" ? (SOURCE[i.key] ?? i.key) : <code>{i.key}</code>}</th>
                        <td class="num">{fmtInt(i.tasks)}</td>
                        <td class="num">{fmtInt(i.conversations)}</td>
                        <td class="num">{fmtInt(totalTokens(i.tokens))}</td>
                        <td class="num">{fmtInt(i.searches)}</td>
                        <td class="num">{fmtCost(i.cost)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    <td colspan="4" />
                    <td class="num">{fmtCost(r().total)}</td>
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
