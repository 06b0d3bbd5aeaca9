import { createEffect, on } from "solid-js";

export function Pager(props: { page: number; hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void; label: string }) {
  let prev!: HTMLButtonElement;
  let next!: HTMLButtonElement;
  // The button that turns off at the first or last page drops the focus to the page's start: the other one takes it.
  let held: HTMLButtonElement | null = null;
  createEffect(
    on([() => props.hasPrev, () => props.hasNext], () => {
      const active = document.activeElement;
      if (!held?.disabled || (active && active !== document.body && active !== held)) return;
      const other = held === next ? prev : next;
      if (!other.disabled) other.focus();
    }, { defer: true }),
  );
  const onFocusOut = (e: FocusEvent) => {
    // turned off, or the list under it redrawn, a button loses the focus to nothing: it is still the pager's
    if (e.relatedTarget) held = null;
  };
  return (
    <nav class="pager" aria-label={props.label}>
      <button ref={prev} class="btn btn-ghost btn-sm" type="button" disabled={!props.hasPrev} onClick={() => props.onPrev()} onFocus={() => (held = prev)} onFocusOut={onFocusOut} aria-label={`Previous page, ${props.label}`}>
        ‹ Previous
      </button>
      <span class="pager-page">Page {props.page}</span>
      <button ref={next} class="btn btn-ghost btn-sm" type="button" disabled={!props.hasNext} onClick={() => props.onNext()} onFocus={() => (held = next)} onFocusOut={onFocusOut} aria-label={`Next page, ${props.label}`}>
        Next ›
      </button>
    </nav>
  );
}
