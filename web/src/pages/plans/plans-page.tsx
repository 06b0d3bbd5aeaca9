import { A, useNavigate, useParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { api } from "../../api";
import { Icon } from "../../components/icons";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { fmtRelative } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { onLive, throttle } from "../../lib/live";
import { usePageTitle } from "../../lib/page-title";
import { isAdmin } from "../../lib/session";
import { PlanEditor, type PlanTab } from "./plan-editor";

export function PlansPage() {
  const params = useParams<{ id?: string }>();
  const navigate = useNavigate();
  const plans = createLoader(() => api.plans.list());
  const selected = () => params.id;
  usePageTitle(() => {
    const id = selected();
    if (!id) return "Plans";
    if (id === "new") return "New plan · Plans";
    // the plan's name once the list has it; an id it lacks (deleted, mistyped) keeps the page's own name
    if (!plans.data) return undefined;
    const name = plans.data.items.find((p) => p.id === id)?.name;
    return name ? `${name} · Plans` : "Plans";
  });
  // Kept across plans: someone running plans one after another stays on Run.
  const [tab, setTab] = createSignal<PlanTab>("edit");
  // Plans saved or deleted elsewhere (another tab, a teammate, the API, a chat's Save): a known one is patched at
  // once; a new one, or a feed that may have missed some, refetches the list.
  const refetch = throttle(() => void plans.refresh(), 300);
  onLive((ev) => {
    if (ev.type === "reset") return refetch();
    if (ev.type !== "plan" || !plans.data) return;
    const { id, name, version, updated_at } = ev.plan;
    const known = plans.data.items.some((p) => p.id === id);
    if (ev.deleted) return plans.mutate((d) => ({ ...d, items: d.items.filter((p) => p.id !== id) }));
    if (!known) return refetch();
    plans.mutate((d) => ({ ...d, items: d.items.map((p) => (p.id === id && version >= p.version ? { ...p, name, version, updated_at } : p)) }));
  });

  return (
    <section class="page" aria-labelledby="plans-title">
      <header class="page-head">
        <div>
          <h1 id="plans-title">Plans</h1>
          <p class="muted">Reusable DAGs of agent steps. Every save is a new version; tasks keep the version they ran.</p>
        </div>
        <Show when={isAdmin()}>
          <button class="btn btn-primary" type="button" onClick={() => navigate("/plans/new")}>
            <Icon name="plus" /> New plan
          </button>
        </Show>
      </header>
      <div class="split">
        <nav class="card list-pane" aria-label="Plans">
          <Show when={plans.data} fallback={<Show when={plans.error} fallback={<Skeleton rows={4} />}>{<ErrorState error={plans.error} retry={plans.refresh} />}</Show>}>
            {/* outside the list: a list holds only its items */}
            <Show when={plans.data?.items.length} fallback={<EmptyState title="No plans yet">Create one to run multi-step work.</EmptyState>}>
              <ul class="pick-list">
                <For each={plans.data?.items}>
                  {(p) => (
                    <li>
                      <A href={`/plans/${p.id}`} activeClass="active" class="pick">
                        <span class="pick-title">{p.name}</span>
                        <span class="muted small">
                          v{p.version} · {fmtRelative(p.updated_at ?? p.created_at)}
                        </span>
                      </A>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </Show>
        </nav>
        <div class="detail-pane">
          {/* keyed: each plan gets its own editor, so nothing of the previous one (its content, typed inputs) shows under the new URL */}
          <Show when={selected()} keyed fallback={<EmptyState title="Select a plan">Pick a plan to view, edit, or run it.</EmptyState>}>
            {(id) => (
              <PlanEditor
                id={id}
                tab={tab()}
                onTab={setTab}
                onSaved={(p) => (void plans.refresh(), navigate(`/plans/${p.id}`, { replace: true }))}
                onDeleted={() => (void plans.refresh(), navigate("/plans", { replace: true }))}
              />
            )}
          </Show>
        </div>
      </div>
    </section>
  );
}

