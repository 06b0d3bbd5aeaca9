import type { StreamState } from "../api";

const LABEL: Record<StreamState, string> = { open: "Live", connecting: "Reconnecting…", closed: "Offline" };

export function ConnectionIndicator(props: { state: StreamState; label?: string }) {
  return (
    <span class={`conn conn-${props.state}`} role="status" aria-live="polite" title={`${props.label ?? "Live updates"}: ${LABEL[props.state]}`} data-state={props.state}>
      <span class="conn-dot" aria-hidden="true" />
      {LABEL[props.state]}
    </span>
  );
}
