const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Where a control sits: its item (a card, a row, a list entry), that item's place in its list, and how to find the same control in another item. */
export interface FocusPlace {
  list: Element;
  index: number;
  same: (item: Element) => HTMLElement | undefined;
  /** The item's own id attribute (`data-task-id="tsk_…"`), to find it where it went when its list is left empty. */
  key: string | null;
  /** The item's tag: a list left empty may hold something else (a "Nothing here" note), which is no item. */
  tag: string;
}

/** A selector for the element's id attribute (`data-…-id`), if it has one. */
function keyOf(item: Element): string | null {
  const attr = [...item.attributes].find((a) => /^data-[a-z-]+-id$/.test(a.name));
  return attr ? `[${attr.name}="${CSS.escape(attr.value)}"]` : null;
}

const words = (el: Element) => (el.textContent ?? "").replace(/\s+/g, " ").trim();

/**
 * The same control is the one doing the same thing, never the one at the same position (rows hold different
 * controls: a webhook's Rotate secret, a Last task link): a button by its text (Delete, Pause), a link, which only
 * goes somewhere, by its place among the item's links, and a control matching `kind` (a card's head, whatever its title) by that.
 */
export function placeOf(el: Element | null, kind?: string): FocusPlace | null {
  const item = el?.closest("article, tr, li");
  const list = item?.parentElement;
  if (!el || !item || !list) return null;
  const controls = (i: Element) => [...i.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const tag = el.tagName;
  const text = words(el);
  const links = (i: Element) => controls(i).filter((c) => c.tagName === "A");
  const slot = links(item).indexOf(el as HTMLElement);
  const same = (i: Element) =>
    controls(i).find((c) => c.tagName === tag && words(c) === text) ??
    (tag === "A" ? (links(i)[slot] ?? links(i)[0]) : undefined) ??
    (kind && el.matches(kind) ? (i.querySelector<HTMLElement>(kind) ?? undefined) : undefined);
  return { list, index: [...list.children].filter((c) => c.tagName === item.tagName).indexOf(item), same, key: keyOf(item), tag: item.tagName };
}

/**
 * Focuses the same control of the item now at that place (the next one, or the last when it was the last; when none
 * is left, the same item where it went), else its first link or disclosure, else `fallback` or the page's main: never
 * another button, which would do something else.
 */
export function focusPlace(place: FocusPlace, fallback?: HTMLElement): void {
  const items = place.list.isConnected ? [...place.list.children].filter((c) => c.tagName === place.tag) : [];
  // no item left in its place (the last card of a board's group moved to another): the same item where it went
  const item = items[Math.min(place.index, items.length - 1)] ?? (place.key ? document.querySelector(`article${place.key}, tr${place.key}, li${place.key}`) : null) ?? undefined;
  // else its first link, or its disclosure (a card's head: it only shows or hides the card)
  const target = item && (place.same(item) ?? item.querySelector<HTMLElement>("a[href], [aria-expanded]"));
  (target ?? fallback ?? document.getElementById("main"))?.focus();
}

/**
 * Once `el` (a control that was given the focus back) goes because of what was done (its row deleted, the list read
 * again, its task ended), `refocus` puts the focus somewhere near rather than at the page's start. Watches until the
 * focus moves on or a while has passed.
 */
export function whenRemoved(el: HTMLElement, refocus: () => void): void {
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
    if (!active || active === document.body) refocus();
  });
  observer.observe(document.body, { childList: true, subtree: true });
  const timer = setTimeout(stop, 10_000);
  document.addEventListener("focusin", onFocusIn);
}
