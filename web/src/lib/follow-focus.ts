import { onCleanup } from "solid-js";

/**
 * Keyboard focus that stays with an item while live updates redraw it: a board card moving to
 * another status group is a new element, and an action button that goes once used (Provide input,
 * Approve) takes the focus with it; the browser would drop focus to the page's start. Items carry
 * the attribute `attr`; focus goes to the item's first `focusable`. A pointer press forgets the
 * item, so only keyboard focus is followed.
 */
export function followFocus(attr: string, focusable: string): void {
  let item: string | null = null;
  const onFocusIn = (e: FocusEvent) => {
    item = e.target instanceof Element ? (e.target.closest(`[${attr}]`)?.getAttribute(attr) ?? null) : null;
  };
  const onPointerDown = () => {
    item = null;
  };
  const restore = () => {
    const active = document.activeElement;
    if (!item || (active && active !== document.body)) return;
    document.querySelector<HTMLElement>(`[${attr}="${CSS.escape(item)}"] ${focusable}`)?.focus();
  };
  const observer = new MutationObserver(restore);
  observer.observe(document.body, { childList: true, subtree: true });
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("pointerdown", onPointerDown, true);
  onCleanup(() => {
    observer.disconnect();
    document.removeEventListener("focusin", onFocusIn);
    document.removeEventListener("pointerdown", onPointerDown, true);
  });
}
