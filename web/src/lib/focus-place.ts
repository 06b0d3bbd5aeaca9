const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Where a control sits: its item (a card, a row, a list entry), that item's place in its list, and the control's among the item's. */
export interface FocusPlace {
  list: Element;
  index: number;
  slot: number;
}

export function placeOf(el: Element | null): FocusPlace | null {
  const item = el?.closest("article, tr, li");
  const list = item?.parentElement;
  if (!el || !item || !list) return null;
  return { list, index: [...list.children].indexOf(item), slot: [...item.querySelectorAll(FOCUSABLE)].indexOf(el) };
}

/** Focuses the same control of the item now at that place (the next one, or the last when it was the last), else `fallback` or the page's main. */
export function focusPlace(place: FocusPlace, fallback?: HTMLElement): void {
  const items = place.list.isConnected ? [...place.list.children] : [];
  const item = items[Math.min(place.index, items.length - 1)];
  const controls = item ? [...item.querySelectorAll<HTMLElement>(FOCUSABLE)] : [];
  (controls[place.slot] ?? controls[0] ?? fallback ?? document.getElementById("main"))?.focus();
}

/**
 * Once `el` (a row's button that opened a dialog, given the focus back) goes with its row (the row deleted,
 * the list read again), the focus goes to the same place in the row after it rather than to the page's start.
 * Watches until the focus moves on or a while has passed.
 */
export function keepPlaceWhenRemoved(el: HTMLElement, place: FocusPlace): void {
  const stop = () => {
    observer.disconnect();
    clearTimeout(timer);
    document.removeEventListener("focusin", onFocusIn);
  };
  const onFocusIn = (e: FocusEvent) => e.target !== el && stop();
  const observer = new MutationObserver(() => {
    if (el.isConnected) return;
    stop();
    const active = document.activeElement;
    if (!active || active === document.body) focusPlace(place);
  });
  observer.observe(document.body, { childList: true, subtree: true });
  const timer = setTimeout(stop, 10_000);
  document.addEventListener("focusin", onFocusIn);
}
