import { FilterSelect } from "../../components/filter-select";
import { A, useSearchParams } from "@solidjs/router";
import { createEffect, createMemo, createSignal, For, on, Show } from "solid-js";
import { api, ApiError } from "../../api";
import type { TaskSource, TaskStatus } from "../../api-types";
import { CreateTaskDialog } from "../../components/create-task-dialog";
import { Icon } from "../../components/icons";
import { TableHead } from "../../components/list-table";
import { Pager } from "../../components/pager";
import { InputNeededNote } from "../../components/input-needed-note";
import { Progress } from "../../components/progress";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { StatusBadge } from "../../components/status-badge";
import { TaskActions } from "../../components/task-actions";
import { fmtCompact, fmtCostColumn, fmtCostExact, fmtDateFull, fmtRelative, STATUS_OPTIONS, totalTokens } from "../../lib/format";
import { onLive, throttle } from "../../lib/live";
import { useFilterParams } from "../../lib/filter-params";
import { followFocus } from "../../lib/follow-focus";
import { createLoader } from "../../lib/loader";
import { invalidField } from "../../lib/invalid-field";
import { localDays } from "../../lib/local-days";
import { canWrite } from "../../lib/session";
import { SearchBox } from "./search-box";
import { ExportMenu } from "../../components/export-menu";
import { SortControls } from "../../components/sort-controls";
import { usePageTitle } from "../../lib/page-title";

const SOURCES: TaskSource[] = ["agent", "api", "dashboard", "cron", "webhook"];
const LIMIT = 20;

type Filters = { status?: string; source?: string; agent?: string; trigger_id?: string; parent_id?: string; q?: string; sort?: string; created_from?: string; created_to?: string };

/** Document 003: the admin task table with status, source and agent filters. */
export function TablePage() {
  usePageTitle(() => "Task table");
  const [params, setParams] = useFilterParams<Filters & { pages?: string }>();
  // The cursors of the pages walked past page 1, in the URL: Back from a task, a reload or a link
  // comes to the same page, and each page is a history entry of its own.
  const [pageParams, setPageParams] = useSearchParams<{ pages?: string }>();
  const cursors = (): (string | null)[] => [null, ...(pageParams.pages?.split(",").filter(Boolean) ?? [])];
  const setCursors = (c: (string | null)[]) => setPageParams({ pages: c.slice(1).join(",") || undefined });
  const [creating, setCreating] = createSignal(false);
  const agents = createLoader(() => api.agents.list());
  followFocus("data-task-id", "a");

  const filters = () => ({ status: (params.status ?? "") as TaskStatus | "", source: (params.source ?? "") as TaskSource | "", agent: params.agent ?? "", trigger_id: params.trigger_id ?? "", parent_id: params.parent_id ?? "", q: params.q ?? "", sort: params.sort ?? "", created_from: params.created_from ?? "", created_to: params.created_to ?? "" });
  const query = () => localDays(filters());
  const page = createLoader(() => api.tasks.list({ ...query(), cursor: cursors().at(-1) ?? null, limit: LIMIT }), { immediate: false });

  const filterKey = () => JSON.stringify(filters());
  createEffect(on([filterKey, () => pageParams.pages], () => void page.refresh()));

  // Any change of filters starts again at page 1.
  const setFilter = (k: keyof Filters, v: string) => setParams({ [k]: v || undefined, pages: undefined });

  // the page's costs to the same decimals, so $0.012 and $12.34 line up and compare
  const costs = createMemo(() => fmtCostColumn(page.data?.items.map((t) => t.cost) ?? []));
  const lastOfOldest = () => filters().sort === "oldest" && !page.data?.next_cursor;
  const liveRefresh = throttle(() => void page.refresh(), 600);
  onLive((ev) => {
    if (ev.type === "task" && page.data) {
      const i = page.data.items.findIndex((t) => t.id === ev.task.id);
      if (i >= 0) page.mutate((d) => ({ ...d, items: d.items.map((t) => (t.id === ev.task.id ? ev.task : t)) }));
      // New tasks show on the first page, or at the end of an oldest-first walk; other changes may move rows across filters.
      if (cursors().length === 1 || lastOfOldest() || i >= 0) liveRefresh();
    } else if (ev.type === "reset") liveRefresh();
  });

  const anyFilter = () => Object.values(filters()).some(Boolean);
  const badAddress = () => page.error instanceof ApiError && page.error.status === 400 && invalidField(page.error.details, ["cursor"]) === "cursor";
  const FILTERS = ["status", "source", "agent", "trigger_id", "parent_id", "q", "sort", "created_from", "created_to"];
  /** A filter in the address the list refuses (`?status=bogus`): asking again cannot help, clearing the filters can. */
  const badFilter = () => page.error instanceof ApiError && page.error.status === 400 && invalidField(page.error.details, FILTERS) != null;
  let searchInput: HTMLInputElement | undefined;
  // Clear filters (and a filter's own ✕) goes once its filter is gone: the search box, first of the filters, takes the focus rather than the page's start.
  const clearFilters = () => {
    setParams({ status: undefined, source: undefined, agent: undefined, trigger_id: undefined, parent_id: undefined, q: undefined, sort: undefined, created_from: undefined, created_to: undefined, pages: undefined });
    searchInput?.focus();
  };
  const dropFilter = (k: keyof Filters) => {
    setFilter(k, "");
    searchInput?.focus();
  };

  return (
    <section class="page" aria-labelledby="table-title">
      <header class="page-head">
        <div>
          <h1 id="table-title">Task table</h1>
          <p class="muted">Every task, newest first — created from the dashboard, the API, triggers or other agents.</p>
        </div>
        <Show when={canWrite()}>
          <button class="btn btn-primary" type="button" onClick={() => setCreating(true)}>
            <Icon name="plus" /> Create task
          </button>
        </Show>
      </header>

      <div class="filters" role="group" aria-label="Filters">
        <SearchBox value={filters().q} onSearch={(v) => setFilter("q", v)} label="Search tasks by name" inputRef={(el) => (searchInput = el)} />
        <FilterSelect inline label="Status" value={filters().status} onChange={(v) => setFilter("status", v)} options={STATUS_OPTIONS} />
        <FilterSelect inline label="Source" value={filters().source} onChange={(v) => setFilter("source", v)} options={SOURCES} />
        <FilterSelect inline label="Agent" value={filters().agent} onChange={(v) => setFilter("agent", v)} options={(agents.data?.items ?? []).map((a) => a.name)}>
          <Show when={filters().agent && !agents.data?.items.some((a) => a.name === filters().agent)}>
            <option value={filters().agent}>{filters().agent}</option>
          </Show>
        </FilterSelect>
        <Show when={filters().trigger_id}>
          {(id) => (
            <span class="tag" data-testid="trigger-filter">
              Started by{" "}
              <code>{id()}</code>
              <button class="btn btn-ghost btn-sm" type="button" aria-label="Show tasks of every trigger" onClick={() => dropFilter("trigger_id")}>
                <Icon name="close" />
              </button>
            </span>
          )}
        </Show>
        <Show when={filters().parent_id}>
          {(id) => (
            <span class="tag" data-testid="parent-filter">
              Sub-tasks of{" "}
              <A href={`/tasks/${id()}`}>
                <code>{id()}</code>
              </A>
              <button class="btn btn-ghost btn-sm" type="button" aria-label="Show every task, not only these sub-tasks" onClick={() => dropFilter("parent_id")}>
                <Icon name="close" />
              </button>
            </span>
          )}
        </Show>
        <SortControls value={filters()} onChange={setFilter} />
        <ExportMenu filters={query()} />
        <Show when={anyFilter()}>
          <button
            class="btn btn-ghost btn-sm"
            type="button"
            onClick={clearFilters}
          >
            Clear filters
          </button>
        </Show>
      </div>

      <Show when={page.error}>
        {/* the address's cursor is refused (mistyped, cut short): asking again cannot help, page 1 and Clear filters can */}
        <Show
          when={badAddress()}
          fallback={
            <Show when={badFilter()} fallback={<ErrorState error={page.error} retry={page.refresh} title="Could not load tasks" />}>
              <ErrorState error={page.error} title="This link's filters are not ones the list takes" retry={clearFilters} retryLabel="Clear filters" />
            </Show>
          }
        >
          <ErrorState error={page.error} title="This link does not name a page of tasks" retry={cursors().length > 1 ? () => setCursors([null]) : undefined} retryLabel="Back to page 1" />
        </Show>
      </Show>
      <Show when={page.data} fallback={<Show when={!page.error}>{<Skeleton rows={6} />}</Show>}>
        {(d) => (
          <div class={`table-wrap ${page.loading ? "is-refreshing" : ""}`} aria-busy={page.loading}>
            <table class="table table-tasks" aria-label="Tasks">
              <TableHead columns={["Task", "Status", "Source · Agent", "Created", "Progress", { label: "Tokens", num: true }, { label: "Cost", num: true }]} actions />
              <tbody>
                <For each={d().items}>
                  {(t, i) => (
                    <tr data-task-id={t.id} data-status={t.status}>
                      <td>
                        <div class="cell-title">
                          <A href={`/tasks/${t.id}`} class="link-strong">
                            {t.title}
                          </A>
                          <span class="muted small">{t.created_by?.name}</span>
                        </div>
                      </td>
                      <td>
                        <StatusBadge status={t.status} />
                        <InputNeededNote needed={t.input_needed_in} />
                      </td>
                      <td>
                        <div class="cell-stack">
                          <span class="tag">{t.source}</span>
                          <span>{t.agent ?? "—"}</span>
                        </div>
                      </td>
                      <td class="nowrap">
                        <time datetime={t.created_at} title={fmtDateFull(t.created_at)}>
                          {fmtRelative(t.created_at)}
                        </time>
                      </td>
                      <td class="cell-progress">
                        <Progress done={t.progress.done} total={t.progress.total} status={t.status} />
                        <span class="small muted">
                          {t.progress.done}/{t.progress.total}
                        </span>
                      </td>
                      <td class="num">{fmtCompact(totalTokens(t.tokens))}</td>
                      <td class="num" title={fmtCostExact(t.cost)}>
                        {costs().rows[i()]}
                      </td>
                      <td class="cell-actions">
                        <TaskActions task={t} onChanged={liveRefresh} />
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <Show when={d().items.length === 0}>
              <EmptyState title={anyFilter() ? "No tasks match these filters" : "No tasks yet"}>{anyFilter() ? "Try clearing a filter." : "Create one to get started."}</EmptyState>
            </Show>
          </div>
        )}
      </Show>
      <Pager label="Tasks" page={cursors().length} hasPrev={cursors().length > 1} hasNext={!!page.data?.next_cursor} onPrev={() => setCursors(cursors().slice(0, -1))} onNext={() => setCursors([...cursors(), page.data?.next_cursor ?? null])} />

      <Show when={creating()}>
        <CreateTaskDialog
          onClose={() => setCreating(false)}
          onCreated={(t) => {
            const f = filters();
            const matches = (!f.status || f.status === t.status) && (!f.source || f.source === t.source) && (!f.agent || f.agent === t.agent) && !f.trigger_id && !f.parent_id && (!f.q || t.title.toLowerCase().includes(f.q.toLowerCase()));
            if (matches && cursors().length === 1) page.mutate((d) => (d.items.some((x) => x.id === t.id) ? d : { ...d, items: [t, ...d.items].slice(0, LIMIT) }));
            liveRefresh();
          }}
        />
      </Show>
    </section>
  );
}
