import type { JSX } from "solid-js";
import { Show } from "solid-js";
import { errorMessage } from "../lib/format";

export function Loading(props: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{props.label ?? "Loading…"}</span>
    </div>
  );
}

export function Skeleton(props: { rows?: number }) {
  return (
    <div class="skeleton-list" aria-hidden="true">
      {Array.from({ length: props.rows ?? 3 }, () => (
        <div class="skeleton" />
      ))}
    </div>
  );
}

export function ErrorState(props: { error: unknown; retry?: () => void; title?: string }) {
  return (
    <div class="state state-error" role="alert">
      <strong>{props.title ?? "Something went wrong"}</strong>
      <span>{errorMessage(props.error)}</span>
      <Show when={props.retry}>
        <button class="btn btn-sm" type="button" onClick={() => props.retry?.()}>
          Try again
        </button>
      </Show>
    </div>
  );
}

export function EmptyState(props: { title: string; children?: JSX.Element }) {
  return (
    <div class="state state-empty">
      <strong>{props.title}</strong>
      <Show when={props.children}>
        <div class="muted">{props.children}</div>
      </Show>
    </div>
  );
}
