import { A } from "@solidjs/router";
import { For, Show } from "solid-js";
import { api } from "../../api";
import { createLoader } from "../../lib/loader";

/**
 * The saved plans whose current version names `agent`: deleted or renamed, it leaves them unable to run until
 * their steps name another, so the dialog that would do it says which. Nothing when none does, or while they load.
 */
export function PlansNaming(props: { agent: string; change: "delete" | "rename" }) {
  const plans = createLoader(() => api.plans.list());
  const naming = () => (plans.data?.items ?? []).filter((p) => p.agents.includes(props.agent));
  return (
    <Show when={naming().length}>
      <div class="form-notice small" role="note" data-testid="plans-naming">
        <p>
          {naming().length === 1 ? "A saved plan names" : `${naming().length} saved plans name`} {props.agent}:{" "}
          {props.change === "delete" ? "deleted" : "renamed"}, it leaves {naming().length === 1 ? "it" : "them"} unable to run until {naming().length === 1 ? "its" : "their"} steps name
          another agent.
        </p>
        <ul class="inline-list">
          <For each={naming()}>
            {(p) => (
              <li>
                <A href={`/plans/${p.id}`}>{p.name}</A>
              </li>
            )}
          </For>
        </ul>
      </div>
    </Show>
  );
}
