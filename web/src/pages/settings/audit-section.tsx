import { createSignal, For, Show } from "solid-js";
import { api } from "../../api";
import { Pager } from "../../components/pager";
import { AdminOnly } from "../../components/role-gate";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { fmtDate, fmtDateFull } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { TableHead } from "../../components/list-table";

function describe(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  if (typeof v === "object" && "name" in v) return String((v as { name: unknown }).name);
  if (typeof v === "object" && "id" in v) return String((v as { id: unknown }).id);
  return JSON.stringify(v);
}

/** An entry's details on one line (`step: draft · run: 2`): which step, run, version or question it was about. */
function detailsLine(d: Record<string, unknown> | null): string {
  if (!d) return "";
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

const SHORT = 160;

/** Long details (a trigger pause's issues) are cut, the whole line in the tooltip. */
function DetailsCell(props: { details: Record<string, unknown> | null }) {
  const text = detailsLine(props.details);
  return (
    <td class="small" title={text.length > SHORT ? text : undefined}>
      {text.length > SHORT ? `${text.slice(0, SHORT)}…` : text}
    </td>
  );
}

export function AuditSection() {
  return (
    <AdminOnly title="Audit log" text="Only admins read the audit log.">
      <AuditLog />
    </AdminOnly>
  );
}

function AuditLog() {
  const [cursors, setCursors] = createSignal<(string | null)[]>([null]);
  const audit = createLoader(() => api.audit.list(cursors().at(-1)));
  const go = (c: (string | null)[]) => {
    setCursors(c);
    void audit.refresh();
  };
  return (
    <div class="card stack">
      <h2>Audit log</h2>
      <Show when={audit.data} fallback={<Show when={audit.error} fallback={<Skeleton rows={5} />}>{<ErrorState error={audit.error} retry={audit.refresh} />}</Show>}>
        <div class="table-wrap">
          <table class="table">
            <TableHead columns={["When", "Actor", "Action", "Target", "Details"]} />
            <tbody>
              <For each={audit.data?.items}>
                {(e) => (
                  <tr>
                    <td title={fmtDateFull(e.at)}>{fmtDate(e.at)}</td>
                    <td>{describe(e.actor)}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td class="muted">
                      {e.target.type} <code>{e.target.id}</code>
                    </td>
                    <DetailsCell details={e.details} />
                  </tr>
                )}
              </For>
            </tbody>
          </table>
          <Show when={!audit.data?.items.length}>
            <EmptyState title="Nothing recorded yet" />
          </Show>
        </div>
        <Pager label="Audit log" page={cursors().length} hasPrev={cursors().length > 1} hasNext={!!audit.data?.next_cursor} onPrev={() => go(cursors().slice(0, -1))} onNext={() => go([...cursors(), audit.data?.next_cursor ?? null])} />
      </Show>
    </div>
  );
}
