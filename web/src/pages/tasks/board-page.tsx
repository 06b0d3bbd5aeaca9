import { batch, createEffect, createSignal, For, on, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { api } from "../../api";
import type { TaskListItem, TaskStatus } from "../../api-types";
import { CreateTaskDialog } from "../../components/create-task-dialog";
import { Icon } from "../../components/icons";
import { Pager } from "../../components/pager";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { useFilterParams } from "../../lib/filter-params";
import { followFocus } from "../../lib/follow-focus";
import { BOARD_GROUPS, STATUS_LABEL } from "../../lib/format";
import { onLive, throttle } from "../../lib/live";
import { canWrite } from "../../lib/session";
import { SearchBox } from "./search-box";
import { TaskCard } from "./task-card";
import { usePageTitle } from "../../lib/page-title";

const PAGE = 5;

interface Group {
  /** Cursor used for each page visited; page 1 has none. */
  cursors: (string | null)[];
  items: TaskListItem[];
  next: string | null;
  count: number | string;
  loading: boolean;
}

type Groups = Record<TaskStatus, Group>;

const blank = (): Group => ({ cursors: [null], items: [], next: null, count: 0, loading: true });

/** Document 000: tasks grouped by status, 5 per page per group, searchable by name, live. */
export function BoardPage() {
  usePageTitle(() => "Tasks");
  const [params, setParams] = useFilterParams<{ q?: string }>();
  const [groups, setGroups] = createStore<Groups>(Object.fromEntries(BOARD_GROUPS.map((s) => [s, blank()])) as Groups);
  const [error, setError] = createSignal<unknown>(null);
  const [loaded, setLoaded] = createSignal(false);
  const [creating, setCreating] = createSignal(false);
  let seq = 0;
  followFocus("data-task-id", ".task-card-head");
  const expanded = new Set<string>();

  const q = () => params.q ?? "";

  const loadGroupPage = async (s: TaskStatus, cursor: string | null, mine: number) => {
    const page = await api.tasks.list({ status: s, q: q(), cursor, limit: PAGE });
    if (mine !== seq) return;
    setGroups(s, "items", reconcile(page.items, { key: "id" }));
    setGroups(s, { next: page.next_cursor, loading: false });
  };

  const refresh = async () => {
    const mine = ++seq;
    try {
      const sum = await api.tasks.summary({ q: q() });
      if (mine !== seq) return;
      setError(null);
      batch(() => {
        for (const s of BOARD_GROUPS) {
          setGroups(s, "count", sum.counts[s] ?? 0);
          if (groups[s].cursors.length === 1) {
            const page = sum.groups[s] ?? { items: [], next_cursor: null };
            setGroups(s, "items", reconcile(page.items, { key: "id" }));
            setGroups(s, { next: page.next_cursor, loading: false });
          }
        }
      });
      await Promise.all(BOARD_GROUPS.filter((s) => groups[s].cursors.length > 1).map((s) => loadGroupPage(s, groups[s].cursors.at(-1) ?? null, mine)));
      setLoaded(true);
    } catch (e) {
      if (mine === seq) setError(e);
    }
  };

  const liveRefresh = throttle(() => void refresh(), 500);

  // Runs on mount and whenever the search changes (the URL updates after navigation settles, Back and Forward included).
  createEffect(
    on(q, () => {
      batch(() => BOARD_GROUPS.forEach((s) => setGroups(s, { cursors: [null], next: null, loading: true })));
      void refresh();
    }),
  );

  onLive((ev) => {
    if (ev.type === "task") {
      // Patch in place for instant ticks; the throttled refetch moves cards between groups and fixes counts.
      for (const s of BOARD_GROUPS) {
        const i = groups[s].items.findIndex((t) => t.id === ev.task.id);
        if (i >= 0 && ev.task.status === s) setGroups(s, "items", i, reconcile(ev.task));
      }
    }
    if (ev.type !== "plan") liveRefresh();
  });

  /** Shows a new task at once (from the create response); the live feed and refetch take it from there. */
  const insert = (t: TaskListItem) => {
    const g = groups[t.status];
    if (!g || g.cursors.length > 1 || g.items.some((x) => x.id === t.id)) return;
    if (q() && !t.title.toLowerCase().includes(q().toLowerCase())) return;
    setGroups(t.status, "items", (items) => [t, ...items].slice(0, PAGE));
    if (typeof g.count === "number") setGroups(t.status, "count", g.count + 1);
    liveRefresh();
  };

  const search = (v: string) => setParams({ q: v || undefined });

  const go = (s: TaskStatus, dir: 1 | -1) => {
    const g = groups[s];
    const cursors = dir === 1 ? [...g.cursors, g.next] : g.cursors.slice(0, -1);
    // back, the page left began at the next cursor of the one shown: its pager stays, Next on, while it loads
    setGroups(s, { cursors, loading: true, ...(dir === -1 && { next: g.cursors.at(-1) ?? null }) });
    const mine = seq;
    void loadGroupPage(s, cursors.at(-1) ?? null, mine).catch((e) => setError(e));
  };

  return (
    <section class="page" aria-labelledby="board-title">
      <header class="page-head">
        <div>
          <h1 id="board-title">Tasks</h1>
          <p class="muted">Monitor, track and manage running and completed agent work.</p>
        </div>
        <div class="row gap-sm">
          <SearchBox value={q()} onSearch={search} label="Search tasks by name" />
          <Show when={canWrite()}>
            <button class="btn btn-primary" type="button" onClick={() => setCreating(true)}>
              <Icon name="plus" /> Create task
            </button>
          </Show>
        </div>
      </header>

      <nav class="group-chips" aria-label="Status groups">
        <For each={BOARD_GROUPS}>
          {(s) => (
            <a
              class={`group-chip status-${s}`}
              href={`#group-${s}`}
              onClick={(e) => {
                // The router would only scroll there; focus has to move too, or the next Tab goes on along the chips.
                e.preventDefault();
                document.getElementById(`group-title-${s}`)?.focus();
              }}
            >
              <span class="dot" aria-hidden="true" />
              {STATUS_LABEL[s]}
              <span class="count" data-count-for={s}>
                {loaded() ? String(groups[s].count) : "…"}
              </span>
            </a>
          )}
        </For>
      </nav>

      <Show when={error()}>
        <ErrorState error={error()} retry={() => void refresh()} title="Could not load tasks" />
      </Show>

      <div class="board">
        <For each={BOARD_GROUPS}>
          {(s) => {
            const g = () => groups[s];
            return (
              <section class={`group status-${s}`} id={`group-${s}`} aria-labelledby={`group-title-${s}`} data-group={s}>
                <header class="group-head">
                  <h2 id={`group-title-${s}`} tabindex="-1">
                    <span class="dot" aria-hidden="true" />
                    {STATUS_LABEL[s]}
                  </h2>
                  <span class="count">{loaded() ? String(g().count) : ""}</span>
                </header>
                <Show when={!(g().loading && g().items.length === 0)} fallback={<Skeleton rows={2} />}>
                  <div class="group-items">
                    <For each={g().items} fallback={<EmptyState title={q() ? "No matches" : "Nothing here"} />}>
                      {(t) => <TaskCard task={t} onChanged={liveRefresh} expanded={expanded} />}
                    </For>
                  </div>
                </Show>
                <Show when={g().cursors.length > 1 || g().next}>
                  <Pager label={STATUS_LABEL[s]} page={g().cursors.length} hasPrev={g().cursors.length > 1} hasNext={!!g().next} onPrev={() => go(s, -1)} onNext={() => go(s, 1)} />
                </Show>
              </section>
            );
          }}
        </For>
      </div>

      <Show when={creating()}>
        <CreateTaskDialog onClose={() => setCreating(false)} onCreated={insert} />
      </Show>
    </section>
  );
}
