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
            <TableHead columns={["When", "Actor", "Action", "Target"]} />
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
