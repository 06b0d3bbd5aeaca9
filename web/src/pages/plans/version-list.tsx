import { For, Show } from "solid-js";
import type { PlanVersion } from "../../api-types";
import { Skeleton } from "../../components/states";
import { fmtDate, fmtDateFull } from "../../lib/format";

/** Who saved a version, by the name the audit log shows; one saved before savers were kept is unknown. */
export const savedBy = (v: Pick<PlanVersion, "saved_by">): string => v.saved_by?.name || v.saved_by?.id || "unknown";

/** A plan's saved versions, newest first, each with who saved it, when, and what changed from the version before; picking one shows it in the JSON tab. */
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
                <span class="muted small" data-testid="version-saved">
                  saved by <span title={v.saved_by ? `${v.saved_by.type} ${v.saved_by.id}` : "saved before savers were recorded"}>{savedBy(v)}</span> ·{" "}
                  <time datetime={v.created_at} title={fmtDateFull(v.created_at)}>{fmtDate(v.created_at)}</time>
                </span>
                <Show when={v.changes}>
                  {(c) => (
                    <span class="muted small" data-testid="version-changes">
                      {c().from_version === null ? "first version" : c().summary.length ? c().summary.join(" · ") : `no step changes from v${c().from_version}`}
                    </span>
                  )}
                </Show>
              </button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
