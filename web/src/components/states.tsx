import type { JSX } from "solid-js";
import { Show } from "solid-js";
import { ApiError } from "../client";
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

/**
 * `retryLabel`: what the retry does when it is not the same request again (e.g. back to a list's first page).
 * `heading`: the title is the page's own heading (a page that could not load shows nothing else).
 */
export function ErrorState(props: { error: unknown; retry?: () => void; title?: string; retryLabel?: string; heading?: boolean }) {
  const title = () => props.title ?? "Something went wrong";
  return (
    <div class="state state-error" role="alert">
      <Show when={props.heading} fallback={<strong>{title()}</strong>}>
        <h1 class="state-title">{title()}</h1>
      </Show>
      <span>{errorMessage(props.error)}</span>
      {/* a fault of the server's is reported, and its logs are found by this id */}
      <Show when={props.error instanceof ApiError && props.error.status >= 500 && props.error.requestId}>
        {(id) => (
          <span class="small muted" data-testid="request-id">
            Request id <code>{id()}</code>: quote it when you report this.
          </span>
        )}
      </Show>
      <Show when={props.retry}>
        <button class="btn btn-sm" type="button" onClick={() => props.retry?.()}>
          {props.retryLabel ?? "Try again"}
        </button>
      </Show>
    </div>
  );
}

/** `heading`: the title is the page's own heading (a page that shows nothing else, e.g. a task not found). */
export function EmptyState(props: { title: string; children?: JSX.Element; heading?: boolean }) {
  return (
    <div class="state state-empty">
      <Show when={props.heading} fallback={<strong>{props.title}</strong>}>
        <h1 class="state-title">{props.title}</h1>
      </Show>
      <Show when={props.children}>
        <div class="muted">{props.children}</div>
      </Show>
    </div>
  );
}

/** What a loader's view needs: its data, its error and a retry. */
export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  refresh: () => Promise<void>;
}

/** A skeleton while the loader has nothing yet, its error with a retry, then the children. */
export function LoadedView(props: { loader: Loaded<unknown>; children: JSX.Element }) {
  return (
    <Show when={props.loader.data} fallback={<Show when={props.loader.error} fallback={<Skeleton rows={3} />}>{<ErrorState error={props.loader.error} retry={props.loader.refresh} />}</Show>}>
      {props.children}
    </Show>
  );
}
