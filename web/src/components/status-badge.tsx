import type { StepStatus } from "../api-types";
import { STATUS_LABEL } from "../lib/format";

export function StatusBadge(props: { status: StepStatus; label?: string }) {
  return (
    <span class={`badge status-${props.status}`} data-status={props.status}>
      <span class="dot" aria-hidden="true" />
      {props.label ?? STATUS_LABEL[props.status] ?? props.status}
    </span>
  );
}
