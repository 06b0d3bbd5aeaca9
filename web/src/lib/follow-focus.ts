import { onCleanup } from "solid-js";
import { focusPlace, placeOf, type FocusPlace } from "./focus-place";

/**
 * Keyboard focus that stays with an item while live updates redraw it: a board card moving to
 * another status group is a new element, and an action button that goes once used (Provide input,
 * Approve) takes the focus with it; the browser would drop focus to the page's start. Items carry
 * the attribute `attr`; focus goes to the item's first `focusable`. An item that leaves the list (cancelled
 * off a filtered table) hands the focus to the one now in its place. A pointer press forgets the
 * item, so only keyboard focus is followed.
 *
 * The focused element also keeps its place on screen while items come and go above it: the
 * browser's scroll anchoring does not act at the top of the page, where new cards would push it,
 * and the keyboard's place with it, out of sight.
 */
export function followFocus(attr: string, focusable: string): void {
  let item: string | null = null;
  let held: { el: Element; top: number } | null = null;
  let place: FocusPlace | null = null;
  /**
   * How to find the control the person had focused in another item: when it went from its item (Cancel, once the
   * task is cancelled) and the focus was put on the item's `focusable`, the item's leaving still hands the focus to
   * that control of the item now in its place, not to its link.
   */
  let chosen: FocusPlace["same"] | null = null;
  let restored: Element | null = null;
  const hold = () => {
    const el = document.activeElement;
    // a dialog opened from an item sits above the page, which its own changes must not scroll
    held = item && el && el !== document.body && !el.closest("dialog") ? { el, top: el.getBoundingClientRect().top } : null;
    const now = held?.el.closest(`[${attr}]`) ? placeOf(held.el, focusable) : null;
    if (now) place = held?.el === restored && chosen ? { ...now, same: (i) => chosen?.(i) ?? now.same(i) } : now;
  };
  const onFocusIn = (e: FocusEvent) => {
    item = e.target instanceof Element ? (e.target.closest(`[${attr}]`)?.getAttribute(attr) ?? null) : null;
    if (e.target !== restored) {
      restored = null;
      chosen = e.target instanceof Element ? (placeOf(e.target, focusable)?.same ?? null) : null;
    }
    hold();
  };
  const onPointerDown = () => {
    item = null;
    held = null;
    place = null;
    chosen = null;
    restored = null;
  };
  const restore = () => {
    const active = document.activeElement;
    if (held && held.el === active) {
      const moved = active.getBoundingClientRect().top - held.top;
      if (Math.abs(moved) >= 1) window.scrollBy(0, moved);
    }
    if (item && (!active || active === document.body)) {
      const itemEl = document.querySelector(`[${attr}="${CSS.escape(item)}"]`);
      // the control the person had, drawn again, else the item's own
      const same = itemEl && (chosen?.(itemEl) ?? itemEl.querySelector<HTMLElement>(focusable));
      if (same) {
        restored = same;
        same.focus();
      } else if (place) focusPlace(place);
    }
    hold();
  };
  const observer = new MutationObserver(restore);
  observer.observe(document.body, { childList: true, subtree: true });
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("pointerdown", onPointerDown, true);
  window.addEventListener("scroll", hold, { passive: true });
  window.addEventListener("resize", hold);
  onCleanup(() => {
    observer.disconnect();
    document.removeEventListener("focusin", onFocusIn);
    document.removeEventListener("pointerdown", onPointerDown, true);
    window.removeEventListener("scroll", hold);
    window.removeEventListener("resize", hold);
  });
}
