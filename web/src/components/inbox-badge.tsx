import { A, useLocation } from "@solidjs/router";
import { createEffect, createSignal, For, on, onCleanup, onMount, Show } from "solid-js";
import { createClient, unwrap } from "../client";
import { focusPlace, placeOf, type FocusPlace } from "../lib/focus-place";
import { onLive, throttle } from "../lib/live";
import { STATUS_LABEL } from "../lib/format";
import { createLoader } from "../lib/loader";
import "./inbox-badge.css";

const fd = createClient();

/** A pending item's one-line summary: the question asked, or what needs deciding. */
function waitingFor(t: { pending: { kind: string; question?: string; step: string }[] }): string {
  const p = t.pending[0];
  if (!p) return STATUS_LABEL.needs_input;
  if (p.kind === "approval") return `Approve the output of ${p.step}`;
  if (p.kind === "budget") return "Budget reached: stop or raise";
  return p.question ?? "A question";
}

/**
 * What waits for the signed-in person: every task of the organization in `needs_input`, the ones
 * this token created first. Live: any task change that enters or leaves `needs_input` refetches (while more
 * wait than are listed, any task change does, throttled).
 */
export function InboxBadge() {
  const inbox = createLoader(() => unwrap(fd.notifications.inbox.$get()));
  const [open, setOpen] = createSignal(false);
  const location = useLocation();
  let root!: HTMLDivElement;
  let button!: HTMLButtonElement;

  const refresh = throttle(() => void inbox.refresh(), 400);
  onLive((ev) => {
    if (ev.type === "reset") return refresh();
    if (ev.type !== "task") return;
    const d = inbox.data;
    const listed = d?.items.some((t) => t.id === ev.task.id);
    // more wait than are listed: a task that stops waiting may be one of those, and only a refetch knows
    const unlisted = d !== undefined && (typeof d.count === "string" || d.count > d.items.length);
    if (ev.task.status === "needs_input" || listed || unlisted) refresh();
  });

  const onDocClick = (e: MouseEvent) => {
    if (open() && !root.contains(e.target as Node)) setOpen(false);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== "Escape" || !open()) return;
    // the list goes, and the focus in it (or dropped from it) with it: back to the bell
    if (root.contains(document.activeElement) || document.activeElement === document.body) button.focus();
    setOpen(false);
  };
  onMount(() => {
    document.addEventListener("click", onDocClick);
    document.addEventListener("keydown", onKey);
  });
  onCleanup(() => {
    document.removeEventListener("click", onDocClick);
    document.removeEventListener("keydown", onKey);
  });

  // A non-modal dialog: opening moves the focus in, Tab and Shift+Tab cycle through its links, Escape (above) goes back to the bell.
  let panel: HTMLDivElement | undefined;
  const links = () => [...(panel?.querySelectorAll<HTMLElement>("a[href]") ?? [])];
  createEffect(on(open, (o) => o && (links()[0] ?? panel)?.focus(), { defer: true }));
  // A task answered elsewhere leaves the list: the focus on it goes to the task now in its place, else the list itself.
  let place: FocusPlace | null = null;
  const keepFocus = new MutationObserver(() => {
    if (panel?.isConnected && place && document.activeElement === document.body) focusPlace(place, panel);
  });
  onCleanup(() => keepFocus.disconnect());
  const watchPanel = (el: HTMLDivElement) => {
    panel = el;
    keepFocus.observe(el, { childList: true, subtree: true });
  };
  const onPanelKey = (e: KeyboardEvent) => {
    if (e.key !== "Tab") return;
    const all = links();
    const [first, last] = [all[0] ?? panel, all.at(-1) ?? panel];
    if (e.shiftKey ? document.activeElement === first || document.activeElement === panel : document.activeElement === last) {
      e.preventDefault();
      (e.shiftKey ? last : first)?.focus();
    }
  };

  const count = () => inbox.data?.count ?? 0;
  const label = () => (count() === 0 ? "Nothing waits for you" : `${count()} ${count() === 1 ? "task waits" : "tasks wait"} for input`);
  createEffect(on(() => location.pathname, () => setOpen(false), { defer: true }));

  return (
    <div class="inbox" ref={root} data-count={count()}>
      <button
        ref={button}
        type="button"
        class="inbox-button"
        aria-haspopup="dialog"
        aria-expanded={open()}
        aria-controls="inbox-panel"
        aria-label={label()}
        title={label()}
        onClick={() => {
          setOpen(!open());
          if (open()) void inbox.refresh();
        }}
      >
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
          <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        <Show when={count() !== 0}>
          <span class="inbox-count" data-testid="inbox-count">
            {count()}
          </span>
        </Show>
      </button>
      <Show when={open()}>
        <div id="inbox-panel" ref={watchPanel} class="inbox-panel" role="dialog" aria-label="Waiting for you" tabindex="-1" onKeyDown={onPanelKey} onFocusIn={(e) => (place = placeOf(e.target as Element))}>
          <div class="inbox-head">
            <strong>{STATUS_LABEL.needs_input}</strong>
            <span class="muted small">{count() === 0 ? "nothing" : count()}</span>
          </div>
          <Show when={inbox.data?.items.length} fallback={<p class="muted small inbox-empty">No task needs an answer or an approval.</p>}>
            <ul class="inbox-list">
              <For each={inbox.data?.items}>
                {(t) => (
                  <li>
                    <A href={`/tasks/${t.id}`} class="inbox-item" onClick={() => setOpen(false)}>
                      <span class="inbox-title">
                        {t.title}
                        <Show when={t.mine}>
                          <span class="tag tag-accent">yours</span>
                        </Show>
                      </span>
                      <span class="muted small">{waitingFor(t)}</span>
                    </A>
                  </li>
                )}
              </For>
            </ul>
            {/* the list holds at most 50; the table shows every one */}
            <Show when={typeof count() === "string" || (count() as number) > (inbox.data?.items.length ?? 0)}>
              <A href="/tasks?status=needs_input" class="inbox-all small" onClick={() => setOpen(false)}>
                See all {count()} in the task table
              </A>
            </Show>
          </Show>
        </div>
      </Show>
    </div>
  );
}
