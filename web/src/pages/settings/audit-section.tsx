import { A, useSearchParams } from "@solidjs/router";
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { AUDIT_ACTIONS } from "../../../../worker/lib/audit-actions";
import { api, type AuditFilters } from "../../api";
import type { AuditEntry } from "../../api-types";
import { FilterSelect } from "../../components/filter-select";
import { Icon } from "../../components/icons";
import { TableHead } from "../../components/list-table";
import { Pager } from "../../components/pager";
import { AdminOnly } from "../../components/role-gate";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { fmtDate, fmtDateFull } from "../../lib/format";
import { createLoader } from "../../lib/loader";

function describe(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  if (typeof v === "object" && "name" in v) return String((v as { name: unknown }).name);
  if (typeof v === "object" && "id" in v) return String((v as { id: unknown }).id);
  return JSON.stringify(v);
}

/** Where the dashboard shows a target, when it shows it anywhere. */
function targetHref(t: AuditEntry["target"]): string | null {
  switch (t.type) {
    case "task":
      return `/tasks/${t.id}`;
    case "plan":
      return `/plans/${t.id}`;
    case "agent":
      return "/agents";
    case "trigger":
      return "/settings?tab=triggers";
    case "token":
      return "/settings?tab=tokens";
    case "subscription":
      return "/settings?tab=notifications";
    case "model":
      return "/settings?tab=pricing";
    default:
      return null;
  }
}

/** An entry's details on one line (`step: draft · run: 2`): which step, run, version or question it was about. */
function detailsLine(d: Record<string, unknown> | null): string {
  if (!d) return "";
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

const SHORT = 160;

/** Long details (a trigger pause's issues) are cut, the whole line a disclosure away: by keyboard and touch too, as a tooltip is not. */
function DetailsCell(props: { details: Record<string, unknown> | null }) {
  const text = () => detailsLine(props.details);
  const [open, setOpen] = createSignal(false);
  return (
    <td class="small">
      <Show when={text().length > SHORT} fallback={text()}>
        <details class="audit-details" onToggle={(e) => setOpen(e.currentTarget.open)}>
          <summary>{open() ? "Show less" : `${text().slice(0, SHORT)}…`}</summary>
          <p>{text()}</p>
        </details>
      </Show>
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
  const [params, setParams] = useSearchParams<{ action?: string; actor?: string; target?: string }>();
  const filters = (): AuditFilters => ({ action: params.action || undefined, actor: params.actor || undefined, target: params.target || undefined });
  const [cursors, setCursors] = createSignal<(string | null)[]>([null]);
  const audit = createLoader(() => api.audit.list(cursors().at(-1) ?? null, filters()));
  const go = (c: (string | null)[]) => {
    setCursors(c);
    void audit.refresh();
  };
  // a filter changed (here or by a link to this tab): its first page
  createEffect(on(() => JSON.stringify(filters()), () => go([null]), { defer: true }));
  const setFilter = (name: keyof AuditFilters, value: string) => setParams({ [name]: value || undefined }, { replace: true });
  const actorName = () => audit.data?.items.find((e) => e.actor.id === params.actor)?.actor.name;
  return (
    <div class="card stack">
      <h2>Audit log</h2>
      <div class="filters" role="group" aria-label="Audit log filters">
        <FilterSelect inline label="Action" value={params.action} onChange={(v) => setFilter("action", v)} options={AUDIT_ACTIONS} />
        <Show when={params.actor}>
          {(id) => (
            <span class="tag" data-testid="actor-filter">
              By {actorName() ?? ""} <code>{id()}</code>
              <button class="btn btn-ghost btn-sm" type="button" aria-label="Show what every actor did" onClick={() => setFilter("actor", "")}>
                <Icon name="close" />
              </button>
            </span>
          )}
        </Show>
        <Show when={params.target}>
          {(id) => (
            <span class="tag" data-testid="target-filter">
              Done to <code>{id()}</code>
              <button class="btn btn-ghost btn-sm" type="button" aria-label="Show what was done to every target" onClick={() => setFilter("target", "")}>
                <Icon name="close" />
              </button>
            </span>
          )}
        </Show>
        <Show when={params.action || params.actor || params.target}>
          <button class="btn btn-ghost btn-sm" type="button" onClick={() => setParams({ action: undefined, actor: undefined, target: undefined }, { replace: true })}>
            Clear filters
          </button>
        </Show>
      </div>
      <Show when={audit.data} fallback={<Show when={audit.error} fallback={<Skeleton rows={5} />}>{<ErrorState error={audit.error} retry={audit.refresh} />}</Show>}>
        <div class="table-wrap" tabindex="0" role="region" aria-label="Audit log table">
          <table class="table">
            <TableHead columns={["When", "Actor", "Action", "Target", "Details"]} />
            <tbody>
              <For each={audit.data?.items}>
                {(e) => (
                  <tr data-audit-id={e.id}>
                    <td title={fmtDateFull(e.at)}>{fmtDate(e.at)}</td>
                    <td>
                      <button class="btn-link" type="button" title={`Only what ${describe(e.actor)} did`} onClick={() => setFilter("actor", e.actor.id)}>
                        {describe(e.actor)}
                      </button>
                    </td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td class="muted">
                      {e.target.type}{" "}
                      <Show when={targetHref(e.target)} fallback={<code>{e.target.id}</code>}>
                        {(href) => (
                          <A href={href()}>
                            <code>{e.target.id}</code>
                          </A>
                        )}
                      </Show>{" "}
                      <button class="btn btn-ghost btn-sm" type="button" aria-label={`Only what was done to ${e.target.type} ${e.target.id}`} title="Only what was done to this" onClick={() => setFilter("target", e.target.id)}>
                        <Icon name="filter" />
                      </button>
                    </td>
                    <DetailsCell details={e.details} />
                  </tr>
                )}
              </For>
            </tbody>
          </table>
          <Show when={!audit.data?.items.length}>
            <EmptyState title={params.action || params.actor || params.target ? "Nothing recorded matches these filters" : "Nothing recorded yet"} />
          </Show>
        </div>
        <Pager label="Audit log" page={cursors().length} hasPrev={cursors().length > 1} hasNext={!!audit.data?.next_cursor} onPrev={() => go(cursors().slice(0, -1))} onNext={() => go([...cursors(), audit.data?.next_cursor ?? null])} />
      </Show>
    </div>
  );
}
