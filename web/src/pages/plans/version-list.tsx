import { For, Show } from "solid-js";
import type { PlanVersion } from "../../api-types";
import { Skeleton } from "../../components/states";
import { fmtDate } from "../../lib/format";

/** A plan's saved versions, newest first; picking one shows it in the JSON tab. */
export function VersionList(props: { versions: readonly PlanVersion[] | undefined; current: number | undefined; shown: number | undefined; onPick: (v: PlanVersion) => void }) {
  return (
    <Show when={props.versions} fallback={<Skeleton rows={3} />}>
      <ul class="pick-list">
        <For each={props.versions}>
          {(v) => (
            <li>
              <button type="button" class={`pick ${props.shown === v.version ? "active" : ""}`} onClick={() => v.definition && props.onPick(v)} disabled={!v.definition}>
                <span class="pick-title">
                  v{v.version}
                  {v.version === props.current ? " (current)" : ""}
                </span>
                <span class="muted small">{fmtDate(v.created_at)}</span>
              </button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
