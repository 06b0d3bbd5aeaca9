import { A } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { api, ApiError } from "../../api";
import type { Agent } from "../../api-types";
import { Icon } from "../../components/icons";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage, fmtCost } from "../../lib/format";
import { onLive, throttle } from "../../lib/live";
import { createLoader } from "../../lib/loader";
import { isAdmin } from "../../lib/session";
import { movedTo } from "../../lib/version-conflict";
import { AgentForm } from "./agent-form";
import { PlansNaming } from "./plans-naming";
import { usePageTitle } from "../../lib/page-title";

/** The agent's limits in a line: turns always, a cost, concurrency or tool-call cap when set. */
const limits = (a: Agent) =>
  [`max ${a.max_turns} turns`, a.max_cost != null ? `${fmtCost(a.max_cost)} per task` : "", a.max_concurrency != null ? `${a.max_concurrency} at once` : "", a.max_tool_calls_per_turn != null ? `${a.max_tool_calls_per_turn} tool calls per turn` : ""].filter(Boolean).join(" · ");

export function AgentsPage() {
  usePageTitle(() => "Agents");
  const agents = createLoader(() => api.agents.list());
  // the models nothing prices: an agent on one counts no cost, so its card says so
  const prices = createLoader(() => api.pricing.list());
  const unpriced = (model: string) => !!prices.data?.items.some((p) => p.model === model && p.source === "none");
  // an agent made, edited or deleted elsewhere (another tab, a teammate, the API): its card follows without a reload
  const agentsChanged = throttle(() => void Promise.all([agents.refresh(), prices.refresh()]), 300);
  onLive((ev) => (ev.type === "reset" || ev.type === "agent") && agentsChanged());
  const [editing, setEditing] = createSignal<Agent | "new" | null>(null);
  // A dialog holds the agent as it was when opened: the list's item follows live updates, and a save or a delete
  // sent with a version the admin never saw would pass over another admin's edit.
  const asOpened = (a: Agent): Agent => ({ ...a });
  const [deleting, setDeleting] = createSignal<Agent | null>(null);
  const [deleteErr, setDeleteErr] = createSignal<{ message: string; triggers: boolean } | null>(null);
  const closeDelete = () => {
    setDeleting(null);
    setDeleteErr(null);
  };

  const remove = async (a: Agent) => {
    try {
      await api.agents.remove(a.id, a.version);
      toast(`Deleted ${a.name}`);
      closeDelete();
      void agents.refresh();
    } catch (e) {
      // an agent the plans of triggers use is kept (409 listing them): the dialog says which, and where to change them;
      // one edited since the list was read (409 naming its version) is shown as it is now before it can go
      const now = movedTo(e);
      const triggers = e instanceof ApiError && e.status === 409 && now === null;
      setDeleteErr({
        message: now === null ? errorMessage(e) : `Another admin changed this agent since the list was read (it is now at version ${now}); nothing was deleted. Its card shows it as it is now: delete again to delete that.`,
        triggers,
      });
      if (now !== null) {
        await agents.refresh();
        const now = agents.data?.items.find((x) => x.id === a.id);
        if (now && deleting()?.id === a.id) setDeleting(asOpened(now));
      }
    }
  };

  return (
    <section class="page" aria-labelledby="agents-title">
      <header class="page-head">
        <div>
          <h1 id="agents-title">Agents</h1>
          <p class="muted">A model with a system prompt and tools. Steps and tasks name the agent that does the work.</p>
        </div>
        <Show when={isAdmin()}>
          <button class="btn btn-primary" type="button" onClick={() => setEditing("new")}>
            <Icon name="plus" /> New agent
          </button>
        </Show>
      </header>
      <Show when={agents.data} fallback={<Show when={agents.error} fallback={<Skeleton rows={4} />}>{<ErrorState error={agents.error} retry={agents.refresh} />}</Show>}>
        <div class="cards-grid">
          <For each={agents.data?.items} fallback={<EmptyState title="No agents yet">Create one to start running tasks.</EmptyState>}>
            {(a) => (
              <article class="card agent-card" aria-label={a.name}>
                <header class="row space-between">
                  <h2 class="h3">{a.name}</h2>
                  <span class="tag">{a.model}</span>
                </header>
                <Show when={unpriced(a.model)}>
                  <p class="small form-notice" data-testid="unpriced">
                    No price for {a.model}: its runs count $0 and no spend cap sees them. <A href="/settings?tab=pricing">Set one in Pricing</A>.
                  </p>
                </Show>
                <p class="muted clamp-3">{a.system_prompt || "No system prompt."}</p>
                <div class="row gap-xs wrap">
                  <For each={a.tools} fallback={<span class="muted small">No tools</span>}>{(t) => <span class="chip">{t}</span>}</For>
                </div>
                <footer class="row space-between">
                  <span class="muted small">{limits(a)}</span>
                  <Show when={isAdmin()}>
                    <div class="row gap-xs">
                      <button class="btn btn-sm" type="button" onClick={() => setEditing(asOpened(a))} aria-label={`Edit ${a.name}`}>
                        Edit
                      </button>
                      <button class="btn btn-sm btn-danger-ghost" type="button" onClick={() => setDeleting(asOpened(a))} aria-label={`Delete ${a.name}`}>
                        Delete
                      </button>
                    </div>
                  </Show>
                </footer>
              </article>
            )}
          </For>
        </div>
      </Show>
      <Show when={editing()}>{(e) => <AgentForm agent={e() === "new" ? null : (e() as Agent)} onClose={() => setEditing(null)} onSaved={() => void Promise.all([agents.refresh(), prices.refresh()])} />}</Show>
      <Show when={deleting()}>
        {(a) => (
          <ConfirmDialog onClose={closeDelete} title={`Delete ${a().name}?`} confirm="Delete agent" onConfirm={() => remove(a())}>
            <p>Tasks that already ran keep their history. New tasks can no longer use this agent. An agent that triggers' plans use cannot be deleted until they no longer do.</p>
            <PlansNaming agent={a().name} change="delete" />
            <ErrorLine text={deleteErr()?.message ?? null} />
            <Show when={deleteErr()?.triggers}>
              <p class="small">
                <A href="/settings?tab=triggers">Open Settings › Triggers</A>
              </p>
            </Show>
          </ConfirmDialog>
        )}
      </Show>
    </section>
  );
}
