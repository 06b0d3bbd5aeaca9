import { onCleanup } from "solid-js";

/**
 * Keyboard focus that follows an item when a live update renders it somewhere else (a board card
 * moving to another status group is a new element): the browser would drop focus to the page's
 * start. Items are found by the attribute `attr`; `restore()` goes after each re-render.
 * A pointer press forgets the item, so only keyboard focus is followed.
 */
export function followFocus(attr: string, focusable: string): { restore: () => void } {
  let item: string | null = null;
  const onFocusIn = (e: FocusEvent) => {
    item = e.target instanceof Element ? (e.target.closest(`[${attr}]`)?.getAttribute(attr) ?? null) : null;
  };
  const onPointerDown = () => {
    item = null;
  };
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("pointerdown", onPointerDown, true);
  onCleanup(() => {
    document.removeEventListener("focusin", onFocusIn);
    document.removeEventListener("pointerdown", onPointerDown, true);
  });
  return {
    restore: () => {
      const active = document.activeElement;
      if (!item || (active && active !== document.body)) return;
      document.querySelector<HTMLElement>(`[${attr}="${CSS.escape(item)}"] ${focusable}`)?.focus();
    },
  };
}
